/** The shipped bin on bad input: one clear line on stderr, a non-zero exit, nothing on stdout. */
import { fixtureText, runCli } from "./helpers";

describe("pulumi-linuxnet (bin)", () => {
  const bad = (args: string[], input: string, line: string, code = 1) => {
    const r = runCli(args, input);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code, stdout: "", stderr: `${line}\n` });
  };

  it("says what is wrong with input that is not JSON, JSON of the wrong shape, or an empty stack", () => {
    bad(["preview-summary"], "", "pulumi-linuxnet preview-summary: stdin is empty; pipe the output of `pulumi preview --json` into it");
    bad(["preview-summary"], "Previewing update (dev):", "pulumi-linuxnet preview-summary: stdin is not JSON (Unexpected token 'P', \"Previewing\"... is not valid JSON); expected the output of `pulumi preview --json`");
    bad(["diagram"], '{"steps": 3}', "pulumi-linuxnet diagram: stdin is not the output of `pulumi stack export`: version: Invalid input: expected number, received undefined");
    bad(["diagram"], fixtureText("resources-update"), "pulumi-linuxnet diagram: stdin is the output of `pulumi preview --json`, not `pulumi stack export`; add --preview to draw what the preview plans");
    bad(["diagram"], '{"version": 3, "deployment": {}}', "pulumi-linuxnet diagram: stdin holds no pulumi-linuxnet resources: the stack is empty (never deployed, or destroyed)");
    bad(["diagram", "/nonexistent.json"], "", "pulumi-linuxnet diagram: cannot read file /nonexistent.json: ENOENT");
  });

  it("prints usage with exit code 2 for a wrong command line, and for --help on stdout", () => {
    const r = runCli(["nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pulumi-linuxnet nope: unknown command "nope" \(known: new, preview-summary, diagram, reachability, orphans\)\nusage:\n/);
    const help = runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage:\n {2}pulumi-linuxnet preview-summary/);
  });

  it("writes the summary, Mermaid, DOT and SVG for real input", () => {
    expect(runCli(["preview-summary"], fixtureText("resources-create")).stdout).toMatch(/^### Network changes\n\n\*\*Plan:\*\* 🟢 4 to create\n/);
    expect(runCli(["diagram", "--preview"], fixtureText("resources-create")).stdout).toMatch(/^flowchart LR\n/);
    expect(runCli(["diagram", "--format", "dot"], fixtureText("resources-export")).stdout).toMatch(/^digraph linuxnet \{\n/);
    expect(runCli(["diagram", "--format", "svg"], fixtureText("resources-export")).stdout).toMatch(/<\/svg>\n$/);
  });
});

describe("pulumi-linuxnet reachability (bin)", () => {
  it("prints the matrix of a deployed stack, with why each pair does not answer", () => {
    const r = runCli(["reachability", "--own-netns", "fresh"], fixtureText("macvlan-export"));
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^### Reachability\n\nPredicted from the stack's resources, no kernel involved: 25 pairs, 11 reachable, 14 unreachable, 0 unknown\. /);
    expect(r.stdout).toContain("| `c1` | ✅ 64 | ✅ 64 | ❌ | ❌ | ❌ |");
    expect(r.stdout).toContain("- `host1` → `172.16.10.2`: ❌ unreachable: nobody answers for 172.16.10.2 on the link of host1 enp0s8: host1 enp0s8 does not reach its own macvlan interface c1 eth0 (a host shim, hostAccess, does)");
  });

  it("reads the plan of a preview, one pair with its path, or JSON", () => {
    const one = runCli(["reachability", "--preview", "--from", "d1", "--to", "172.16.20.10"], fixtureText("macvlan-router-removed"));
    expect(one.stdout).toContain("- `d1` → `172.16.20.10`: ❌ unreachable: host3 does not forward: net.ipv4.ip_forward is 0 (a new namespace's default)\n  - d1 eth0 → host3 enp0s8\n");
    const json = JSON.parse(runCli(["reachability", "--format", "json"], fixtureText("macvlan-export")).stdout);
    expect(json.counts).toEqual({ reachable: 11, unreachable: 14, unknown: 0 });
    expect(json.ownNetns).toBe("unknown");
    expect(json.pairs[0]).toEqual({ from: "c1", to: "172.16.10.2", family: "ipv4", answer: "reachable", ttl: 64, reason: "its own address, through lo", path: ["c1 lo"] });
  });

  it("picks a family (--family), lists link-local neighbours (--link-local) and takes IPv6 in --to", () => {
    const v4 = JSON.parse(runCli(["reachability", "--own-netns", "fresh", "--family", "ipv4", "--format", "json"], fixtureText("demo-export")).stdout);
    const both = JSON.parse(runCli(["reachability", "--own-netns", "fresh", "--format", "json"], fixtureText("demo-export")).stdout);
    expect(v4.addresses.length).toBeGreaterThanOrEqual(4);
    expect(both.addresses).toEqual(v4.addresses); // the demo has no IPv6 address of its own
    const ll = JSON.parse(runCli(["reachability", "--own-netns", "fresh", "--family", "ipv6", "--link-local", "--format", "json"], fixtureText("demo-export")).stdout);
    expect(ll.addresses).toEqual([]);
    // each veth end's link-local address from its MAC in the export; the bridge's is not known (its MAC follows its ports)
    expect(ll.linkLocalPairs.length).toBeGreaterThanOrEqual(2);
    expect(ll.linkLocalPairs.every((p: { to: string; answer: string; ttl: number }) => /^fe80::[0-9a-f:]+%\w+$/.test(p.to) && p.answer === "reachable" && p.ttl === 64)).toBe(true);
    const one = runCli(["reachability", "--own-netns", "fresh", "--from", "demo-c1", "--to", ll.linkLocalPairs[0].to], fixtureText("demo-export"));
    expect(one.stdout).toContain(`- \`demo-c1\` → \`${ll.linkLocalPairs[0].to}\`: ✅ reachable (TTL 64): on one link with`);
    expect(runCli(["reachability", "--own-netns", "fresh", "--to", "fd00::1", "--format", "json"], fixtureText("demo-export")).stdout).toContain('"reason": "fd00::1 is not an address of the stack"');
  });

  it("refuses a namespace or an address it does not know, naming what it knows", () => {
    const r = runCli(["reachability", "--from", "nope"], fixtureText("macvlan-export"));
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe('pulumi-linuxnet reachability: invalid --from "nope" (must be a namespace of the stack (c1, c2, host1, host2, lan))');
    expect(runCli(["reachability", "--to", "c1"], fixtureText("macvlan-export")).stderr.split("\n")[0]).toBe('pulumi-linuxnet reachability: invalid --to "c1" (must be an address like 10.0.0.1, fd00::1 or fe80::1%eth0)');
  });
});

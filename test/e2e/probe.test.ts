/**
 * Probes through the real pulumi CLI (test/programs/probe: probe-r routes between probe-a and
 * probe-b, IPv4 and IPv6; a matrix of six probes, two of them to IPv6 addresses, one
 * link-local with its interface): up checks them, a wrong expectation fails up with one
 * line, refresh finds reachability broken by hand, and the next up checks again — passing
 * where up repairs the cause, failing where it cannot. The kernel also judges the
 * reachability model on the stack, both families.
 */
import { run } from "../support/local";
import { namedNamespaces } from "../support/kernel";
import { planned, PulumiStack, testProgramDir } from "../support/pulumi";
import { expectJudged, judgeReachability } from "../support/reachability";

jest.setTimeout(300_000);

/** The judgement after up: 3 namespaces × the stack's addresses, per family. */
const JUDGED = { ipv4: { compared: 12 }, ipv6: { compared: 16 } };

type Seen = Record<string, { holds: boolean; seen: Record<string, unknown>; to: string }>;
const inR = (...argv: string[]) => run(["ip", "netns", "exec", "probe-r", ...argv]);
/** The lines of the CLI's output that say an error, without the stack's own "update failed". */
const errors = (out: string) => out.split("\n").filter((l) => /^\s+error: /.test(l) && !/error: update failed/.test(l)).map((l) => l.trim());

describe("probes through the real pulumi CLI", () => {
  const stack = new PulumiStack(testProgramDir("probe"));
  beforeAll(() => stack.init());
  afterAll(() => stack.dispose());

  it("up runs every probe of the matrix after what it depends on, IPv6 ones too; the outputs say what each saw; the kernel agrees with the model", async () => {
    await stack.up();
    const seen = (await stack.outputs()).seen as Seen;
    expect(Object.keys(seen).sort()).toEqual(["a → b", "a → b6", "a → nobody", "a → r", "a → rll", "b → a"]);
    expect(seen["a → b"]).toMatchObject({ holds: true, seen: { via: "icmp", reachable: true, ttl: 63, received: 1 } });
    expect(seen["a → r"]).toMatchObject({ holds: true, seen: { reachable: true, ttl: 64 } });
    // IPv6: a link's address output (its prefix length dropped), one router on the way: hop limit 63.
    expect(seen["a → b6"]).toMatchObject({ holds: true, to: "fd00:31:2::2", seen: { via: "icmp", reachable: true, ttl: 63 } }); // received not 1: requests sent while a's address was tentative are answered too
    // A link-local address with the interface it is reached through: the router's leg, no hop.
    expect(seen["a → rll"]).toMatchObject({ holds: true, to: "fe80::1%eth0", seen: { via: "icmp", reachable: true, ttl: 64 } });
    expect(seen["a → nobody"]).toMatchObject({ holds: true, seen: { reachable: false, received: 0 } });
    expect(seen["a → nobody"].seen.error).toBeUndefined();
    expectJudged(await judgeReachability(stack, "test/programs/probe after up"), JUDGED);
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("an expectation that does not hold fails up with one line: from, to, expected, seen", async () => {
    await stack.setConfig("ttl", "64");
    const r = await stack.cli(["up", "--yes", "--skip-preview"], true);
    expect(r.code).not.toBe(0);
    expect(errors(r.stdout)).toEqual(expect.arrayContaining([expect.stringMatching(/^error: probe probe-a → 10\.31\.2\.2: expected reachable with TTL 64, got a reply with TTL 63 in [\d.]+ ms$/)]));
    expect(new Set(errors(r.stdout))).toHaveProperty("size", 1); // the same line in progress and diagnostics, nothing else
    expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m); // no stack trace
    await stack.cli(["config", "rm", "ttl"]);
    expect((await stack.preview("--expect-no-changes")).code).toBe(0); // the failed update recorded nothing
  });

  it("refresh finds routes deleted by hand as changed probes, IPv4 and IPv6; the next up recreates the routes and checks them again", async () => {
    await run(["ip", "-n", "probe-b", "route", "del", "default"]);
    await run(["ip", "-6", "-n", "probe-b", "route", "del", "default"]);
    const refreshed = await stack.refresh();
    expect(refreshed.stdout).toMatch(/~ +pulumi-nodejs:dynamic\/linuxnet:Probe +lab-a-b +updated/);
    expect(refreshed.stdout).toMatch(/~ +pulumi-nodejs:dynamic\/linuxnet:Probe +lab-a-b6 +updated/);
    expect(refreshed.stdout).toMatch(/~ +pulumi-nodejs:dynamic\/linuxnet:Probe +lab-b-a +updated/);
    expect(refreshed.stdout).not.toMatch(/Probe +lab-a-rll +updated/); // on the link: no route needed
    expect(refreshed.stdout).not.toMatch(/Probe +lab-a-r +updated/); // its answer did not change
    const exported = JSON.parse((await stack.cli(["stack", "export"])).stdout);
    const aToB = exported.deployment.resources.find((res: { urn: string }) => res.urn.endsWith("::lab-a-b"));
    expect(aToB.outputs).toMatchObject({ holds: false, seen: { reachable: false, received: 0 } });
    const plan = await stack.preview();
    expect(planned(plan.stdout, "Route", "create")).toBe(true);
    expect(planned(plan.stdout, "Probe", "update")).toBe(true);
    await stack.up();
    const seen = (await stack.outputs()).seen as Seen;
    expect(seen["a → b"]).toMatchObject({ holds: true, seen: { reachable: true, ttl: 63 } });
    expect(seen["a → b6"]).toMatchObject({ holds: true, seen: { reachable: true, ttl: 63 } });
  });

  it("refresh finds a DROP rule added by hand; up checks again and fails in one line per probe until the rule is gone", async () => {
    await inR("iptables", "-w", "-I", "FORWARD", "-d", "10.31.2.2", "-j", "DROP");
    try {
      await stack.refresh();
      const r = await stack.cli(["up", "--yes", "--skip-preview"], true);
      expect(r.code).not.toBe(0);
      expect([...new Set(errors(r.stdout))].sort()).toEqual([
        "error: probe probe-a → 10.31.2.2: expected reachable with TTL 63, got no reply in 3 s",
        "error: probe probe-b → 10.31.1.2: expected reachable, got no reply in 3 s",
      ]);
    } finally {
      await inR("iptables", "-w", "-D", "FORWARD", "-d", "10.31.2.2", "-j", "DROP");
    }
    await stack.up(); // the probes that failed are run again, and now hold
    const seen = (await stack.outputs()).seen as Seen;
    expect(seen["a → b"].holds).toBe(true);
    expect(seen["b → a"].holds).toBe(true);
  });

  it("destroy leaves the network as it was: probes delete nothing, the rest is gone", async () => {
    await stack.destroy();
    expect(namedNamespaces().filter((n) => n.startsWith("probe-"))).toEqual([]);
  });
});

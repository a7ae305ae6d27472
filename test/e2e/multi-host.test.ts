/**
 * examples/multi-host through the real CLI: one stack across three SSH hosts the test starts
 * in its sandbox (namespaces with their own sshd and /run/netns, two LANs between them).
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshHosts, type TestHost } from "../support/ssh-hosts";
import { exampleDir, planned, PulumiStack, stepsDone } from "../support/pulumi";
import { expectJudged, judgeReachability, onTestHosts } from "../support/reachability";

jest.setTimeout(600_000);

describe("examples/multi-host: scenarios 4 and 5 across three SSH hosts, one stack", () => {
  const hosts = new SshHosts();
  // The CLI's own TMPDIR, to see what the provider leaves there (the SSH keys' private folder).
  const tmp = mkdtempSync(join(tmpdir(), "linuxnet-mh-tmp-"));
  const stack = new PulumiStack(exampleDir("multi-host"), { TMPDIR: tmp });
  let h: TestHost[];
  const on = (k: number, ...argv: string[]) => hosts.on(h[k], ...argv);
  const ttl = async (k: number, from: string, to: string) => {
    try {
      return /ttl=(\d+)/.exec(await on(k, "ip", "netns", "exec", from, "ping", "-c", "1", "-W", "2", to))?.[1];
    } catch {
      return undefined;
    }
  };

  beforeAll(async () => {
    h = await hosts.start(3);
    await hosts.lan("lan10", "enp0s8");
    await hosts.lan("lan20", "enp0s9");
    await stack.init({ hosts: JSON.stringify(h.map((x) => ({ name: x.name, address: x.address, hostKey: x.connection.hostKey }))) });
    await stack.cli(["config", "set", "--secret", "privateKey", "--", h[0].connection.privateKey]);
  });
  afterAll(async () => {
    await stack.dispose();
    await hosts.stop();
    rmSync(tmp, { recursive: true, force: true });
    process.stdout.write(`pulumi timings (ms): ${stack.timings.map(([c, ms]) => `${c}=${ms}`).join(", ")}\n`);
  });

  it("a killed up converges; then d1 reaches d3 across the hosts, and d2 and d4 through host3 with a reply TTL of 63", async () => {
    const killed = await stack.cliKilled(["up", "--yes", "--skip-preview"], (out) => stepsDone(out, "created") >= 8, "cli");
    expect(killed.killed).toBe(true);
    await stack.cli(["cancel", "--yes"]);
    await stack.up();
    expect(await ttl(0, "d1", "172.16.10.11")).toBe("64"); // d3, same network on the other host: no hop
    expect(await ttl(0, "d1", "172.16.20.10")).toBe("63"); // d2, through host3
    expect(await ttl(0, "d1", "172.16.20.11")).toBe("63"); // d4
    expect((await on(2, "ip", "netns", "exec", "r3", "sysctl", "-n", "net.ipv4.ip_forward")).trim()).toBe("1");
    // The LANs between the hosts are the test's, not the stack's: pairs across them are unknown to the model.
    // Each container and r3 to its own addresses (6) is decided: the hosts are told apart. The rest crosses the hosts' own namespaces and the test's LANs.
    expectJudged(await judgeReachability(stack, "examples/multi-host after up", onTestHosts(hosts, h)), {
      ipv4: { compared: 6, unknown: { count: 42, why: /^(10\.77\.0\.\d is not made by the stack: |\S+ eth\d+ sits on enp0s[89] in 10\.77\.0\.\d, which the stack does not manage$)/ } },
      ipv6: { compared: 0 },
    });
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("keeps the private key out of the state and the outputs in clear text", async () => {
    const exported = (await stack.cli(["stack", "export"])).stdout;
    expect(exported).not.toContain("PRIVATE KEY");
    expect((await stack.cli(["stack", "output", "--json"])).stdout).not.toContain("PRIVATE KEY");
  });

  it("updates d1's address in place on its host", async () => {
    await stack.setConfig("d1Address", "172.16.10.20");
    const plan = await stack.preview();
    expect(planned(plan.stdout, "MacvlanEndpoint", "update")).toBe(true);
    await stack.up();
    expect(await ttl(1, "d3", "172.16.10.20")).toBe("64");
  });

  it("refresh finds a rule and a route changed by hand on the hosts; up repairs both", async () => {
    await on(0, "ip", "-n", "d1", "route", "del", "default");
    await on(2, "ip", "netns", "exec", "r3", "iptables", "-w", "-t", "nat", "-F", "POSTROUTING");
    await stack.refresh();
    const plan = await stack.preview();
    expect(planned(plan.stdout, "MacvlanEndpoint", "update")).toBe(true);
    expect(planned(plan.stdout, "IptablesRule", "create")).toBe(true);
    await stack.up();
    expect(await ttl(0, "d1", "172.16.20.10")).toBe("63");
  });

  it("destroy leaves nothing on any host, nor a file of the provider's here or there", async () => {
    await stack.destroy();
    // The engine ends the provider with SIGINT: its exit hooks remove its folder of key and
    // known_hosts files and end its SSH masters; then each remote shell's input ends, and it
    // removes its own folder on its host.
    expect(readdirSync(tmp).filter((f) => f.startsWith("pulumi-linuxnet"))).toEqual([]);
    for (const x of h) {
      for (let t = 0; t < 100 && readdirSync(x.tmp).length; t++) await new Promise((r) => setTimeout(r, 50));
      expect([x.name, readdirSync(x.tmp)]).toEqual([x.name, []]);
    }
    for (let k = 0; k < 3; k++) {
      expect((await on(k, "ip", "netns", "list")).trim()).toBe("");
      expect((await on(k, "ip", "-br", "link")).split("\n").map((l) => l.split(/[\s@]/)[0]).filter(Boolean).sort()).toEqual(["enp0s8", "enp0s9", "lo", "mgmt0"]);
    }
  });
});

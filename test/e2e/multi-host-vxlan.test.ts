/**
 * examples/multi-host-vxlan through the real CLI: three SSH hosts the test starts in its
 * sandbox, which share only the network their SSH runs on (no LAN bridges between them): the
 * example makes the networks' LAN segments itself, bridges joined over VXLAN.
 */
import { SshHosts, type TestHost } from "../support/ssh-hosts";
import { expectJudged, judgeReachability, onTestHosts } from "../support/reachability";
import { exampleDir, PulumiStack } from "../support/pulumi";

jest.setTimeout(600_000);

describe("examples/multi-host-vxlan: scenarios 4 and 5 over VXLAN across three SSH hosts", () => {
  const hosts = new SshHosts(78);
  const stack = new PulumiStack(exampleDir("multi-host-vxlan"));
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
    h = await hosts.start(3, "vxh");
    await stack.init({ hosts: JSON.stringify(h.map((x) => ({ name: x.name, address: x.address, hostKey: x.connection.hostKey }))), underlay: "mgmt0" });
    await stack.cli(["config", "set", "--secret", "privateKey", "--", h[0].connection.privateKey]);
  });
  afterAll(async () => {
    await stack.dispose();
    await hosts.stop();
    process.stdout.write(`pulumi timings (ms): ${stack.timings.map(([c, ms]) => `${c}=${ms}`).join(", ")}\n`);
  });

  it("up: d1 reaches d3 across the hub's bridge (TTL 64) and d2, d4 through r3 (TTL 63), in 1450-byte frames", async () => {
    await stack.up();
    expect(await ttl(0, "d1", "172.16.10.11")).toBe("64");
    expect(await ttl(0, "d1", "172.16.20.10")).toBe("63");
    expect(await ttl(0, "d1", "172.16.20.11")).toBe("63");
    expect(await on(0, "ip", "netns", "exec", "d1", "ping", "-M", "do", "-s", "1422", "-c", "1", "-W", "2", "172.16.10.11")).toMatch(/1 received/);
    expect((await on(2, "ip", "-br", "link", "show", "type", "vxlan")).split("\n").map((l) => l.split(/[\s@]/)[0]).filter(Boolean).sort()).toEqual(["vxlan101", "vxlan102", "vxlan201", "vxlan202"]);
    // Every pair from a container or r3 is decided (30: across the tunnels too); the hosts' own namespaces (where
    // the bridges and tunnel ends are) are not the stack's: their 18 pairs stay unknown.
    expectJudged(await judgeReachability(stack, "examples/multi-host-vxlan after up", onTestHosts(hosts, h)), {
      ipv4: { compared: 30, unknown: { count: 18, why: /^10\.78\.0\.\d is not made by the stack: / } },
      ipv6: { compared: 12 },
    });
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("destroy leaves nothing on any host", async () => {
    await stack.destroy();
    for (let k = 0; k < 3; k++) {
      expect((await on(k, "ip", "netns", "list")).trim()).toBe("");
      expect((await on(k, "ip", "-br", "link")).split("\n").map((l) => l.split(/[\s@]/)[0]).filter(Boolean).sort()).toEqual(["lo", "mgmt0"]);
    }
  });
});

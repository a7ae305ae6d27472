/**
 * examples/vxlan-sites through the real CLI: two SSH hosts the test starts in its sandbox
 * (namespaces with their own sshd), which only share the network their SSH runs on; the
 * example joins a LAN on each into one over VXLAN, with a tbf-shaped WAN on the tunnel.
 */
import { SshHosts, type TestHost } from "../support/ssh-hosts";
import { expectJudged, judgeReachability, onTestHosts } from "../support/reachability";
import { exampleDir, planned, PulumiStack } from "../support/pulumi";

jest.setTimeout(600_000);

describe("examples/vxlan-sites: two sites on two SSH hosts joined by VXLAN", () => {
  const hosts = new SshHosts();
  const stack = new PulumiStack(exampleDir("vxlan-sites"));
  let h: TestHost[];
  const on = (k: number, ...argv: string[]) => hosts.on(h[k], ...argv);
  /** One ping from c1 (on the first host) with DF set and `size` bytes of payload; true if answered. */
  const dfPing = (size: number) => on(0, "ip", "netns", "exec", "c1", "ping", "-M", "do", "-c", "1", "-W", "2", "-s", String(size), "192.168.100.12").then(() => true, () => false);
  const vxlans = async (k: number) => JSON.parse((await on(k, "ip", "-d", "-j", "link", "show", "type", "vxlan")) || "[]") as Array<{ ifname: string; mtu: number; master?: string; linkinfo: { info_data: Record<string, unknown> } }>;
  const qdisc = async (k: number) => JSON.parse(await on(k, "tc", "-j", "qdisc", "show", "dev", "vxlan100", "root"))[0] as { kind: string; handle: string; options: Record<string, unknown> };

  beforeAll(async () => {
    h = await hosts.start(2, "site");
    await stack.init({ hosts: JSON.stringify(h.map((x) => ({ name: x.name, address: x.address, hostKey: x.connection.hostKey }))), underlay: "mgmt0" });
    await stack.cli(["config", "set", "--secret", "privateKey", "--", h[0].connection.privateKey]);
  });
  afterAll(async () => {
    await stack.dispose();
    await hosts.stop();
    process.stdout.write(`pulumi timings (ms): ${stack.timings.map(([c, ms]) => `${c}=${ms}`).join(", ")}\n`);
  });

  it("up joins the sites: c1 reaches c2 over VXLAN; 1450-byte DF packets cross, 1451-byte ones do not", async () => {
    await stack.up();
    const [v] = await vxlans(0);
    expect(v).toMatchObject({ ifname: "vxlan100", mtu: 1450, master: "br0", linkinfo: { info_data: { id: 100, local: h[0].address, remote: h[1].address, port: 4789, link: "mgmt0" } } });
    expect(await qdisc(0)).toMatchObject({ kind: "tbf", handle: "148:", options: { rate: 2_500_000 } });
    expect(await dfPing(1422)).toBe(true); // 1422 + 8 (ICMP) + 20 (IP) = 1450
    expect(await dfPing(1423)).toBe(false);
    expect((await stack.outputs()).overlayMtu).toBe(1450);
    // The containers to each other across the tunnel and to their own addresses are decided (4); the hosts' own
    // namespaces (where the bridges and tunnel ends are) are not the stack's: their 4 pairs stay unknown.
    expectJudged(await judgeReachability(stack, "examples/vxlan-sites after up", onTestHosts(hosts, h)), { ipv4: { compared: 4, unknown: { count: 4, why: /^10\.77\.0\.\d is not made by the stack: / } }, ipv6: { compared: 2 } });
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("changes the WAN's rate in place on both hosts", async () => {
    await stack.setConfig("wanRate", "10mbit");
    const plan = await stack.preview();
    expect(planned(plan.stdout, "LinkShaping", "update")).toBe(true);
    expect(planned(plan.stdout, "LinkShaping", "replace")).toBe(false);
    await stack.up();
    for (const k of [0, 1]) expect((await qdisc(k)).options).toMatchObject({ rate: 1_250_000 });
  });

  it("refresh finds a tunnel end deleted by hand (and its shaping gone with it); up makes both again", async () => {
    await on(1, "ip", "link", "del", "vxlan100");
    expect(await dfPing(1422)).toBe(false);
    const refreshed = await stack.refresh();
    expect(refreshed.stdout).toMatch(/- +pulumi-nodejs:dynamic\/linuxnet:VxlanInterface +wan-b +deleted/);
    expect(refreshed.stdout).toMatch(/- +pulumi-nodejs:dynamic\/linuxnet:LinkShaping +wan-2 +deleted/);
    await stack.up();
    expect((await qdisc(1)).options).toMatchObject({ rate: 1_250_000 });
    expect(await dfPing(1422)).toBe(true);
  });

  it("destroy leaves no VXLAN, namespace or bridge on either host", async () => {
    await stack.destroy();
    for (const k of [0, 1]) {
      expect(await vxlans(k)).toEqual([]);
      expect((await on(k, "ip", "netns", "list")).trim()).toBe("");
      expect((await on(k, "ip", "-br", "link")).split("\n").map((l) => l.split(/[\s@]/)[0]).filter(Boolean).sort()).toEqual(["lo", "mgmt0"]);
    }
  });
});

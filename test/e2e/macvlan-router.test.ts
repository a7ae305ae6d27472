/**
 * examples/macvlan-router (scenario 5 complete) through the real CLI: two macvlan networks
 * across two hosts, apart at layer 2, joined by host3 as a router — d1 reaches d2 and d4 in
 * one hop (reply TTL 63).
 */
import { run } from "../support/local";
import { namedNamespaces, pings } from "../support/kernel";
import { exampleDir, planned, PulumiStack, stepsDone } from "../support/pulumi";

jest.setTimeout(300_000);

const LAB = ["sw", "host1", "host2", "host3", "d1", "d2", "d3", "d4"];
/** The TTL of the reply to one ping, or undefined without a reply. */
async function replyTtl(from: string, to: string): Promise<number | undefined> {
  try {
    const { stdout } = await run(["ip", "netns", "exec", from, "ping", "-c", "1", "-W", "2", to]);
    return Number(/ttl=(\d+)/.exec(stdout)?.[1]);
  } catch {
    return undefined;
  }
}
const host3 = (...argv: string[]) => run(["ip", "netns", "exec", "host3", ...argv]).then((r) => r.stdout);

describe("examples/macvlan-router (scenario 5 complete) through the real pulumi CLI", () => {
  const stack = new PulumiStack(exampleDir("macvlan-router"));
  beforeAll(() => stack.init({ router: "false" }));
  afterAll(() => stack.dispose());

  it("without the router, same-network pairs ping and cross-network pairs do not", async () => {
    await stack.up();
    expect(await pings("d1", "172.16.10.11")).toBe(true);
    expect(await pings("d2", "172.16.20.11")).toBe(true);
    expect(await replyTtl("d1", "172.16.20.10")).toBeUndefined();
    expect(await replyTtl("d1", "172.16.20.11")).toBeUndefined();
  });

  it("host3 as a router is one sysctl and four rules; then d1 reaches d2 and d4 with a reply TTL of 63", async () => {
    await stack.setConfig("router", "true");
    const plan = await stack.preview();
    expect(planned(plan.stdout, "Sysctl", "create")).toBe(true);
    expect(plan.stdout.match(/linuxnet:IptablesRule: \(create\)/g)).toHaveLength(4);
    await stack.up();
    expect((await host3("sysctl", "-n", "net.ipv4.ip_forward")).trim()).toBe("1");
    expect(await replyTtl("d1", "172.16.20.10")).toBe(63);
    expect(await replyTtl("d1", "172.16.20.11")).toBe(63);
    expect(await replyTtl("d4", "172.16.10.10")).toBe(63);
    expect(await replyTtl("d1", "172.16.10.11")).toBe(64); // same network: no hop
    expect((await stack.outputs()).routerMade).toEqual([
      "sysctl net.ipv4.ip_forward=1",
      "iptables -t filter -A FORWARD -i enp0s8 -o enp0s9 -j ACCEPT",
      "iptables -t filter -A FORWARD -i enp0s9 -o enp0s8 -j ACCEPT",
      "iptables -t nat -A POSTROUTING -o enp0s8 -j MASQUERADE",
      "iptables -t nat -A POSTROUTING -o enp0s9 -j MASQUERADE",
    ]);
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("refresh finds a FORWARD rule deleted and forwarding switched off by hand; up repairs both", async () => {
    const line = (await host3("iptables", "-S", "FORWARD")).split("\n").find((l) => l.includes("-i enp0s8 -o enp0s9"))!;
    await host3("iptables", "-D", "FORWARD", ...line.replace(/^-A FORWARD /, "").replace(/"/g, "").split(" "));
    await host3("sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
    expect(await replyTtl("d1", "172.16.20.10")).toBeUndefined();
    await stack.refresh();
    const plan = await stack.preview();
    expect(planned(plan.stdout, "IptablesRule", "create")).toBe(true);
    expect(planned(plan.stdout, "Sysctl", "update")).toBe(true);
    await stack.up();
    expect(await replyTtl("d1", "172.16.20.10")).toBe(63);
  });

  it("a killed up that adds the router again converges on the next one", async () => {
    await stack.setConfig("router", "false");
    await stack.up();
    expect((await host3("iptables", "-S", "FORWARD")).trim()).toBe("-P FORWARD ACCEPT");
    await stack.setConfig("router", "true");
    const killed = await stack.cliKilled(["up", "--yes", "--skip-preview"], (out) => stepsDone(out, "created") >= 2, "cli");
    expect(killed.killed).toBe(true);
    await stack.cli(["cancel", "--yes"]);
    await stack.up();
    expect(await replyTtl("d1", "172.16.20.11")).toBe(63);
    expect((await host3("iptables", "-S", "FORWARD")).split("\n").filter((l) => l.startsWith("-A"))).toHaveLength(2);
  });

  it("destroy leaves no namespace behind", async () => {
    await stack.destroy();
    for (const ns of LAB) expect(namedNamespaces()).not.toContain(ns);
  });
});

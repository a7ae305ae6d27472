/**
 * examples/macvlan-router (scenario 5 complete) through the real CLI: two macvlan networks
 * across two hosts, apart at layer 2, joined by host3 as a router — d1 reaches d2 and d4 in
 * one hop (reply TTL 63). The example states this as probes; the pings here check the kernel
 * independently of them.
 */
import { run } from "../support/local";
import { EMPTY_SANDBOX, leftInSandbox, pings } from "../support/kernel";
import { exampleDir, planned, PulumiStack, stepsDone } from "../support/pulumi";
import { expectJudged, judgeReachability } from "../support/reachability";
import { maybeWriteFixture, runCli } from "../unit/cli/helpers";

jest.setTimeout(300_000);

/**
 * Both judgements (without and with the router): IPv4 every pair; IPv6 the link-local pairs
 * (the stack has no IPv6 address of its own), but for the LAN bridges lan10 and lan20, which
 * have no MAC of their own in the state (a bridge's follows its ports), so their link-local
 * addresses are not known.
 */
const JUDGED = { ipv4: { compared: 48 }, ipv6: { compared: 32, unknown: { count: 8, why: /^the link-local address of sw lan(10|20) is not known / } } };

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

  it("without the router, same-network pairs ping and cross-network pairs do not; the probes say so", async () => {
    await stack.up();
    expect(await pings("d1", "172.16.10.11")).toBe(true);
    expect(await pings("d2", "172.16.20.11")).toBe(true);
    expect(await replyTtl("d1", "172.16.20.10")).toBeUndefined();
    expect(await replyTtl("d1", "172.16.20.11")).toBeUndefined();
    expectJudged(await judgeReachability(stack, "examples/macvlan-router without the router"), JUDGED);
    expect((await stack.outputs()).seen).toEqual({
      "d1 → d3": expect.objectContaining({ reachable: true, ttl: 64 }),
      "d2 → d4": expect.objectContaining({ reachable: true, ttl: 64 }),
      "d1 → d2": expect.objectContaining({ reachable: false, received: 0 }),
    });
  });

  it("host3 as a router is one sysctl and four rules; a killed up that adds it converges on the next one, and d1 reaches d2 and d4 with a reply TTL of 63", async () => {
    await stack.setConfig("router", "true");
    const plan = await stack.preview();
    expect(planned(plan.stdout, "Sysctl", "create")).toBe(true);
    expect(plan.stdout.match(/linuxnet:IptablesRule: \(create\)/g)).toHaveLength(4);
    expect(planned(plan.stdout, "Probe", "update")).toBe(true); // d1 → d2: now expected reachable, TTL 63
    const killed = await stack.cliKilled(["up", "--yes", "--skip-preview"], (out) => stepsDone(out, "created") >= 2, "cli");
    expect(killed.killed).toBe(true);
    await stack.cli(["cancel", "--yes"]);
    await stack.up();
    expect((await host3("sysctl", "-n", "net.ipv4.ip_forward")).trim()).toBe("1");
    expect((await host3("iptables", "-S", "FORWARD")).split("\n").filter((l) => l.startsWith("-A"))).toHaveLength(2);
    expect(await replyTtl("d1", "172.16.20.10")).toBe(63);
    expect(await replyTtl("d1", "172.16.20.11")).toBe(63);
    expect(await replyTtl("d4", "172.16.10.10")).toBe(63);
    expect(await replyTtl("d1", "172.16.10.11")).toBe(64); // same network: no hop
    expectJudged(await judgeReachability(stack, "examples/macvlan-router with host3 routing"), JUDGED);
    const out = await stack.outputs();
    expect(out.routerMade).toEqual([
      "sysctl net.ipv4.ip_forward=1",
      "iptables -t filter -A FORWARD -i enp0s8 -o enp0s9 -j ACCEPT",
      "iptables -t filter -A FORWARD -i enp0s9 -o enp0s8 -j ACCEPT",
      "iptables -t nat -A POSTROUTING -o enp0s8 -j MASQUERADE",
      "iptables -t nat -A POSTROUTING -o enp0s9 -j MASQUERADE",
    ]);
    expect(out.seen).toEqual({
      "d1 → d3": expect.objectContaining({ reachable: true, ttl: 64 }),
      "d1 → d2": expect.objectContaining({ reachable: true, ttl: 63 }),
      "d1 → d4": expect.objectContaining({ reachable: true, ttl: 63 }),
      "d4 → d1": expect.objectContaining({ reachable: true, ttl: 63 }),
    });
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("refresh finds a FORWARD rule deleted and forwarding switched off by hand; up repairs both", async () => {
    const line = (await host3("iptables", "-S", "FORWARD")).split("\n").find((l) => l.includes("-i enp0s8 -o enp0s9"))!;
    await host3("iptables", "-D", "FORWARD", ...line.replace(/^-A FORWARD /, "").replace(/"/g, "").split(" "));
    await host3("sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
    expect(await replyTtl("d1", "172.16.20.10")).toBeUndefined();
    const refreshed = await stack.refresh();
    expect(refreshed.stdout).toMatch(/~ +pulumi-nodejs:dynamic\/linuxnet:Probe +ping-d1-d2 +updated/);
    expect(refreshed.stdout).not.toMatch(/Probe +ping-d1-d3 +updated/); // same network: not through host3
    const plan = await stack.preview();
    expect(planned(plan.stdout, "IptablesRule", "create")).toBe(true);
    expect(planned(plan.stdout, "Sysctl", "update")).toBe(true);
    expect(planned(plan.stdout, "Probe", "update")).toBe(true);
    await stack.up();
    expect(await replyTtl("d1", "172.16.20.10")).toBe(63);
    expect(((await stack.outputs()).seen as Record<string, unknown>)["d1 → d2"]).toMatchObject({ reachable: true, ttl: 63 });
  });

  it("back to router false: up deletes the router only after every other step, so the probe now expecting d1 → d2 unreachable fails in one line; destroying the router first (with what depends on it) and then up gets there", async () => {
    await stack.setConfig("router", "false");
    // A pull request that removes the router: the summary says which pairs stop answering, and why.
    const plan = (await stack.cli(["preview", "--json", "--show-sames"])).stdout;
    maybeWriteFixture("macvlan-router-removed", plan);
    const summary = runCli(["preview-summary"], plan).stdout;
    expect(summary).toMatch(/^> ⚠️ (\d+) pairs of 48 change: \1 stop answering, 0 start\.$/m);
    expect(summary).toContain("- `d1` → `172.16.20.10`: reachable (TTL 63) → **unreachable**: host3 does not forward: net.ipv4.ip_forward is 0 (a new namespace's default) (");
    expect(summary).toMatch(/- `d1` → `172\.16\.20\.10`: .*Sysctl host3-ip-forward deleted/);
    const failed = await stack.cli(["up", "--yes", "--skip-preview"], true);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout).toMatch(/^\s+error: probe d1 → 172\.16\.20\.10: expected unreachable, got a reply with TTL 63 in [\d.]+ ms$/m);
    expect((await host3("iptables", "-S", "FORWARD")).split("\n").filter((l) => l.startsWith("-A"))).toHaveLength(2); // the failure stopped the deletes
    const exported = JSON.parse((await stack.cli(["stack", "export"])).stdout);
    const routerUrn = exported.deployment.resources.find((r: { type: string }) => r.type === "linuxnet:index:Router").urn;
    await stack.cli(["destroy", "--yes", "--skip-preview", "--target-dependents", "--target", routerUrn]);
    expect((await host3("iptables", "-S", "FORWARD")).trim()).toBe("-P FORWARD ACCEPT");
    expect((await host3("sysctl", "-n", "net.ipv4.ip_forward")).trim()).toBe("0");
    await stack.up();
    expect(((await stack.outputs()).seen as Record<string, unknown>)["d1 → d2"]).toMatchObject({ reachable: false, received: 0 });
  });

  it("destroy leaves nothing behind: no namespace, only lo", async () => {
    await stack.destroy();
    expect(await leftInSandbox()).toEqual(EMPTY_SANDBOX); // only lo, and no namespace
  });
});

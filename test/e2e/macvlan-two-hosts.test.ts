import { ip, ipJson } from "../support/local";
import { addressesOf, EMPTY_SANDBOX, leftInSandbox, linkState, namedNamespaces, pings } from "../support/kernel";
import { exampleDir, planned, PulumiStack, stepsDone } from "../support/pulumi";
import { expectJudged, judgeReachability } from "../support/reachability";

jest.setTimeout(300_000);

const LAB = ["lan", "host1", "host2", "c1", "c2"];

describe("examples/macvlan-two-hosts (scenario 4) through the real pulumi CLI", () => {
  const stack = new PulumiStack(exampleDir("macvlan-two-hosts"));
  beforeAll(() => stack.init());
  afterAll(async () => {
    await stack.dispose();
    process.stdout.write(`pulumi timings (ms): ${stack.timings.map(([c, ms]) => `${c}=${ms}`).join(", ")}\n`);
  });

  it("a killed up converges on the next one; then c1 pings c2 across the LAN, and the parents are promiscuous", async () => {
    const killed = await stack.cliKilled(["up", "--yes", "--skip-preview"], (out) => stepsDone(out, "created") >= 6, "cli");
    expect(killed.killed).toBe(true);
    await stack.cli(["cancel", "--yes"]);
    await stack.up();
    expect(namedNamespaces()).toEqual(expect.arrayContaining(LAB));
    expect(await pings("c1", "172.16.10.3")).toBe(true);
    expect(await pings("c2", "172.16.10.2")).toBe(true);
    expect((await linkState("enp0s8", "host1"))?.flags).toContain("PROMISC");
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("without hostAccess host1 cannot reach its own container, though it reaches c2 on the other host", async () => {
    expect(await pings("host1", "172.16.10.3")).toBe(true);
    expect(await pings("host1", "172.16.10.2")).toBe(false);
    expect((await stack.outputs()).seen).toEqual({
      "c1 → c2": expect.objectContaining({ reachable: true, ttl: 64 }),
      "c2 → c1": expect.objectContaining({ reachable: true, ttl: 64 }),
      "host1 → c2": expect.objectContaining({ reachable: true }),
      "host1 → c1": expect.objectContaining({ reachable: false, received: 0 }),
    });
    // IPv6: the LAN bridge br-lan has no MAC of its own in the state (a bridge's follows its ports), so pairs to its link-local address are unknown.
    expectJudged(await judgeReachability(stack, "examples/macvlan-two-hosts without hostAccess"), { ipv4: { compared: 25 }, ipv6: { compared: 8, unknown: { count: 4, why: /^the link-local address of lan br-lan is not known / } } });
  });

  it("hostAccess is an in-place update of the network and the endpoint; then host1 reaches c1 through the shim", async () => {
    await stack.setConfig("hostAccess", "true");
    const plan = await stack.preview();
    expect(planned(plan.stdout, "MacvlanNetwork", "update")).toBe(true);
    expect(planned(plan.stdout, "MacvlanEndpoint", "update")).toBe(true);
    expect(planned(plan.stdout, "Probe", "update")).toBe(true);
    expect(plan.stdout).not.toMatch(/replace/);
    await stack.up();
    expect(await addressesOf("mac1-shim", "host1")).toEqual(["172.16.10.254/32"]);
    expect(await pings("host1", "172.16.10.2")).toBe(true);
    const out = await stack.outputs();
    expect(out.shim).toEqual({ name: "mac1-shim", address: "172.16.10.254" });
    expect((out.seen as Record<string, unknown>)["host1 → c1"]).toMatchObject({ reachable: true }); // the same probe, now expecting reachable
    expect((await stack.outputs()).shim).toEqual({ name: "mac1-shim", address: "172.16.10.254" });
    expectJudged(await judgeReachability(stack, "examples/macvlan-two-hosts with hostAccess"), { ipv4: { compared: 30 }, ipv6: { compared: 14, unknown: { count: 4, why: /^the link-local address of lan br-lan is not known / } } });
  });

  it("a new address updates c1 in place (host route moved too); a new interface name replaces it", async () => {
    const before = (await linkState("eth0", "c1"))?.ifindex;
    await stack.setConfig("c1Address", "172.16.10.12");
    expect(planned((await stack.preview()).stdout, "MacvlanEndpoint", "update")).toBe(true);
    await stack.up();
    expect((await linkState("eth0", "c1"))?.ifindex).toBe(before);
    expect(await addressesOf("eth0", "c1")).toEqual(["172.16.10.12/24"]);
    expect(await ipJson(["route", "show", "172.16.10.2/32"], { netns: "host1" })).toEqual([]);
    expect(await pings("host1", "172.16.10.12")).toBe(true);

    await stack.setConfig("c1Name", "eth1");
    const plan = await stack.preview();
    expect(planned(plan.stdout, "MacvlanEndpoint", "replace")).toBe(true);
    await stack.up();
    expect(await linkState("eth0", "c1")).toBeUndefined();
    expect(await pings("c1", "172.16.10.3")).toBe(true);
  });

  it("refresh finds c1's default route deleted and its link set down by hand; up repairs both", async () => {
    await ip(["route", "del", "default"], { netns: "c1" });
    await ip(["link", "set", "dev", "eth1", "down"], { netns: "c1" });
    expect(await pings("c1", "172.16.10.3")).toBe(false);
    await stack.refresh();
    // The refreshed state is what the kernel has: c1's link down, its default route gone.
    expectJudged(await judgeReachability(stack, "examples/macvlan-two-hosts after refresh found c1 down"), { ipv4: { compared: 30 }, ipv6: { compared: 8, unknown: { count: 2, why: /^the link-local address of lan br-lan is not known / } } });
    const plan = await stack.preview();
    expect(planned(plan.stdout, "MacvlanEndpoint", "update")).toBe(true);
    expect(plan.stdout).toMatch(/~ defaultRoute\s*: false => true/);
    await stack.up();
    expect(await pings("c1", "172.16.10.3")).toBe(true);
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("destroy leaves nothing behind: no namespace, only lo", async () => {
    await stack.destroy();
    expect(await leftInSandbox()).toEqual(EMPTY_SANDBOX); // only lo, and no namespace
  });
});

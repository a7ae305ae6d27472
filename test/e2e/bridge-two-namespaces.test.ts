import { ip } from "../support/local";
import { linkState, links, namedNamespaces, pings } from "../support/kernel";
import { exampleDir, planned, PulumiStack } from "../support/pulumi";
import { expectJudged, judgeReachability } from "../support/reachability";

jest.setTimeout(300_000);

const allPairsPing = async () =>
  (await pings("net1", "192.168.0.102")) && (await pings("net2", "192.168.0.101")) && (await pings("net1", "192.168.0.100")) && (await pings(undefined, "192.168.0.102"));

describe("examples/bridge-two-namespaces (scenario 2) through the real pulumi CLI", () => {
  const stack = new PulumiStack(exampleDir("bridge-two-namespaces"));
  beforeAll(() => stack.init({ withBridge: "false" }));
  afterAll(() => stack.dispose());

  it("without the bridge, net1 and net2 cannot reach each other", async () => {
    await stack.up();
    expect(namedNamespaces()).toEqual(expect.arrayContaining(["net1", "net2"]));
    expect(await pings("net1", "192.168.0.102")).toBe(false);
    expect(await pings("net2", "192.168.0.101")).toBe(false);
    expect((await stack.outputs()).seen).toEqual({
      "net1 → net2": expect.objectContaining({ reachable: false, received: 0 }),
      "net2 → net1": expect.objectContaining({ reachable: false, received: 0 }),
    });
    expectJudged(await judgeReachability(stack, "examples/bridge-two-namespaces without the bridge"), { ipv4: { compared: 6 }, ipv6: { compared: 10 } });
  });

  it("adding the bridge previews as one create and two in-place port updates; after up all ping", async () => {
    await stack.setConfig("withBridge", "true");
    const plan = await stack.preview();
    expect(planned(plan.stdout, "Bridge", "create")).toBe(true);
    expect(plan.stdout).toMatch(/\+ 2 to create/); // the bridge, and the probe of net1 → br0
    expect(plan.stdout).toMatch(/~ 4 to update/); // two ports, and two probes now expecting "reachable"
    expect(planned(plan.stdout, "Probe", "update")).toBe(true);
    expect(plan.stdout).not.toMatch(/replace/);
    // Property by property: the ports gain a master and nothing else moves.
    expect(plan.stdout.match(/^\s+\+ master\s*: "br0"$/gm)).toHaveLength(2);
    expect(plan.stdout).not.toMatch(/^\s+[-~] (addresses|up|mtu|mac|name|netns|master)\s*:/m);
    await stack.up();
    expect((await linkState("veth1_p"))?.master).toBe("br0");
    expect(await allPairsPing()).toBe(true);
    expect((await stack.outputs()).seen).toEqual({
      "net1 → net2": expect.objectContaining({ reachable: true, ttl: 64 }),
      "net1 → br0": expect.objectContaining({ reachable: true, ttl: 64 }),
      "net2 → net1": expect.objectContaining({ reachable: true, ttl: 64 }),
    });
    expectJudged(await judgeReachability(stack, "examples/bridge-two-namespaces with the bridge"), { ipv4: { compared: 9 }, ipv6: { compared: 11 } });
    expect(await pings("net1", "fd00:192:168::102")).toBe(true); // dual-stack (the judge waited for DAD to end)
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("refresh finds a port detached by hand; up attaches it again", async () => {
    await ip(["link", "set", "dev", "veth1_p", "nomaster"]);
    expect(await pings("net1", "192.168.0.102")).toBe(false);
    const refreshed = await stack.refresh();
    expect(refreshed.stdout).toMatch(/~ +pulumi-nodejs:dynamic\/linuxnet:Probe +ping-net1-net2 +updated/);
    const plan = await stack.preview();
    expect(planned(plan.stdout, "VethPair", "update")).toBe(true);
    expect(planned(plan.stdout, "Probe", "update")).toBe(true);
    await stack.up();
    expect((await linkState("veth1_p"))?.master).toBe("br0");
    expect(await allPairsPing()).toBe(true);
  });

  it("refresh finds the bridge deleted by hand; up recreates it and re-attaches both ports", async () => {
    await ip(["link", "del", "dev", "br0"]);
    const refreshed = await stack.refresh();
    expect(refreshed.stdout).toMatch(/- +pulumi-nodejs:dynamic\/linuxnet:Bridge +br0 +deleted/);
    await stack.up();
    expect((await linkState("veth2_p"))?.master).toBe("br0");
    expect(await allPairsPing()).toBe(true);
  });

  it("destroy leaves no namespace, link or address behind", async () => {
    await stack.destroy();
    expect(namedNamespaces().filter((n) => n.startsWith("net"))).toEqual([]);
    expect((await links()).map((l) => l.ifname)).toEqual(["lo"]);
  });
});

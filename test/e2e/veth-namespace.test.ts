import { ip } from "../support/local";
import { addressesOf, linkState, links, namedNamespaces, pings } from "../support/kernel";
import { exampleDir, planned, PulumiStack } from "../support/pulumi";
import { expectJudged, judgeReachability } from "../support/reachability";

jest.setTimeout(300_000);

describe("examples/veth-namespace (scenario 1) through the real pulumi CLI", () => {
  const stack = new PulumiStack(exampleDir("veth-namespace"));
  beforeAll(() => stack.init());
  afterAll(() => stack.dispose());

  it("up: net1 and the root namespace ping each other; outputs give each end's peer ifindex", async () => {
    await stack.up();
    expectJudged(await judgeReachability(stack, "examples/veth-namespace after up"), { ipv4: { compared: 4 }, ipv6: { compared: 2 } });
    expect(await pings("net1", "192.168.0.100")).toBe(true);
    expect(await pings(undefined, "192.168.0.101")).toBe(true);
    const out = await stack.outputs();
    const [inNs, inRoot] = [await linkState("veth1", "net1"), await linkState("veth1_p")];
    expect(out.veth1).toEqual({ ifindex: inNs?.ifindex, peerIfindex: inRoot?.ifindex, mac: inNs?.address });
    expect(out.veth1_p).toEqual({ ifindex: inRoot?.ifindex, peerIfindex: inNs?.ifindex, mac: inRoot?.address });
    expect(inNs?.link_index).toBe(inRoot?.ifindex);
    // the example's probes: each side reached the other directly
    expect(out.seen).toEqual({
      "net1 → veth1_p": expect.objectContaining({ reachable: true, ttl: 64, received: 1 }),
      "root → veth1": expect.objectContaining({ reachable: true, ttl: 64, received: 1 }),
    });
  });

  it("previews no changes right after up", async () => {
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("previews an address change as an update in place; up moves the address on the same link", async () => {
    const before = (await linkState("veth1", "net1"))?.ifindex;
    await stack.setConfig("endAddress", "192.168.0.111/24");
    const plan = await stack.preview();
    expect(planned(plan.stdout, "VethPair", "update")).toBe(true);
    expect(plan.stdout).toMatch(/~ \[0\]: "192\.168\.0\.101\/24" => "192\.168\.0\.111\/24"/);
    expect(plan.stdout).not.toMatch(/replace/);
    expect(planned(plan.stdout, "Probe", "update")).toBe(true); // its destination moves with the address
    await stack.up();
    expect((await linkState("veth1", "net1"))?.ifindex).toBe(before);
    expect(await addressesOf("veth1", "net1")).toEqual(["192.168.0.111/24"]);
    expect(await pings(undefined, "192.168.0.111")).toBe(true);
    expect(((await stack.outputs()).seen as Record<string, unknown>)["root → veth1"]).toMatchObject({ reachable: true, ttl: 64 });
  });

  it("previews renaming an end as a replacement; up recreates the pair under the new name", async () => {
    await stack.setConfig("endName", "veth9");
    const plan = await stack.preview();
    expect(planned(plan.stdout, "VethPair", "replace")).toBe(true);
    expect(plan.stdout).toMatch(/\+-1 to replace/);
    await stack.up();
    expect(await linkState("veth1", "net1")).toBeUndefined();
    expect(await addressesOf("veth9", "net1")).toEqual(["192.168.0.111/24"]);
    expect(await pings("net1", "192.168.0.100")).toBe(true);
  });

  it("refresh finds an address removed and a link set down by hand; up repairs both", async () => {
    await ip(["addr", "del", "192.168.0.100/24", "dev", "veth1_p"]);
    await ip(["link", "set", "dev", "veth9", "down"], { netns: "net1" });
    expect(await pings("net1", "192.168.0.100")).toBe(false);
    const refreshed = await stack.refresh();
    // the probes saw it too: neither side reaches the other now
    expect(refreshed.stdout).toMatch(/~ +pulumi-nodejs:dynamic\/linuxnet:Probe +ping-net1-veth1_p +updated/);
    expect(refreshed.stdout).toMatch(/~ +pulumi-nodejs:dynamic\/linuxnet:Probe +ping-root-veth1 +updated/);
    const plan = await stack.preview();
    expect(planned(plan.stdout, "VethPair", "update")).toBe(true);
    expect(planned(plan.stdout, "Probe", "update")).toBe(true);
    expect(plan.stdout).toMatch(/~ 3 to update/); // the pair, and both probes to check again
    await stack.up();
    expect(await pings("net1", "192.168.0.100")).toBe(true);
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("destroy leaves no namespace, link or address behind", async () => {
    await stack.destroy();
    expect(namedNamespaces()).not.toContain("net1");
    expect((await links()).map((l) => l.ifname)).toEqual(["lo"]);
  });
});

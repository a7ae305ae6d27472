import { bridge } from "../../provider/kinds/bridge";
import { veth } from "../../provider/kinds/veth";
import { ip } from "../support/local";
import { addressesOf, freshNamespace, linkState, pings, removeNamespaces } from "../support/kernel";

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});

describe("Bridge on the real kernel", () => {
  it("joins two namespaces: they cannot ping before the ports are on the bridge and can after", async () => {
    const [host, n1, n2] = [await freshNamespace(made, "h"), await freshNamespace(made), await freshNamespace(made)];
    const v1 = await veth.create({ end: { name: "veth1", netns: n1, addresses: ["192.168.0.101/24"] }, peer: { name: "veth1_p", netns: host } });
    const v2 = await veth.create({ end: { name: "veth2", netns: n2, addresses: ["192.168.0.102/24"] }, peer: { name: "veth2_p", netns: host } });
    expect(await pings(n1, "192.168.0.102")).toBe(false);

    const br = await bridge.create({ name: "br0", netns: host, addresses: ["192.168.0.100/24"] });
    expect(br.outs).toMatchObject({ name: "br0", stp: false, up: true, ifindex: (await linkState("br0", host))?.ifindex });
    for (const [v, port] of [[v1, "veth1_p"], [v2, "veth2_p"]] as const) {
      await veth.update(v.id, v.outs, { end: v.outs.end as object, peer: { name: port, netns: host, master: "br0" } });
    }
    expect((await linkState("veth1_p", host))?.master).toBe("br0");
    // The "before" ping left its ARP entry INCOMPLETE, next probe up to a second away: start afresh.
    await ip(["neigh", "flush", "all"], { netns: n1 });
    expect(await pings(n1, "192.168.0.102")).toBe(true);
    expect(await pings(n2, "192.168.0.100")).toBe(true);
  });

  it("round-trips and updates STP, MTU and addresses in place; reads a bridge deleted by hand as gone", async () => {
    const ns = await freshNamespace(made);
    const c = await bridge.create({ name: "br1", netns: ns, stp: true, addresses: ["10.9.0.1/16"] });
    expect(String((await linkState("br1", ns)) && (await bridge.read(c.id, c.outs)).inputs?.stp)).toBe("true");
    const { outs } = await bridge.update(c.id, c.outs, { name: "br1", netns: ns, stp: false, mtu: 1400, addresses: ["10.9.0.2/16"] });
    const l = await linkState("br1", ns);
    expect([l?.ifindex, l?.mtu]).toEqual([c.outs.ifindex, 1400]);
    expect(await addressesOf("br1", ns)).toEqual(["10.9.0.2/16"]);
    expect(outs).toMatchObject({ stp: false, actualMtu: 1400 });
    expect((await bridge.read(c.id, { ...c.outs, ...outs })).inputs).toMatchObject({ stp: false, mtu: 1400, addresses: ["10.9.0.2/16"] });
    await ip(["link", "del", "br1"], { netns: ns });
    expect(await bridge.read(c.id, c.outs)).toEqual({ id: "", props: {} });
    await expect(bridge.delete(c.id, c.outs)).resolves.toBeUndefined();
  });
});

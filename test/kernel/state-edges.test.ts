/**
 * What refreshes, crashes and neighbours leave behind: states that hold what the kernel had,
 * objects gone or replaced by hand, two owners near one thing. Each case was once a defect.
 */
import { bridge } from "../../provider/kinds/bridge";
import { iptables } from "../../provider/kinds/iptables";
import { macvlanEndpoint } from "../../provider/kinds/macvlan-endpoint";
import { macvlanNetwork } from "../../provider/kinds/macvlan-network";
import { ownerOf } from "../../provider/core/owner";
import { route } from "../../provider/kinds/route";
import { ip, ipJson, run } from "../support/local";
import { sysctl } from "../../provider/kinds/sysctl";
import { addressesOf, freshNamespace, linkState, removeNamespaces } from "../support/kernel";

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});

type Props = Record<string, unknown>;
type H = { check: Function; create: Function; read: Function; update: Function; delete: Function; diff: Function };
const checked = async (h: H, props: Props): Promise<Props> => {
  const r = await h.check({}, props);
  expect(r.failures).toEqual([]);
  return r.inputs;
};
const owner = (kind: string, name: string, stack = "dev") => ownerOf("lab", stack, kind, name);
const exec = async (ns: string, ...argv: string[]) => (await run(["ip", "netns", "exec", ns, ...argv])).stdout;

/** A host namespace with enp0s8 (a veth end, up) and a container namespace. */
async function hostAndContainer(): Promise<[string, string]> {
  const [h, c] = [await freshNamespace(made, "h"), await freshNamespace(made, "c")];
  await ip(["link", "add", "name", "enp0s8", "type", "veth", "peer", "name", "x1"], { netns: h });
  await ip(["link", "set", "enp0s8", "up"], { netns: h });
  return [h, c];
}
const net = (h: string) => ({ parent: "enp0s8", netns: h, mode: "bridge", subnet: "172.16.10.0/24", gateway: "172.16.10.1" });

describe("a state that holds what the kernel had", () => {
  it("an endpoint whose address was flushed by hand: refresh records it, up repairs it, destroy removes it", async () => {
    const [h, c] = await hostAndContainer();
    const inputs = await checked(macvlanEndpoint, { netns: c, address: "172.16.10.2", network: net(h), owner: owner("MacvlanEndpoint", "c") });
    const e = await macvlanEndpoint.create(inputs);
    await ip(["addr", "flush", "dev", "eth0"], { netns: c });
    const r = await macvlanEndpoint.read(e.id, e.outs);
    expect(r.inputs!.address).not.toBe("172.16.10.2");
    await macvlanEndpoint.update(e.id, r.props, inputs); // the state now holds an address the rules refuse
    expect(await addressesOf("eth0", c)).toEqual(["172.16.10.2/24"]);
    await ip(["addr", "flush", "dev", "eth0"], { netns: c });
    const again = await macvlanEndpoint.read(e.id, e.outs);
    await macvlanEndpoint.delete(e.id, again.props);
    expect(await linkState("eth0", c)).toBeUndefined();
  });

  it("a route moved by hand to another device without its gateway reads as valid inputs and is repaired", async () => {
    const [h] = await hostAndContainer();
    await ip(["addr", "add", "10.1.0.2/24", "dev", "enp0s8"], { netns: h });
    const inputs = await checked(route, { destination: "10.9.0.0/24", via: "10.1.0.1", netns: h, owner: owner("Route", "r") });
    const c = await route.create(inputs);
    await ip(["route", "replace", "10.9.0.0/24", "dev", "enp0s8", "proto", "148"], { netns: h });
    const r = await route.read(c.id, c.outs);
    expect(r.inputs).toMatchObject({ dev: "enp0s8" });
    expect((await route.check({}, r.inputs!)).failures).toEqual([]);
    await route.update(c.id, r.props, inputs);
    expect(await ipJson(["route", "show", "exact", "10.9.0.0/24"], { netns: h })).toEqual([expect.objectContaining({ gateway: "10.1.0.1" })]);
  });
});

describe("objects gone or replaced by hand", () => {
  it("a sysctl whose namespace is gone reads as gone and deletes without error", async () => {
    const ns = await freshNamespace(made);
    const c = await sysctl.create(await checked(sysctl, { key: "net.ipv4.ip_forward", value: 1, netns: ns, owner: owner("Sysctl", "f") }));
    await ip(["netns", "del", ns]);
    made.delete(ns);
    expect(await sysctl.read(c.id, c.outs)).toEqual({ id: "", props: {} });
    await expect(sysctl.delete(c.id, c.outs)).resolves.toBeUndefined();
  });

  it("a sysctl of an interface that is gone reads as gone and deletes without error", async () => {
    const ns = await freshNamespace(made);
    await ip(["link", "add", "name", "v0", "type", "veth", "peer", "name", "v1"], { netns: ns });
    const c = await sysctl.create(await checked(sysctl, { key: "net.ipv4.conf.v0.forwarding", value: 1, netns: ns, owner: owner("Sysctl", "v") }));
    await ip(["link", "del", "dev", "v0"], { netns: ns });
    expect(await sysctl.read(c.id, c.outs)).toEqual({ id: "", props: {} });
    await expect(sysctl.delete(c.id, c.outs)).resolves.toBeUndefined();
  });

  it("a bridge replaced by a hand-made link of its name is read as gone and never deleted", async () => {
    const ns = await freshNamespace(made);
    const b = await bridge.create({ name: "br0", netns: ns, owner: owner("Bridge", "br0") });
    await ip(["link", "del", "dev", "br0"], { netns: ns });
    await ip(["link", "add", "name", "br0", "type", "bridge"], { netns: ns });
    await ip(["addr", "add", "192.168.50.1/24", "dev", "br0"], { netns: ns });
    expect(await bridge.read(b.id, b.outs)).toEqual({ id: "", props: {} });
    await bridge.delete(b.id, b.outs);
    expect(await addressesOf("br0", ns)).toEqual(["192.168.50.1/24"]);
  });

  it("a rule whose user chain was removed reads as gone and deletes without error", async () => {
    const ns = await freshNamespace(made);
    await exec(ns, "iptables", "-N", "MYCHAIN");
    const c = await iptables.create(await checked(iptables, { chain: "MYCHAIN", rule: ["-j", "RETURN"], netns: ns, owner: owner("IptablesRule", "m") }));
    await exec(ns, "iptables", "-F", "MYCHAIN");
    await exec(ns, "iptables", "-X", "MYCHAIN");
    expect(await iptables.read(c.id, c.outs)).toEqual({ id: "", props: {} });
    await expect(iptables.delete(c.id, c.outs)).resolves.toBeUndefined();
  });
});

describe("routes", () => {
  it("an IPv6 route without a metric (the kernel's 1024) is created, read and deleted", async () => {
    const [h] = await hostAndContainer();
    await ip(["addr", "add", "fd00::2/64", "dev", "enp0s8", "nodad"], { netns: h });
    const c = await route.create(await checked(route, { destination: "fd00:1::/64", via: "fd00::1", netns: h, owner: owner("Route", "v6") }));
    expect((await route.read(c.id, c.outs)).inputs).toMatchObject({ destination: "fd00:1::/64", via: "fd00::1" });
    await route.delete(c.id, c.outs);
    expect(await ipJson(["-6", "route", "show", "exact", "fd00:1::/64"], { netns: h })).toEqual([]);
  });

  it("another stack's route at the same key is refused, and a delete never removes a neighbour of another metric", async () => {
    const [h] = await hostAndContainer();
    await ip(["addr", "add", "10.0.0.2/24", "dev", "enp0s8"], { netns: h });
    const prod = await route.create(await checked(route, { destination: "10.9.0.0/24", via: "10.0.0.1", netns: h, owner: owner("Route", "r", "prod") }));
    await expect(route.create(await checked(route, { destination: "10.9.0.0/24", via: "10.0.0.3", netns: h, owner: owner("Route", "r") }))).rejects.toThrow(
      /belongs to resource Route "r" of stack "prod"/,
    );
    const m100 = await route.create(await checked(route, { destination: "10.8.0.0/24", via: "10.0.0.1", metric: 100, netns: h, owner: owner("Route", "m100") }));
    const plain = await checked(route, { destination: "10.8.0.0/24", via: "10.0.0.1", netns: h, owner: owner("Route", "m0") });
    await route.delete("x", plain); // never created: nothing of its own to remove
    expect(await ipJson(["route", "show", "exact", "10.8.0.0/24"], { netns: h })).toHaveLength(1);
    await route.delete(m100.id, m100.outs);
    await route.delete(prod.id, prod.outs);
    expect(await ipJson(["route", "show", "exact", "10.9.0.0/24"], { netns: h })).toEqual([]);
  });
});

describe("iptables rules and tables", () => {
  it("moves a rule to a new position in place, and keeps the old rule when the kernel refuses the new place", async () => {
    const ns = await freshNamespace(made);
    await exec(ns, "iptables", "-A", "FORWARD", "-i", "x0", "-j", "DROP");
    const inputs = await checked(iptables, { chain: "FORWARD", rule: ["-i", "a0", "-j", "ACCEPT"], netns: ns, owner: owner("IptablesRule", "a") });
    const c = await iptables.create(inputs);
    const first = await checked(iptables, { ...inputs, position: 1 });
    await iptables.update(c.id, c.outs, first);
    expect((await exec(ns, "iptables", "-S", "FORWARD")).split("\n")[1]).toContain("-i a0");
    await expect(iptables.update(c.id, { ...c.outs, ...first }, await checked(iptables, { ...inputs, rule: ["-i", "b0", "-j", "ACCEPT"], position: 9 }))).rejects.toThrow(/Index of insertion too big/);
    expect(await exec(ns, "iptables", "-S", "FORWARD")).toContain("-i a0");
  });

  it("never loses a rule created while another rule's delete empties and removes its table", async () => {
    const ns = await freshNamespace(made);
    for (let round = 0; round < 10; round++) {
      const a = await iptables.create(await checked(iptables, { table: "nat", chain: "POSTROUTING", rule: ["-o", "a0", "-j", "MASQUERADE"], netns: ns, owner: owner("IptablesRule", `a${round}`) }));
      const bInputs = await checked(iptables, { table: "nat", chain: "POSTROUTING", rule: ["-o", "b0", "-j", "MASQUERADE"], netns: ns, owner: owner("IptablesRule", `b${round}`) });
      const [, b] = await Promise.all([iptables.delete(a.id, a.outs), iptables.create(bInputs)]);
      expect(await exec(ns, "iptables", "-t", "nat", "-S", "POSTROUTING")).toContain("-o b0");
      await iptables.delete(b.id, b.outs);
    }
  });
});

describe("a parent's promiscuous flag", () => {
  it("a create retried after it already set the flag still puts back what was there before", async () => {
    const [h] = await hostAndContainer();
    const inputs = await checked(macvlanNetwork, { name: "mac1", ...net(h), promiscuous: true, owner: owner("MacvlanNetwork", "m") });
    await macvlanNetwork.create(inputs);
    const again = await macvlanNetwork.create(inputs); // as the engine retries a create interrupted after the flag
    expect(again.outs.promiscFound).toBe(false);
    await macvlanNetwork.delete(again.id, again.outs);
    expect((await linkState("enp0s8", h))?.flags).not.toContain("PROMISC");
  });

  it("two networks on one parent: the flag stays until the last of them goes", async () => {
    const [h] = await hostAndContainer();
    const a = await macvlanNetwork.create(await checked(macvlanNetwork, { name: "mac1", ...net(h), promiscuous: true, owner: owner("MacvlanNetwork", "a") }));
    const b = await macvlanNetwork.create(await checked(macvlanNetwork, { name: "mac2", ...net(h), subnet: "172.16.20.0/24", gateway: "172.16.20.1", promiscuous: true, owner: owner("MacvlanNetwork", "b") }));
    await macvlanNetwork.delete(a.id, a.outs);
    expect((await linkState("enp0s8", h))?.flags).toContain("PROMISC");
    await macvlanNetwork.delete(b.id, b.outs);
    expect((await linkState("enp0s8", h))?.flags).not.toContain("PROMISC");
  });

  it("an endpoint without a default route of its own leaves another default route on its device alone", async () => {
    const [h, c] = await hostAndContainer();
    const inputs = await checked(macvlanEndpoint, { netns: c, address: "172.16.10.2", network: net(h), defaultRoute: false, owner: owner("MacvlanEndpoint", "c") });
    const e = await macvlanEndpoint.create(inputs);
    await ip(["route", "add", "default", "via", "172.16.10.254", "dev", "eth0"], { netns: c });
    await macvlanEndpoint.update(e.id, e.outs, { ...inputs, mtu: 1400 });
    expect(await ipJson(["route", "show", "default"], { netns: c })).toEqual([expect.objectContaining({ gateway: "172.16.10.254" })]);
  });
});

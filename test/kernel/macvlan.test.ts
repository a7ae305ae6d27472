/**
 * MacvlanNetwork and MacvlanEndpoint on the real kernel (which has macvlan): two "hosts" whose
 * enp0s8 are ports of one LAN bridge, a network on each, endpoints in "containers".
 */
import { bridge } from "../../provider/kinds/bridge";
import { macvlanEndpoint } from "../../provider/kinds/macvlan-endpoint";
import { macvlanNetwork } from "../../provider/kinds/macvlan-network";
import { markOf, ownerOf } from "../../provider/core/owner";
import { ip, ipJson } from "../support/local";
import { veth } from "../../provider/kinds/veth";
import { addressesOf, freshNamespace, linkState, links, pings, removeNamespaces } from "../support/kernel";

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});

type Props = Record<string, unknown>;
const created = async (h: { check: Function; create: Function }, props: Props) => {
  const { inputs, failures } = await h.check({}, props);
  expect(failures).toEqual([]);
  return (await h.create(inputs)) as { id: string; outs: Props };
};

/** A LAN bridge and two hosts, each with enp0s8 on it (addressed in 192.168.56.0/24, as in the seed). */
async function lan(): Promise<[string, string]> {
  const l = await freshNamespace(made, "lan");
  await bridge.create({ name: "br-lan", netns: l });
  const hosts: string[] = [];
  for (const k of [1, 2]) {
    const h = await freshNamespace(made, `h${k}`);
    await veth.create({ end: { name: "enp0s8", netns: h, addresses: [`192.168.56.1${k}/24`] }, peer: { name: `lan${k}`, netns: l, master: "br-lan" } });
    hosts.push(h);
  }
  return [hosts[0], hosts[1]];
}

const mac1 = (host: string, extra: Props = {}) => ({ name: "mac1", parent: "enp0s8", netns: host, subnet: "172.16.10.0/24", gateway: "172.16.10.1", promiscuous: true, ...extra });
const net = (host: string, shim?: { name: string; address: string }) => ({ parent: "enp0s8", netns: host, mode: "bridge", subnet: "172.16.10.0/24", gateway: "172.16.10.1", ...(shim && { shim }) });
const promisc = async (dev: string, netns: string) => (await linkState(dev, netns))?.flags.includes("PROMISC");

describe("macvlan networks across two hosts", () => {
  it("joins c1 on host1 and c2 on host2 (seed 004 part 1); the parent goes promiscuous and back", async () => {
    const [h1, h2] = await lan();
    const n1 = await created(macvlanNetwork, mac1(h1));
    const n2 = await created(macvlanNetwork, mac1(h2));
    expect(await promisc("enp0s8", h1)).toBe(true);
    expect(n1.outs).toMatchObject({ promiscFound: false, parentIfindex: (await linkState("enp0s8", h1))?.ifindex });
    const [c1, c2] = [await freshNamespace(made, "c"), await freshNamespace(made, "c")];
    const owner = ownerOf("lab", "dev", "MacvlanEndpoint", "c1");
    const e1 = await created(macvlanEndpoint, { netns: c1, address: "172.16.10.2", network: net(h1), owner });
    await created(macvlanEndpoint, { netns: c2, address: "172.16.10.3", network: net(h2) });
    const eth0 = await linkState("eth0", c1);
    expect(eth0).toMatchObject({ ifindex: e1.outs.ifindex, ifalias: markOf(owner) } as object);
    expect(await addressesOf("eth0", c1)).toEqual(["172.16.10.2/24"]);
    const [route] = await ipJson<{ gateway: string; protocol: string }>(["route", "show", "default"], { netns: c1 });
    expect(route).toMatchObject({ gateway: "172.16.10.1", protocol: "148" });
    expect(await pings(c1, "172.16.10.3")).toBe(true);
    await macvlanNetwork.delete(n1.id, n1.outs);
    expect(await promisc("enp0s8", h1)).toBe(false); // put back: it was not promiscuous before
    await macvlanNetwork.delete(n2.id, n2.outs);
  });

  it("leaves a parent that was promiscuous before as it found it", async () => {
    const [h1] = await lan();
    await ip(["link", "set", "dev", "enp0s8", "promisc", "on"], { netns: h1 });
    const n1 = await created(macvlanNetwork, mac1(h1));
    expect(n1.outs.promiscFound).toBe(true);
    await macvlanNetwork.delete(n1.id, n1.outs);
    expect(await promisc("enp0s8", h1)).toBe(true);
  });

  it("lets the host reach its own endpoint only through the host shim", async () => {
    const [h1] = await lan();
    await ip(["addr", "add", "172.16.10.250/24", "dev", "enp0s8"], { netns: h1 }); // the host itself is on the subnet
    const n1 = await created(macvlanNetwork, mac1(h1));
    const c1 = await freshNamespace(made, "c");
    const e1 = await created(macvlanEndpoint, { netns: c1, address: "172.16.10.2", network: net(h1) });
    expect(await pings(h1, "172.16.10.2")).toBe(false); // a parent cannot talk to its macvlan children

    const withShim = await macvlanNetwork.check({}, mac1(h1, { hostAccess: { address: "172.16.10.254" } }));
    expect(await macvlanNetwork.diff(n1.id, n1.outs, withShim.inputs!)).toEqual({ replaces: [], deleteBeforeReplace: false });
    const n1s = await macvlanNetwork.update(n1.id, n1.outs, withShim.inputs!);
    expect(await linkState("mac1-shim", h1)).toMatchObject({ ifindex: n1s.outs.shimIfindex });
    expect(await addressesOf("mac1-shim", h1)).toEqual(["172.16.10.254/32"]);
    const news = (await macvlanEndpoint.check({}, { netns: c1, address: "172.16.10.2", network: net(h1, { name: "mac1-shim", address: "172.16.10.254" }) })).inputs!;
    await macvlanEndpoint.update(e1.id, e1.outs, news);
    const [hostRoute] = await ipJson<{ dst: string; dev: string; protocol: string }>(["route", "show", "172.16.10.2/32"], { netns: h1 });
    expect(hostRoute).toMatchObject({ dst: "172.16.10.2", dev: "mac1-shim", protocol: "148" });
    expect(await pings(h1, "172.16.10.2")).toBe(true);
    expect(await pings(c1, "172.16.10.254")).toBe(true);

    await macvlanEndpoint.delete(e1.id, { ...e1.outs, ...news });
    expect(await ipJson(["route", "show", "172.16.10.2/32"], { netns: h1 })).toEqual([]);
    await macvlanNetwork.delete(n1.id, n1s.outs);
    expect((await links(h1)).map((l) => l.ifname).sort()).toEqual(["enp0s8", "lo"]);
  });

  it("reads drift (an address removed, the default route deleted, the link gone) and repairs it", async () => {
    const [h1] = await lan();
    await created(macvlanNetwork, mac1(h1));
    const c1 = await freshNamespace(made, "c");
    const inputs = { netns: c1, address: "172.16.10.2", network: net(h1) };
    const e1 = await created(macvlanEndpoint, inputs);
    await ip(["route", "del", "default"], { netns: c1 });
    await ip(["link", "set", "dev", "eth0", "down"], { netns: c1 });
    const r = await macvlanEndpoint.read(e1.id, e1.outs);
    expect(r.inputs).toMatchObject({ defaultRoute: false, up: false, address: "172.16.10.2" });
    const checked = (await macvlanEndpoint.check({}, inputs)).inputs!;
    await macvlanEndpoint.update(e1.id, r.props, checked);
    expect(await ipJson(["route", "show", "default"], { netns: c1 })).toHaveLength(1);
    await ip(["link", "del", "dev", "eth0"], { netns: c1 });
    expect(await macvlanEndpoint.read(e1.id, e1.outs)).toEqual({ id: "", props: {} });
    await expect(macvlanEndpoint.delete(e1.id, e1.outs)).resolves.toBeUndefined();
  });

  it("removes the link again when configuring it fails half-way", async () => {
    const [h1] = await lan();
    const c1 = await freshNamespace(made, "c");
    await ip(["link", "set", "lo", "down"], { netns: c1 });
    // an MTU above the parent's: the kernel refuses it after the link exists
    await expect(macvlanEndpoint.create({ netns: c1, address: "172.16.10.2", mtu: 9999, network: net(h1) } as never)).rejects.toThrow(/failed to configure macvlan endpoint "eth0" in netns/);
    expect((await links(c1)).map((l) => l.ifname)).toEqual(["lo"]);
  });
});

describe("macvlan input rules", () => {
  const check = async (h: { check: Function }, props: Props) => (await h.check({}, props)).failures;

  it.each([
    [{ address: "172.16.11.2" }, "address", 'invalid address "172.16.11.2" (must be inside the subnet 172.16.10.0/24)'],
    [{ address: "172.16.10.1" }, "address", `invalid address "172.16.10.1" (must not be the gateway's address (unless this endpoint is the gateway: defaultRoute false))`],
    [{ address: "172.16.10.255" }, "address", 'invalid address "172.16.10.255" (must not be the broadcast address of 172.16.10.0/24)'],
    [{ address: "172.16.10.254", network: net("h", { name: "s", address: "172.16.10.254" }) }, "address", `invalid address "172.16.10.254" (must not be the host shim's address)`],
    [{ address: "172.16.10.2/24" }, "address", 'invalid address "172.16.10.2/24" (must be an IPv4 or IPv6 address like 172.16.10.2, without a prefix length)'],
  ])("refuses an endpoint %j", async (extra, property, reason) => {
    expect(await check(macvlanEndpoint, { netns: "c1", network: net("h"), ...extra })).toEqual([{ property, reason }]);
  });

  it("takes the gateway's address for the gateway's own leg (a router on the network, no default route)", async () => {
    expect(await check(macvlanEndpoint, { netns: "r", network: net("h"), address: "172.16.10.1", defaultRoute: false })).toEqual([]);
  });

  it.each([
    [{ subnet: "172.16.10.5/24" }, "subnet", 'invalid subnet "172.16.10.5/24" (must be a network address with its host bits zero, like 172.16.10.0/24)'],
    [{ gateway: "172.16.20.1" }, "gateway", 'invalid gateway "172.16.20.1" (must be inside the subnet 172.16.10.0/24)'],
    [{ gateway: "172.16.10.0" }, "gateway", 'invalid gateway "172.16.10.0" (must not be the network address of 172.16.10.0/24)'],
    [{ mode: "l2" }, "mode", 'invalid mode "l2" (must be one of "bridge", "vepa", "private", "passthru", "source")'],
    [{ hostAccess: { address: "172.16.10.1" } }, "hostAccess.address", `invalid hostAccess.address "172.16.10.1" (must not be the gateway's address)`],
    [{ mode: "vepa", hostAccess: { address: "172.16.10.9" } }, "hostAccess.name", 'invalid hostAccess with mode "vepa" (must be mode "bridge": only there do macvlan interfaces of one parent reach each other)'],
    [{ name: "macvlan-lab", hostAccess: { address: "172.16.10.9" } }, "hostAccess.name", 'invalid hostAccess.name (the default NAME-shim "macvlan-lab-shim" must be at most 15 bytes, the kernel\'s IFNAMSIZ limit; it has 16: set hostAccess.name, e.g. "shim")'],
  ])("refuses a network %j", async (extra, property, reason) => {
    expect(await check(macvlanNetwork, { ...mac1("h"), ...extra })).toEqual([{ property, reason }]);
  });
});

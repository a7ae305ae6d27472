/**
 * Each rule of the reachability model's kind table (model/kinds.ts), on its own: what a
 * resource of that kind adds to the model (namespaces, links, routes, sysctls, rules) and what
 * it makes unknown, with the reason. One case per entry of the table, and the table's entries
 * are the cases: a rule added without its case fails the first test here.
 */
import { familyOf, ipText } from "../../../model/ip";
import { buildModel, REACH_KINDS } from "../../../model/kinds";
import type { Model } from "../../../model/model";
import type { Resource } from "../../../model/resource";
import { answer, bridge, endpoint, macvlanNetwork, type Network, ns, ping, res, route, rule, sysctl, veth } from "./states";

const model = (resources: Resource[]) => buildModel(resources, { ownFresh: true });
const ifaces = (m: Model) => Object.fromEntries([...m.ifaces.values()].map(({ key, kind, up, addresses, peer, master, parent, tag, mode, stp }) => [key, { kind, up, addresses: addresses.length, peer, master, parent, tag, mode, stp }]));
/** Why each namespace (and, under "*", everything) is unknown. */
const outside = (m: Model) => ({ ...Object.fromEntries([...m.namespaces.values()].filter((n) => n.outside.length).map((n) => [n.label, n.outside])), ...(m.everywhere.length ? { "*": m.everywhere } : {}) });
/** Adds nothing to the model the rest of the state makes. */
const addsNothing = (state: Resource[], extra: Resource) => {
  const [without, withIt] = [model(state), model([...state, extra])];
  expect({ ifaces: ifaces(withIt), routes: withIt.routes.length, sysctls: withIt.sysctls.size, rules: withIt.rules.length, outside: outside(withIt) }).toEqual({
    ifaces: ifaces(without),
    routes: without.routes.length,
    sysctls: without.sysctls.size,
    rules: without.rules.length,
    outside: {},
  });
};

/** a (10.0.0.1) and b (10.0.0.2) on one veth pair: the stage most cases put their object on. */
const pair = () => [ns("a"), ns("b"), veth("ab", { name: "eth0", netns: "a", addresses: ["10.0.0.1/24"] }, { name: "eth0", netns: "b", addresses: ["10.0.0.2/24"] })];
const lan: Network = { name: "mac10", parent: "br10", netns: "h", subnet: "172.16.10.0/24", gateway: "172.16.10.1" };
const shaping = (name: string, fields: Record<string, unknown>) => res("LinkShaping", name, { dev: "eth0", netns: "b", rate: "10mbit", ...fields });

const CASES: Record<string, () => void> = {
  Namespace() {
    const m = model([ns("a", false), ns("a", true, { connection: { host: "10.0.0.9", port: 2222 } })]);
    expect([...m.namespaces.values()].filter((n) => n.managed).map((n) => [n.key, n.label, n.loopbackUp])).toEqual([
      ["|a", "a", false],
      ["10.0.0.9:2222|a", "a@10.0.0.9:2222", true],
    ]);
    // A connection the state keeps secret places it nowhere: everything is unknown, and says why.
    const secret = model([ns("s", true, { connection: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" } })]);
    expect(outside(secret)).toEqual({ "*": ["Namespace s's connection is a secret: which machine it is on"] });
  },
  Bridge() {
    const m = model([ns("h"), bridge("br", "h", ["10.1.0.1/24", "fd00::1/64"], { stp: true })]);
    expect(ifaces(m)).toEqual({ "|h/br": { kind: "bridge", up: true, addresses: 2, stp: true } });
  },
  VethPair() {
    const m = model([ns("h"), ns("c"), veth("c", { name: "eth0", netns: "c", addresses: ["10.1.0.2/24"] }, { name: "c-p", netns: "h", master: "br0", up: false })]);
    expect(ifaces(m)).toEqual({
      "|c/eth0": { kind: "veth", up: true, addresses: 1, peer: "|h/c-p" },
      "|h/c-p": { kind: "veth", up: false, addresses: 0, peer: "|c/eth0", master: "br0" },
    });
  },
  VlanInterface() {
    const m = model([ns("h"), res("VlanInterface", "v", { parent: "enp0s8", vlanId: 100, netns: "h", addresses: ["10.100.0.1/24"], up: true })]);
    expect(ifaces(m)).toEqual({ "|h/enp0s8.100": { kind: "vlan", up: true, addresses: 1, parent: "|h/enp0s8", tag: "802.1Q 100" } });
    const ad = model([ns("h"), res("VlanInterface", "q", { name: "outer", parent: "enp0s8", vlanId: 7, protocol: "802.1ad", netns: "h", up: true })]);
    expect(ifaces(ad)["|h/outer"].tag).toBe("802.1ad 7");
  },
  MacvlanNetwork() {
    // The network itself is no link of its own; its host shim (hostAccess) is, with a /32.
    expect(ifaces(model([ns("h"), macvlanNetwork(lan)]))).toEqual({});
    const m = model([ns("h"), macvlanNetwork({ ...lan, hostAccess: { name: "mac10-shim", address: "172.16.10.2" } })]);
    expect(ifaces(m)).toEqual({ "|h/mac10-shim": { kind: "macvlan", up: true, addresses: 1, parent: "|h/br10", mode: "bridge" } });
    expect(m.ifaces.get("|h/mac10-shim")!.addresses[0].len).toBe(32);
    // Every mode is modelled (at layer 2: see the predictions): none makes its namespace unknown.
    for (const mode of ["bridge", "vepa", "private", "passthru", "source"]) expect(outside(model([ns("h"), macvlanNetwork({ ...lan, mode })]))).toEqual({});
  },
  MacvlanEndpoint() {
    const m = model([ns("h"), ns("d1"), endpoint("d1", "d1", "172.16.10.10", { ...lan, hostAccess: { name: "mac10-shim", address: "172.16.10.2" } })]);
    expect(ifaces(m)).toEqual({ "|d1/eth0": { kind: "macvlan", up: true, addresses: 1, parent: "|h/br10", mode: "bridge" } });
    // Its default route through the gateway, and the host's route to it through the shim.
    expect(m.routes.map((r) => [r.ns, r.dest.len, r.via !== undefined, r.dev, r.origin.part])).toEqual([
      ["|d1", 0, true, "eth0", "default route"],
      ["|h", 32, false, "mac10-shim", "route through the host shim"],
    ]);
    expect(model([ns("h"), ns("d1"), endpoint("d1", "d1", "172.16.10.10", lan, { defaultRoute: false })]).routes).toEqual([]);
  },
  Route() {
    const m = model([...pair(), route("r", "a", "10.9.0.0/24", "10.0.0.2", { metric: 5, table: "254" }), route("r6", "a", "fd00:9::/64", "fd00::2", { family: "ipv6" })]);
    // IPv6 by its family, with the kernel's default metric 1024
    expect(m.routes.map((r) => [r.ns, familyOf(r.dest.ip), r.dest.len, r.metric, r.table])).toEqual([
      ["|a", "ipv4", 24, 5, "main"],
      ["|a", "ipv6", 64, 1024, "main"],
    ]);
    const dflt = model([...pair(), route("d6", "a", "default", "fd00::2", { family: "ipv6" })]).routes[0];
    expect([familyOf(dflt.dest.ip), dflt.dest.len, ipText(dflt.via!)]).toEqual(["ipv6", 0, "fd00::2"]);
    expect(outside(model([...pair(), route("odd", "a", "10.9.0.0/24", "gw.example")]))).toEqual({ a: ["Route odd (10.9.0.0/24 via gw.example) is outside the model"] });
  },
  Sysctl() {
    const m = model([...pair(), sysctl("fwd", "a", "net.ipv4.ip_forward", "1\n")]);
    expect(m.sysctls.get("|a")?.get("net.ipv4.ip_forward")?.value).toBe("1");
  },
  IptablesRule() {
    const m = model([...pair(), rule("drop", "a", "INPUT", ["-p", "icmp", "-j", "DROP"], { position: "1" }), rule("v6", "a", "INPUT", ["-j", "DROP"], { family: "ipv6" })]);
    expect(m.rules.map((r) => [r.ns, r.family, r.table, r.chain, r.tokens.join(" "), r.first])).toEqual([
      ["|a", "ipv4", "filter", "INPUT", "-p icmp -j DROP", true],
      ["|a", "ipv6", "filter", "INPUT", "-j DROP", false],
    ]);
  },
  Router() {
    // A component: its sysctls and rules are resources of their own.
    addsNothing(pair(), res("Router", "r", { netns: "a", interfaces: ["eth0"] }));
  },
  VxlanTunnel() {
    // A component: its two ends are VxlanInterface resources (the next case).
    addsNothing(pair(), res("VxlanTunnel", "wan", { vni: 100, a: { local: "10.0.0.1" }, b: { local: "10.0.0.2" } }));
  },
  VxlanInterface() {
    const state = [...pair(), res("VxlanInterface", "vx", { name: "vxlan100", netns: "b", vni: 100, remote: "192.0.2.2", up: true })];
    expect(outside(model(state))).toEqual({ b: ["VxlanInterface vx: VXLAN is outside the model: what crosses the tunnel is not known"] });
    expect([ping(state, "a", "10.0.0.2").answer, ping(state, "a", "10.0.0.1").answer]).toEqual(["unknown", "reachable"]); // only what touches its namespace
  },
  Probe() {
    addsNothing(pair(), res("Probe", "p", { netns: "a", to: "10.0.0.2", expect: "reachable", count: 1, timeout: 5 }));
  },
  LinkShaping() {
    // Rate and delay do not change whether an echo is answered: nothing added, the pair decided.
    addsNothing(pair(), shaping("wan", { delay: "50ms", jitter: "10ms", loss: 0 }));
    expect(answer(ping([...pair(), shaping("wan", { delay: "50ms" })], "a", "10.0.0.2"))).toBe("reachable 64");
    // Loss, corruption or duplication (a number or a percentage) might: its namespace is unknown.
    for (const lossy of [{ loss: 1 }, { corrupt: "0.5%" }, { duplicate: "2" }]) {
      const state = [...pair(), shaping("wan", lossy)];
      expect(outside(model(state))).toEqual({ b: ["LinkShaping wan: loss, corruption or duplication is outside the model: an echo may go unanswered"] });
      expect(ping(state, "a", "10.0.0.2").answer).toBe("unknown");
    }
  },
};

describe("the reachability model's kind table, rule by rule", () => {
  it("has a case here for every rule of the table, and no other", () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(REACH_KINDS).sort());
  });

  it.each(Object.keys(CASES))("%s", (kind) => CASES[kind]());

  it("a kind the table does not know makes its namespace unknown, saying so", () => {
    const state = [...pair(), res("Tunnel", "tun", { name: "tun0", netns: "b" })];
    expect(outside(model(state))).toEqual({ b: ["Tunnel tun: a kind the reachability model does not cover"] });
  });
});

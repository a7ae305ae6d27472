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
    // On one machine: u1 and u2 joined by an underlay veth, a VXLAN end in each sending to the other
    const vx = (name: string, netns: string, address: string, remote: string | undefined, extra: Record<string, unknown> = {}) =>
      res("VxlanInterface", name, { name: "vx0", netns, vni: 100, port: 4789, remote, learning: true, up: true, addresses: [address], ...extra });
    const under = (o: { down?: boolean } = {}) => [ns("u1"), ns("u2"), veth("u", { name: "eth0", netns: "u1", addresses: ["192.168.0.1/24"] }, { name: "eth0", netns: "u2", addresses: ["192.168.0.2/24"], up: !o.down })];
    const joined = [...under(), vx("vx1", "u1", "10.6.0.1/24", "192.168.0.2"), vx("vx2", "u2", "10.6.0.2/24", "192.168.0.1")];
    expect(outside(model(joined))).toEqual({});
    expect(ifaces(model(joined))["|u1/vx0"]).toEqual({ kind: "vxlan", up: true, addresses: 1 });
    expect(ping(joined, "u1", "10.6.0.2")).toMatchObject({ answer: "reachable", ttl: 64, reason: "on one link with u2", path: ["u1 vx0 → u2 vx0", "u2 replies from 10.6.0.2 to 10.6.0.1", "u2 vx0 → u1 vx0"] });
    // the underlay predicted: its link down, the tunnel carries nothing
    const cut = [...under({ down: true }), vx("vx1", "u1", "10.6.0.1/24", "192.168.0.2"), vx("vx2", "u2", "10.6.0.2/24", "192.168.0.1")];
    expect(ping(cut, "u1", "10.6.0.2")).toMatchObject({ answer: "unreachable", reason: "nobody answers for 10.6.0.2 on the link of u1 vx0: the VXLAN underlay from u1 to 192.168.0.2 does not get through: nobody answers for 192.168.0.2 on the link of u1 eth0: its peer u2 eth0 is down" });
    // another VNI, one way only, a multicast group, no remote: what the stack does not declare is unknown, with why
    expect(ping([...under(), vx("vx1", "u1", "10.6.0.1/24", "192.168.0.2"), vx("vx2", "u2", "10.6.0.2/24", "192.168.0.1", { vni: 200 })], "u1", "10.6.0.2").reason).toBe("nobody the stack knows answers for 10.6.0.2 on the link of u1 vx0, and u1 vx0 sends to 192.168.0.2, where no VXLAN end of the stack with VNI 100 and port 4789 is");
    expect(ping([...under(), vx("vx1", "u1", "10.6.0.1/24", "192.168.0.2"), vx("vx2", "u2", "10.6.0.2/24", undefined)], "u1", "10.6.0.2").reason).toBe("nobody the stack knows answers for 10.6.0.2 on the link of u1 vx0, and u1 vx0 sends to u2 vx0, which does not send back to it (only what it learns)");
    expect(ping([...under(), vx("vx1", "u1", "10.6.0.1/24", undefined, { group: "239.1.1.1" })], "u1", "10.6.0.2").answer).toBe("unknown");
    expect(ping([...under(), vx("vx1", "u1", "10.6.0.1/24", undefined), vx("vx2", "u2", "10.6.0.2/24", undefined)], "u1", "10.6.0.2")).toMatchObject({ answer: "unreachable", reason: "nobody answers for 10.6.0.2 on the link of u1 vx0: u1 vx0 has no remote: its frames go only where its FDB says, and the stack declares no entry" });
    // Across two machines of the stack (a VxlanTunnel's two ends, each a port of a bridge in the machine's own namespace)
    const on = (host: string) => ({ connection: { host, privateKey: "[secret]" } });
    const side = (host: string, other: string, address: string) => [
      res("Namespace", `c-${host}`, { name: "c", loopbackUp: true, ...on(host) }),
      res("Bridge", `br-${host}`, { name: "br0", addresses: [], up: true, stp: false, ...on(host) }),
      res("VethPair", `c-${host}`, { end: { name: "eth0", netns: "c", addresses: [address], up: true }, peer: { name: "c-p", master: "br0", addresses: [], up: true }, ...on(host) }),
      res("VxlanInterface", `vx-${host}`, { name: "vx100", vni: 100, port: 4789, local: host, remote: other, learning: true, up: true, master: "br0", addresses: [], ...on(host) }),
    ];
    const wan = [...side("192.0.2.1", "192.0.2.2", "10.7.0.1/24"), ...side("192.0.2.2", "192.0.2.1", "10.7.0.2/24")];
    expect(ping(wan, "c@192.0.2.1", "10.7.0.2")).toMatchObject({ answer: "reachable", ttl: 64, reason: "on one link with c@192.0.2.2" });
    // the machines' own namespaces are not the stack's: an address nobody of the stack holds stays unknown there
    expect(ping(wan, "c@192.0.2.1", "10.7.0.9").answer).toBe("unknown");
  },
  Probe() {
    addsNothing(pair(), res("Probe", "p", { netns: "a", to: "10.0.0.2", expect: "reachable", count: 1, timeout: 5 }));
  },
  LinkShaping() {
    // Rate, delay and duplication do not change whether an echo is answered: nothing added, the pair decided.
    addsNothing(pair(), shaping("wan", { delay: "50ms", jitter: "10ms", loss: 0 }));
    expect(model([...pair(), shaping("wan", { delay: "50ms", duplicate: "2" })]).shaping.size).toBe(0);
    expect(ping([...pair(), shaping("wan", { duplicate: 2 })], "a", "10.0.0.2")).toMatchObject({ answer: "reachable", ttl: 64, reason: "on one link with b" });
    // Loss and corruption (a number or a percentage): reachable, with the chance an echo is lost on the way
    for (const [lossy, n] of [[{ loss: 10 }, 10], [{ corrupt: "0.5%" }, 0.5], [{ loss: 10, corrupt: 10 }, 19]] as const) {
      const state = [...pair(), shaping("wan", lossy)];
      expect(outside(model(state))).toEqual({});
      const p = ping(state, "a", "10.0.0.2");
      expect([p.answer, p.ttl, p.loss]).toEqual(["reachable", 64, n]);
      expect(p.reason).toMatch(new RegExp(`^on one link with b; with loss ${n}% of echoes \\(LinkShaping wan on b eth0: .*\\): a probe with count decides$`));
    }
    // both directions shaped: the echo and its reply each run the chance; a link the echo does not leave by counts nothing
    const both = [...pair(), shaping("wan", { loss: 10 }), shaping("wan-a", { dev: "eth0", netns: "a", loss: 20 })];
    expect(ping(both, "a", "10.0.0.2").loss).toBe(28);
    expect(ping(both, "a", "10.0.0.1").loss).toBeUndefined();
    // through a bridge the frame leaves by the port toward the station: shaping there counts
    const lan = [ns("h"), ns("c1"), ns("c2"), bridge("br", "h"), veth("c1", { name: "eth0", netns: "c1", addresses: ["10.3.0.1/24"] }, { name: "c1-p", netns: "h", master: "br" }), veth("c2", { name: "eth0", netns: "c2", addresses: ["10.3.0.2/24"] }, { name: "c2-p", netns: "h", master: "br" })];
    const port = [...lan, shaping("port", { dev: "c2-p", netns: "h", loss: 50 })];
    expect([ping(port, "c1", "10.3.0.2").loss, ping(port, "c2", "10.3.0.1").loss]).toEqual([50, 50]);
  },
  NamespaceFleet() {
    const fleet = res("NamespaceFleet", "f", {
      netns: "h",
      bridge: "br0",
      ifname: "eth0",
      loopbackUp: true,
      gateway: "10.1.0.1",
      gateway6: "fd01::1",
      members: [
        { name: "m0", addresses: ["10.1.0.2/24", "fd01::2/64"] },
        { name: "m1", addresses: ["10.1.0.3/24"] },
      ],
      memberStates: [],
    });
    const state = [ns("h"), bridge("br", "h", ["10.1.0.1/24", "fd01::1/64"], { name: "br0" }), fleet];
    const m = model(state);
    expect(ifaces(m)).toEqual({
      "|h/br0": { kind: "bridge", up: true, addresses: 2, stp: false },
      "|m0/eth0": { kind: "veth", up: true, addresses: 2, peer: "|h/m0" },
      "|h/m0": { kind: "veth", up: true, addresses: 0, peer: "|m0/eth0", master: "br0" },
      "|m1/eth0": { kind: "veth", up: true, addresses: 1, peer: "|h/m1" },
      "|h/m1": { kind: "veth", up: true, addresses: 0, peer: "|m1/eth0", master: "br0" },
    });
    expect([...m.namespaces.values()].filter((n) => n.managed).map((n) => n.label)).toEqual(["h", "m0", "m1"]);
    expect(m.routes.map((r) => [r.ns, familyOf(r.dest.ip), r.dest.len, ipText(r.via!)])).toEqual([
      ["|m0", "ipv4", 0, "10.1.0.1"],
      ["|m0", "ipv6", 0, "fd01::1"],
      ["|m1", "ipv4", 0, "10.1.0.1"],
      ["|m1", "ipv6", 0, "fd01::1"],
    ]);
    expect(m.ifaces.get("|m1/eth0")!.noLinkLocal).toBe(true);
    expect(outside(m)).toEqual({});
    expect([answer(ping(state, "m0", "10.1.0.3")), answer(ping(state, "m1", "10.1.0.1")), answer(ping(state, "m0", "fd01::1")), answer(ping(state, "h", "fd01::2"))]).toEqual(["reachable 64", "reachable 64", "reachable 64", "reachable 64"]);
    expect(ping(state, "m1", "fd01::2")).toMatchObject({ answer: "unreachable", reason: "m1 has no IPv6 address to send from" });
    // a member's secret address makes that member unknown, not the others
    const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" };
    const hidden = [ns("h"), bridge("br", "h", ["10.1.0.1/24"], { name: "br0" }), res("NamespaceFleet", "f", { ...fleet.props, members: [{ name: "m0", addresses: secret }, { name: "m1", addresses: ["10.1.0.3/24"] }] })];
    expect(outside(model(hidden))).toEqual({ m0: ["NamespaceFleet f's members[0].addresses is a secret"] });
    expect(answer(ping(hidden, "m1", "10.1.0.1"))).toBe("reachable 64");
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

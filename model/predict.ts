/**
 * The prediction: does an ICMP echo (IPv4) or ICMPv6 echo from a namespace to an address come
 * back, and with which TTL (hop limit)? One echo request is walked hop by hop through the
 * model — route lookup, source address, filter OUTPUT/FORWARD/INPUT (iptables or ip6tables),
 * TTL, nat POSTROUTING, the neighbour that answers ARP (IPv4) or neighbour discovery (IPv6)
 * for the next hop — and then its reply, the same way back (conntrack undoes the NAT and makes
 * the reply ESTABLISHED where the request passed). The first step that drops it answers
 * "unreachable"; the first step the model cannot decide answers "unknown", with the reason.
 *
 * Assumed of every namespace the stack makes: nothing else is in it, its sysctls are a new
 * namespace's (ip_forward 0, IPv6 forwarding 0, rp_filter 0, arp_ignore 0, default TTL and hop
 * limit 64, addr_gen_mode eui64) unless a Sysctl says otherwise, its iptables and ip6tables
 * policies ACCEPT, and only the default routing rules (so tables other than main and default
 * are never consulted; IPv6 has main only). IPv4 addresses are local to a namespace whatever
 * the state of their link (the kernel keeps their local routes when a link is down); an IPv6
 * address is usable only once duplicate address detection (DAD) has passed, which starts when
 * its link is ready (up; a veth only with its peer up): until, it stays tentative and answers nothing (so
 * does every IPv6 address for about a second after its link comes up: the prediction is of
 * the settled network). Every IPv6 link has a link-local address derived from its MAC (EUI-64),
 * known where the state holds the MAC (after up); a link-local destination names the link it
 * is reached on, `ADDR%DEV`, and only the neighbour holding it on that very link answers
 * (neighbour discovery, unlike ARP, answers only for the interface's own addresses).
 */
import { filterVerdict, MODELLED, natEffect, type Nat, type Pkt, ruleText, unmodelledChain } from "./firewall";
import { commonPrefix, eui64, type Family, familyOf, inNet, ipText, isLinkLocal, isV4, type Net, networkOf, netText, target } from "./ip";
import { Layer2, type Neighbour, type Wire } from "./layer2";
import { type Iface, type Model, type Netns, type Origin, originText, type RouteEntry, type RuleEntry } from "./model";

export type Answer = "reachable" | "unreachable" | "unknown";

export interface Prediction {
  /** The namespace's label. */
  from: string;
  to: string;
  answer: Answer;
  /** "ipv4" or "ipv6" (of the destination; undefined when it is no address). */
  family?: Family;
  /** The reply's TTL (IPv6: its hop limit) as ping prints it (`ttl=`; reachable only). */
  ttl?: number;
  /** Reachable, but a LinkShaping on the way loses (or corrupts) this percent of echoes: a probe with `count` decides. */
  loss?: number;
  reason: string;
  /** The hops of the request and then of the reply, as far as they went. */
  path: string[];
  /** URNs of the resources the answer rests on (for the review: which change caused it). */
  uses: string[];
}

/** Sysctls the model reads; the others listed here do not change whether a ping comes back. */
const READ = new Set(["net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding", "net.ipv4.ip_default_ttl", "net.ipv4.icmp_echo_ignore_all", "net.ipv6.conf.all.forwarding", "net.ipv6.icmp.echo_ignore_all"]);
/** Read per link too: net.ipv6.conf.DEV.hop_limit, net.ipv6.conf.{all,DEV}.disable_ipv6. */
const READ_PER_LINK = [/^net\.ipv6\.conf\.[^.]+\.hop_limit$/, /^net\.ipv6\.conf\.[^.]+\.disable_ipv6$/];
const HARMLESS = [
  // per link IPv6 forwarding changes how the link takes router advertisements, not whether it forwards (conf.all decides)
  /^net\.ipv6\.conf\.[^.]+\.(forwarding|accept_ra\w*|autoconf|accept_dad|dad_transmits|keep_addr_on_down|use_tempaddr|router_solicitations\w*|mtu)$/,
  /^net\.ipv6\.(route|neigh)\./,
  /^net\.core\./,
  /^net\.unix\./,
  /^net\.ipv4\.(tcp|udp)_/,
  /^net\.ipv4\.ip_local_(port_range|reserved_ports)$/,
  /^net\.ipv4\.ping_group_range$/,
];
const HARMLESS_TEXT = "net.core, TCP/UDP, port ranges, IPv6 router advertisements, DAD settings and per-link forwarding";

class Stop {
  constructor(
    readonly answer: "unreachable" | "unknown",
    readonly why: string,
  ) {}
}
const no = (why: string): never => {
  throw new Stop("unreachable", why);
};
const unknown = (why: string): never => {
  throw new Stop("unknown", why);
};

/** A route as the lookup weighs it; `make` gives it whole, or stops (unknown) where it cannot. */
interface RouteCandidate {
  dest: Net;
  metric: number;
  dev?: Iface;
  make: () => Route;
}

interface Route {
  dev: Iface;
  via?: bigint;
  src?: bigint;
  text: string;
  origin?: Origin;
}

type Dir = "request" | "reply";

/** What a namespace holds: each usable address → the interface, and the IPv6 ones still tentative → why. */
interface Held {
  usable: Map<bigint, Iface>;
  tentative: Map<bigint, string>;
}

/** The model with what every prediction on it shares (layer 2, what is outside per namespace). */
export class Predictor {
  readonly l2: Layer2;
  private readonly outside = new Map<string, string[]>();
  /** Interfaces by namespace key, and each namespace's addresses → the interface holding them. */
  readonly ifaces = new Map<string, Iface[]>();
  readonly held = new Map<string, Held>();
  /** Each interface's link-local address (EUI-64 of its MAC, or one the stack puts there), where IPv6 is on it. */
  readonly linkLocal = new Map<Iface, bigint>();
  /** Interfaces with IPv6 whose link-local address is not known (no MAC in the state yet), and stand-ins for them as sources. */
  readonly linkLocalUnknown = new Map<Iface, bigint>();
  /** The stand-ins back to their interfaces. */
  readonly standIns = new Map<bigint, Iface>();
  /** Routes per namespace, family and table, as `routes` computes them. */
  readonly routeCache = new Map<string, RouteCandidate[]>();
  /** Every address the stack declares. */
  readonly addresses = new Set<bigint>();
  /** Rules by `nsKey family table chain`. */
  readonly chains = new Map<string, RuleEntry[]>();
  private readonly labels = new Map<string, Netns>();
  /** Per link and family, who answers ARP / neighbour discovery for each address (see `answering`). */
  private readonly answers = new Map<string, Map<bigint, Neighbour[]>>();
  /** Each link's own usable IPv6 addresses: neighbour discovery answers for these only, so one address on two links of a namespace (a router's fe80::1 on each leg) is answered on both. */
  private readonly ownV6 = new Map<Iface, Set<bigint>>();

  /** The same model without VXLAN tunnels joined: the underlay they ride on. */
  private base?: Predictor;

  constructor(
    readonly m: Model,
    tunnels = true,
  ) {
    this.l2 = new Layer2(m, tunnels ? (a, b) => this.underlay(a, b) : undefined);
    for (const ns of m.namespaces.values()) this.outside.set(ns.key, [...ns.outside]);
    for (const i of m.ifaces.values()) {
      if (!this.ifaces.has(i.ns)) {
        this.ifaces.set(i.ns, []);
        this.held.set(i.ns, { usable: new Map(), tentative: new Map() });
      }
      this.ifaces.get(i.ns)!.push(i);
      const held = this.held.get(i.ns)!;
      const v6 = this.ipv6On(i);
      const settled = v6 && this.l2.carrier(i);
      const own = new Set<bigint>();
      this.ownV6.set(i, own);
      for (const a of i.addresses) {
        this.addresses.add(a.ip);
        if (!isV4(a.ip) && settled) own.add(a.ip);
        if (isLinkLocal(a.ip) && settled && !this.linkLocal.has(i)) this.linkLocal.set(i, a.ip);
        if (held.usable.has(a.ip)) continue;
        if (isV4(a.ip) || settled) held.usable.set(a.ip, i);
        else held.tentative.set(a.ip, v6 ? `${ipText(a.ip)} on ${i.name} stays tentative: ${i.up ? "its link has no carrier" : "its link is down"}, so duplicate address detection has not passed` : `IPv6 is off on ${i.name} (disable_ipv6)`);
      }
      if (!settled || this.linkLocal.has(i) || i.noLinkLocal) continue;
      const auto = i.mac && !this.sysctlSet(i.ns, /^net\.ipv6\.conf\.[^.]+\.(addr_gen_mode|stable_secret)$/) ? eui64(i.mac) : undefined;
      if (auto !== undefined) {
        this.linkLocal.set(i, auto);
        own.add(auto);
        if (!held.usable.has(auto)) held.usable.set(auto, i);
      } else {
        const standIn = (0xfe80n << 112n) | (0xffff0000n << 32n) | BigInt(this.linkLocalUnknown.size + 1);
        this.linkLocalUnknown.set(i, standIn);
        own.add(standIn);
        this.standIns.set(standIn, i);
        held.usable.set(standIn, i);
      }
    }
    for (const n of m.namespaces.values()) this.labels.set(n.label, n);
    for (const r of m.rules) {
      const key = `${r.ns} ${r.family} ${r.table} ${r.chain}`;
      if (!this.chains.has(key)) this.chains.set(key, []);
      this.chains.get(key)!.push(r);
    }
    for (const r of m.rules) if (unmodelledChain(r)) this.outside.get(r.ns)?.push(`${ruleText(r)} is in a chain the model does not evaluate (only ${Object.entries(MODELLED).map(([t, c]) => `${t} ${c.join("/")}`).join(", ")})`);
    for (const [ns, map] of m.sysctls) {
      for (const [key, s] of map) {
        if (!READ.has(key) && !READ_PER_LINK.some((h) => h.test(key)) && !HARMLESS.some((h) => h.test(key)) && !/\.(addr_gen_mode|stable_secret)$/.test(key)) {
          this.outside.get(ns)?.push(`sysctl ${key}=${s.value} (${originText(s.origin)}) is outside the model (it reads ${[...READ].join(", ")}, net.ipv6.conf.*.hop_limit and disable_ipv6; ignores ${HARMLESS_TEXT})`);
        }
      }
    }
  }

  /**
   * Whether a VXLAN tunnel's UDP gets through both ways: between the own namespaces of two
   * machines of the stack it is taken to (the provider reaches both; their networks are not the
   * stack's to say); else the underlay is predicted as a ping from each end to its remote.
   */
  private underlay(a: Iface, b: Iface): true | { no: string } | { unknown: string } {
    const [na, nb] = [this.m.namespaces.get(a.ns)!, this.m.namespaces.get(b.ns)!];
    if (na.name === "" && nb.name === "" && na.host !== nb.host && !(na.managed && nb.managed)) return true;
    this.base ??= new Predictor(this.m, false);
    for (const [x, n] of [[a, na], [b, nb]] as const) {
      const p = predict(this.base, n.key, x.vxlan!.remote!);
      const what = `the VXLAN underlay from ${n.label} to ${x.vxlan!.remote}`;
      if (p.answer === "unknown") return { unknown: `${what}: ${p.reason}` };
      if (p.answer === "unreachable") return { no: `${what} does not get through: ${p.reason}` };
    }
    return true;
  }

  private sysctlSet(ns: string, key: RegExp): boolean {
    return [...(this.m.sysctls.get(ns)?.keys() ?? [])].some((k) => key.test(k));
  }

  /** Whether IPv6 is on for a link (net.ipv6.conf.{all,DEV}.disable_ipv6 not 1). */
  private ipv6On(i: Iface): boolean {
    const s = this.m.sysctls.get(i.ns);
    return ![`all`, i.name].some((d) => s?.get(`net.ipv6.conf.${d}.disable_ipv6`)?.value === "1");
  }

  /** The namespace named by a label (`d1`, `d1@host`, `pulumi's own`) or key. */
  namespace(name: string): Netns | undefined {
    return this.m.namespaces.get(name) ?? this.labels.get(name);
  }

  /** Where a namespace holds an address (usable: not tentative), if it does. */
  holder(ns: string, ip: bigint): Iface | undefined {
    return this.held.get(ns)?.usable.get(ip);
  }

  /**
   * The neighbours on a link that answer for each address: IPv4 (ARP, arp_ignore 0) whichever of
   * their namespace's links holds it; IPv6 (neighbour discovery) only for the link's own addresses.
   */
  answering(dev: Iface, wire: Wire, family: Family): Map<bigint, Neighbour[]> {
    const key = `${dev.key} ${family}`;
    let map = this.answers.get(key);
    if (!map) {
      map = new Map();
      for (const n of wire.neighbours) {
        const ips = family === "ipv6" ? (this.ownV6.get(n.station) ?? []) : this.held.get(n.station.ns)?.usable.keys() ?? [];
        for (const ip of ips) {
          if (familyOf(ip) !== family) continue;
          if (!map.has(ip)) map.set(ip, []);
          map.get(ip)!.push(n);
        }
      }
      this.answers.set(key, map);
    }
    return map;
  }

  problems(ns: Netns): string[] {
    return [...this.m.everywhere, ...(this.outside.get(ns.key) ?? [])];
  }
}

/** Does a ping from `from` (a namespace's label or key) to `to` (an address, or `ADDR%DEV` for a link-local one) come back? */
export function predict(model: Model | Predictor, from: string, to: string): Prediction {
  const p = model instanceof Predictor ? model : new Predictor(model);
  const t = target(to);
  const walk = new Walk(p, t === undefined ? "ipv4" : familyOf(t.ip));
  const base = { from: p.namespace(from)?.label ?? from, to, ...(t && { family: familyOf(t.ip) }) };
  try {
    const ns = p.namespace(from);
    if (!ns) return unknown(`${from} is not a namespace of the stack`);
    if (t === undefined) return unknown(`${to} is not an address`);
    if (isLinkLocal(t.ip) && t.dev === undefined) no(`${to} is link-local: ping needs the link to send on (${to}%DEV)`);
    if (t.dev !== undefined && !isLinkLocal(t.ip)) unknown(`${to}: a link named with an address that is not link-local is outside the model`);
    if (t.dev === undefined && !p.addresses.has(t.ip)) return unknown(`${to} is not an address of the stack`);
    const { ttl, reason } = walk.ping(ns, t.ip, t.dev);
    const loss = walk.loss();
    const lossy = loss > 0 ? { loss, reason: `${reason}; with loss ${loss}% of echoes (${walk.shapedBy.join(", ")}): a probe with count decides` } : {};
    return { ...base, answer: "reachable", ttl, reason, ...lossy, path: walk.path, uses: [...walk.uses] };
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { ...base, answer: e.answer, reason: e.why, path: walk.path, uses: [...walk.uses] };
  }
}

class Walk {
  readonly path: string[] = [];
  readonly uses = new Set<string>();
  /** Namespaces the request passed: conntrack there knows the reply. */
  private readonly seen = new Set<string>();
  /** Per namespace, the source it masqueraded (original → new). */
  private readonly nat = new Map<string, { from: bigint; to: bigint }>();
  private readonly m: Model;
  private readonly v6: boolean;
  /** The chance an echo and its reply both get through every shaped link they leave by. */
  private kept = 1;
  readonly shapedBy: string[] = [];

  constructor(
    private readonly p: Predictor,
    private readonly family: Family,
  ) {
    this.m = p.m;
    this.v6 = family === "ipv6";
  }

  /** Percent of echoes lost on the way (two decimals). */
  loss(): number {
    return Math.round((1 - this.kept) * 10000) / 100;
  }

  /** A packet leaves a namespace by `dev`: netem there drops or corrupts some. */
  private leaves(ns: Netns, dev: Iface): void {
    const s = this.m.shaping.get(dev.key);
    if (!s) return;
    this.use(s.origin);
    this.kept *= (1 - s.loss / 100) * (1 - s.corrupt / 100);
    const what = [s.loss && `loss ${s.loss}%`, s.corrupt && `corrupt ${s.corrupt}%`].filter(Boolean).join(", ");
    this.shapedBy.push(`${originText(s.origin)} on ${ns.label} ${dev.name}: ${what}`);
    this.path.push(`${ns.label} ${dev.name} shapes it: ${what}`);
  }

  private use(...origins: Array<Origin | undefined>): void {
    for (const o of origins) if (o) this.uses.add(o.urn);
  }
  private ns(key: string): Netns {
    return this.m.namespaces.get(key)!;
  }
  private ifaces(ns: Netns): Iface[] {
    return this.p.ifaces.get(ns.key) ?? [];
  }
  private text(ip: bigint): string {
    const standIn = this.p.standIns.get(ip);
    return standIn ? `${standIn.name}'s link-local address` : ipText(ip);
  }

  /** The namespace is one whose state the model knows, or the answer is unknown. */
  private known(ns: Netns): void {
    this.use(ns.origin);
    const problems = this.p.problems(ns);
    if (problems.length) unknown(problems[0]);
    if (!ns.managed) {
      const own = ns.name === "" && ns.host === "" ? " (--own-netns fresh assumes it is a new namespace holding only what the stack declares)" : "";
      unknown(`${ns.label} is not made by the stack: its routes, firewall and sysctls are not known${own}`);
    }
  }

  /** The interface holding `ip` in a namespace (whatever the state of its link for IPv4; IPv6 once DAD passed), if any. */
  private holder(ns: Netns, ip: bigint): Iface | undefined {
    return this.p.holder(ns.key, ip);
  }

  private sysctl(ns: Netns, key: string): string | undefined {
    const s = this.m.sysctls.get(ns.key)?.get(key);
    this.use(s?.origin);
    return s?.value;
  }
  /** The TTL (IPv4) or hop limit (IPv6, of the link it leaves by) a packet starts with. */
  private defaultTtl(ns: Netns, dev: string): number {
    if (!this.v6) return Number(this.sysctl(ns, "net.ipv4.ip_default_ttl") ?? 64);
    const own = this.sysctl(ns, `net.ipv6.conf.${dev}.hop_limit`);
    if (own !== undefined) return Number(own);
    // conf.all's is no link's (measured: a reply keeps 64); conf.default's is taken by the links made after it
    const v = this.sysctl(ns, "net.ipv6.conf.default.hop_limit");
    if (v !== undefined) unknown(`net.ipv6.conf.default.hop_limit=${v} in ${ns.label}: which links it reaches depends on when they were made (a link takes conf.default's when it is made)`);
    return 64;
  }

  ping(from: Netns, dst: bigint, dev: string | undefined): { ttl: number; reason: string } {
    this.known(from);
    if (this.holder(from, dst) && dev === undefined) return this.loopback(from, dst);
    const tentative = this.p.held.get(from.key)?.tentative.get(dst);
    if (tentative && dev === undefined) no(`${from.label}: ${tentative}`);
    const request = this.travel({ src: undefined, dst, ttl: 0 }, from, "request", dev);
    const at = request.at;
    const ignore = this.v6 ? "net.ipv6.icmp.echo_ignore_all" : "net.ipv4.icmp_echo_ignore_all";
    if ((this.sysctl(at, ignore) ?? "0") !== "0") no(`${at.label} ignores echo requests (${ignore})`);
    this.path.push(`${at.label} replies from ${ipText(dst)} to ${this.text(request.pkt.src!)}`);
    const reply = this.travel({ src: dst, dst: request.pkt.src!, ttl: 0 }, at, "reply", isLinkLocal(request.pkt.src!) ? request.station?.name : undefined);
    if (reply.at !== from) no(`the reply is delivered to ${reply.at.label}, which holds ${this.text(reply.pkt.dst)} too, not to ${from.label}`);
    const routers = [...new Set([...request.routers, ...reply.routers])];
    const nat = [...this.nat.keys()].map((k) => this.ns(k).label);
    const masq = nat.length ? `, masqueraded by ${nat.join(", ")}` : "";
    if (!routers.length) return { ttl: reply.pkt.ttl, reason: `on one link with ${at.label}${masq}` };
    const n = reply.routers.length;
    return { ttl: reply.pkt.ttl, reason: `through ${routers.join(", ")}${masq}; the reply crosses ${n} router${n === 1 ? "" : "s"}` };
  }

  private loopback(ns: Netns, dst: bigint): { ttl: number; reason: string } {
    this.use(this.holder(ns, dst)!.origin);
    if (ns.loopbackUp === false) no(`lo is down in ${ns.label}: a namespace reaches even its own addresses only through lo`);
    if (ns.loopbackUp === undefined) unknown(`whether lo is up in ${ns.label} is not known`);
    for (const state of ["NEW", "ESTABLISHED"] as const) {
      this.filter(ns, "OUTPUT", { out: "lo", src: dst, dst, state });
      this.filter(ns, "INPUT", { in: "lo", src: dst, dst, state });
    }
    this.path.push(`${ns.label} lo`);
    return { ttl: this.defaultTtl(ns, "lo"), reason: `its own address, through lo` };
  }

  private filter(ns: Netns, chain: string, pkt: Pkt, dir: Dir = "request"): void {
    const v = filterVerdict(this.p.chains.get(`${ns.key} ${this.family} filter ${chain}`) ?? [], pkt);
    if ("unknown" in v) return unknown(v.unknown);
    this.use(...v.by);
    if (v.value === "DROP") no(`${ns.label} drops ${dir === "reply" ? "the reply" : "it"} in ${this.v6 ? "ip6tables " : ""}${chain} (${v.by.map(originText).join(", ")})`);
  }

  /** Routes of a namespace's table in this family, connected ones first, as the kernel would hold them. */
  private routes(ns: Netns, table: string): RouteCandidate[] {
    const key = `${ns.key}\0${this.family}\0${table}`;
    const known = this.p.routeCache.get(key);
    if (known) return known;
    const out: RouteCandidate[] = [];
    this.p.routeCache.set(key, out);
    const ifaces = this.ifaces(ns);
    if (table === "main") {
      for (const i of ifaces.filter((x) => x.up)) {
        for (const a of i.addresses) {
          if (familyOf(a.ip) !== this.family || isLinkLocal(a.ip)) continue;
          const dest = networkOf(a);
          if (a.len === (this.v6 ? 128 : 32) || out.some((r) => r.dest.ip === dest.ip && r.dest.len === dest.len && r.dev === i)) continue;
          out.push({ dest, metric: this.v6 ? 256 : 0, dev: i, make: () => ({ dev: i, src: this.v6 ? undefined : a.ip, text: `${netText(dest)} dev ${i.name}`, origin: i.origin }) });
        }
      }
    }
    for (const r of this.m.routes.filter((x) => x.ns === ns.key && x.table === table && familyOf(x.dest.ip) === this.family)) {
      const dev = this.routeDev(ns, r, ifaces);
      if (dev === null) continue; // its link is down: the kernel removed it
      out.push({ dest: r.dest, metric: r.metric, make: () => (typeof dev === "string" ? unknown(dev) : { dev, via: r.via, text: routeText(r), origin: r.origin }) });
    }
    return out;
  }

  /** A static route's device: the iface, null when down (gone), or why unknown. */
  private routeDev(ns: Netns, r: RouteEntry, ifaces: Iface[]): Iface | null | string {
    const dev = r.dev ? ifaces.find((i) => i.name === r.dev) : ifaces.find((i) => i.up && r.via !== undefined && i.addresses.some((a) => a.len < (isV4(a.ip) ? 32 : 128) && inNet(r.via!, a)));
    if (!dev) return `${routeText(r)} in ${ns.label} (${originText(r.origin)}) goes through ${r.dev ? `${r.dev}, which the stack does not manage` : "a link the model cannot find"}`;
    return dev.up ? dev : null;
  }

  private lookup(ns: Netns, dst: bigint, dev?: string): Route {
    if (dev !== undefined) {
      // a link-local destination: the link is named, the route is fe80::/64 on it
      const i = this.ifaces(ns).find((x) => x.name === dev);
      if (!i) no(`${ns.label} has no link ${dev}`);
      if (!i!.up) no(`${dev} is down in ${ns.label}`);
      this.use(i!.origin);
      return { dev: i!, text: `fe80::/64 dev ${dev}`, origin: i!.origin };
    }
    for (const table of this.v6 ? ["main"] : ["main", "253"]) {
      const hits = this.routes(ns, table).filter((r) => inNet(dst, r.dest));
      if (!hits.length) continue;
      const best = Math.max(...hits.map((h) => h.dest.len));
      const top = hits.filter((h) => h.dest.len === best);
      const metric = Math.min(...top.map((h) => h.metric));
      const chosen = top.filter((h) => h.metric === metric);
      if (chosen.length > 1) unknown(`${ns.label} has ${chosen.length} routes to ${netText(chosen[0].dest)} with metric ${metric} (${chosen.map((c) => c.make().text).join("; ")})`);
      const route = chosen[0].make();
      this.use(route.origin, route.dev.origin);
      return route;
    }
    for (const i of this.ifaces(ns)) this.use(i.origin);
    for (const r of this.m.routes.filter((x) => x.ns === ns.key)) this.use(r.origin);
    return no(`${ns.label} has no route to ${ipText(dst)}`);
  }

  /** The source address the kernel picks for a route (IPv4: `inet_select_addr`; IPv6: scope, the outgoing link, the longest matching prefix). */
  private source(ns: Netns, route: Route, dst: bigint): bigint {
    if (route.src !== undefined) return route.src;
    if (this.v6) return this.source6(ns, route, dst);
    const picked = primaryOn(route.dev, route.via ?? dst);
    if (picked !== undefined) return picked;
    const others = this.ifaces(ns).filter((i) => i !== route.dev && i.up && i.addresses.some((a) => isV4(a.ip)));
    if (others.length === 1) return others[0].addresses.find((a) => isV4(a.ip))!.ip;
    if (others.length > 1) return unknown(`${route.dev.name} in ${ns.label} has no address: which of ${others.map((i) => i.name).join(", ")}'s is the source is not known`);
    return no(`${ns.label} has no IPv4 address to send from`);
  }

  private source6(ns: Netns, route: Route, dst: bigint): bigint {
    const own = (i: Iface) => this.p.linkLocal.get(i) ?? this.p.linkLocalUnknown.get(i);
    if (isLinkLocal(dst)) return own(route.dev) ?? no(`${route.dev.name} in ${ns.label} has no link-local address (IPv6 is off, or its link has no carrier)`);
    const usable = [...(this.p.held.get(ns.key)?.usable ?? [])].filter(([ip]) => !isV4(ip) && !isLinkLocal(ip));
    const best = (xs: Array<[bigint, Iface]>) => xs.reduce<[bigint, Iface] | undefined>((b, x) => (b === undefined || commonPrefix(x[0], dst) > commonPrefix(b[0], dst) ? x : b), undefined);
    const picked = best(usable.filter(([, i]) => i === route.dev)) ?? best(usable);
    if (picked) return picked[0];
    // only link-local addresses: the kernel sends from the link's, which no router forwards
    return own(route.dev) ?? no(`${ns.label} has no IPv6 address to send from`);
  }

  private applyNat(ns: Netns, pkt: Packet, route: Route): void {
    const e = natEffect(this.p.chains.get(`${ns.key} ${this.family} nat POSTROUTING`) ?? [], { out: route.dev.name, src: pkt.src!, dst: pkt.dst, state: "NEW" });
    if ("unknown" in e) return unknown(e.unknown);
    const nat: Nat = e.value;
    if (nat.kind === "none") return;
    this.use(...e.by);
    const to = nat.kind === "snat" ? nat.to : this.v6 ? this.source6(ns, route, pkt.dst) : primaryOn(route.dev, route.via ?? pkt.dst);
    if (to === undefined) no(`${ns.label} masquerades on ${route.dev.name}, which has no address`);
    if (to !== pkt.src) {
      this.nat.set(ns.key, { from: pkt.src!, to: to! });
      this.path.push(`${ns.label} ${nat.kind === "snat" ? "SNATs" : "masquerades"} ${ipText(pkt.src!)} as ${ipText(to!)}`);
      pkt.src = to;
    }
  }

  /** Who answers ARP (neighbour discovery) for the next hop on the route's link, and so receives the packet. */
  private nextHop(ns: Netns, route: Route, pkt: Packet): Iface {
    const nh = route.via ?? pkt.dst;
    if (!this.p.l2.isStation(route.dev)) unknown(`${ns.label} sends through ${route.dev.name}, a bridge port: outside the model`);
    const wire = this.p.l2.wire(route.dev);
    if (wire.unknown) unknown(wire.unknown);
    this.use(route.dev.origin);
    const answering = this.p.answering(route.dev, wire, this.family).get(nh)?.filter((n) => n.station.ns !== ns.key) ?? [];
    const definite = answering.filter((n) => !n.unknown);
    for (const n of answering) this.use(n.station.origin, this.holder(this.ns(n.station.ns), nh)?.origin);
    const where = `on the link of ${ns.label} ${route.dev.name}`;
    const one = definite.length > 1 && definite.every((n) => n.station.ns === definite[0].station.ns) ? this.ns(definite[0].station.ns) : undefined;
    if (one && !this.matchesInterfaceIn(one)) {
      // Several links of one namespace hear the request and answer (arp_ignore 0): the packet lands there either way.
      definite.splice(1);
    }
    if (definite.length > 1) unknown(`${definite.map((n) => `${this.ns(n.station.ns).label} ${n.station.name}`).join(" and ")} all answer for ${ipText(nh)} ${where}`);
    const maybe = answering.find((n) => n.unknown);
    if (maybe) unknown(maybe.unknown!);
    if (definite.length === 1) return definite[0].station;
    for (const n of wire.neighbours) this.use(n.station.origin);
    const secret = wire.neighbours.map((n) => this.p.problems(this.ns(n.station.ns))[0]).find(Boolean);
    if (secret) unknown(secret);
    if (wire.open) unknown(`nobody the stack knows answers for ${ipText(nh)} ${where}, and ${wire.open}`);
    if (this.v6 && isLinkLocal(nh)) {
      const unseen = wire.neighbours.find((n) => this.p.linkLocalUnknown.has(n.station));
      if (unseen) unknown(`the link-local address of ${this.ns(unseen.station.ns).label} ${unseen.station.name} is not known (its MAC is known only after up)`);
    }
    const tentative = wire.neighbours.map((n) => this.p.held.get(n.station.ns)?.tentative.get(nh)).find(Boolean);
    const apart = wire.excluded.filter((x) => this.holder(this.ns(x.station.ns), nh)).map((x) => x.why);
    const detail = [wire.down, tentative, ...apart].filter(Boolean);
    return no(`nobody answers for ${ipText(nh)} ${where}${detail.length ? `: ${detail.join("; ")}` : ""}`);
  }

  /** Whether a filter rule of the namespace matches on the input interface (-i). */
  private matchesInterfaceIn(ns: Netns): boolean {
    return this.m.rules.some((r) => r.ns === ns.key && r.family === this.family && r.table === "filter" && r.tokens.some((t) => t === "-i" || t === "--in-interface"));
  }

  /** Carries a packet from `start` until a namespace takes it as its own. */
  private travel(pkt: Packet, start: Netns, dir: Dir, dev?: string): { at: Netns; pkt: Packet; routers: string[]; station?: Iface } {
    const routers: string[] = [];
    let ns = start;
    let route = this.lookup(ns, pkt.dst, dev);
    pkt.src ??= this.source(ns, route, pkt.dst);
    pkt.ttl = this.defaultTtl(ns, route.dev.name);
    const state = (n: Netns) => (dir === "request" ? "NEW" : this.seen.has(n.key) ? "ESTABLISHED" : "INVALID");
    this.filter(ns, "OUTPUT", { out: route.dev.name, src: pkt.src, dst: pkt.dst, state: state(ns) }, dir);
    if (dir === "request") {
      this.seen.add(ns.key);
      this.applyNat(ns, pkt, route);
    }
    for (let hop = 0; hop < 64; hop++) {
      const station = this.nextHop(ns, route, pkt);
      this.leaves(ns, route.dev);
      // through a bridge, the frame leaves by the port whose veth peer the station is
      const port = station.peer ? this.m.ifaces.get(station.peer) : undefined;
      if (port?.master) this.leaves(this.ns(port.ns), port);
      const next = this.ns(station.ns);
      this.path.push(`${ns.label} ${route.dev.name} → ${next.label} ${station.name}`);
      this.known(next);
      const undo = this.nat.get(next.key);
      if (dir === "reply" && undo && pkt.dst === undo.to) pkt.dst = undo.from;
      if (this.holder(next, pkt.src!)) no(`${next.label} drops it: its source ${this.text(pkt.src!)} is an address of its own (${this.v6 ? "duplicate address" : "martian"})`);
      const seen = { in: station.name, src: pkt.src!, dst: pkt.dst };
      if (this.holder(next, pkt.dst)) {
        this.filter(next, "INPUT", { ...seen, state: state(next) }, dir);
        if (dir === "request") this.seen.add(next.key);
        return { at: next, pkt, routers, station };
      }
      this.forwards(next, pkt);
      route = this.lookup(next, pkt.dst);
      this.filter(next, "FORWARD", { ...seen, out: route.dev.name, state: state(next) }, dir);
      if (pkt.ttl <= 1) no(`the ${this.v6 ? "hop limit" : "TTL"} runs out in ${next.label}: the packet loops`);
      pkt.ttl -= 1;
      routers.push(next.label);
      this.path.push(`${next.label} forwards ${station.name} → ${route.dev.name}`);
      if (dir === "request") {
        this.seen.add(next.key);
        this.applyNat(next, pkt, route);
      }
      ns = next;
    }
    return no("the packet loops");
  }

  /** A namespace that does not hold the destination forwards it, or the packet ends there. */
  private forwards(next: Netns, pkt: Packet): void {
    if (!this.v6) {
      const forward = this.sysctl(next, "net.ipv4.ip_forward") ?? this.sysctl(next, "net.ipv4.conf.all.forwarding");
      if ((forward ?? "0") === "0") no(`${next.label} does not forward: net.ipv4.ip_forward is 0${forward === undefined ? " (a new namespace's default)" : ""}`);
      return;
    }
    const all = this.sysctl(next, "net.ipv6.conf.all.forwarding");
    if ((all ?? "0") === "0") {
      const perLink = [...(this.m.sysctls.get(next.key) ?? [])].filter(([k, s]) => /^net\.ipv6\.conf\.[^.]+\.forwarding$/.test(k) && k !== "net.ipv6.conf.all.forwarding" && s.value !== "0").map(([k]) => k);
      const also = perLink.length ? ` (${perLink.join(", ")} changes only how those links take router advertisements: the kernel forwards by conf.all)` : all === undefined ? " (a new namespace's default)" : "";
      no(`${next.label} does not forward IPv6: net.ipv6.conf.all.forwarding is 0${also}`);
    }
    if (isLinkLocal(pkt.src!) || isLinkLocal(pkt.dst)) no(`${next.label} does not forward a packet with a link-local ${isLinkLocal(pkt.dst) ? "destination" : "source"} (beyond its scope)`);
  }
}

interface Packet {
  src: bigint | undefined;
  dst: bigint;
  ttl: number;
}

/** The first primary IPv4 address of a link in the subnet of `toward`, else its first one. */
function primaryOn(dev: Iface, toward: bigint): bigint | undefined {
  const v4s = dev.addresses.filter((a) => isV4(a.ip));
  const primaries = v4s.filter((a, k) => !v4s.slice(0, k).some((b) => b.len === a.len && inNet(a.ip, networkOf(b))));
  return (primaries.find((a) => inNet(toward, networkOf(a))) ?? primaries[0])?.ip;
}

const routeText = (r: RouteEntry) => `route ${r.dest.len === 0 && !isV4(r.dest.ip) ? "default (IPv6)" : netText(r.dest)}${r.via !== undefined ? ` via ${ipText(r.via)}` : ""}${r.dev ? ` dev ${r.dev}` : ""}`;

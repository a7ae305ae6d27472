/**
 * The prediction: does an ICMP echo from a namespace to an address come back, and with which
 * TTL? One echo request is walked hop by hop through the model — route lookup, source address,
 * filter OUTPUT/FORWARD/INPUT, TTL, nat POSTROUTING, the neighbour that answers ARP for the
 * next hop — and then its reply, the same way back (conntrack undoes the NAT and makes the
 * reply ESTABLISHED where the request passed). The first step that drops it answers
 * "unreachable"; the first step the model cannot decide answers "unknown", with the reason.
 *
 * Assumed of every namespace the stack makes: nothing else is in it, its sysctls are a new
 * namespace's (ip_forward 0, rp_filter 0, arp_ignore 0, default TTL 64) unless a Sysctl says
 * otherwise, its iptables policies ACCEPT, and only the default routing rules (so tables
 * other than main and default are never consulted). Addresses are local to a namespace
 * whatever the state of their link (the kernel keeps their local routes when a link is down).
 */
import { filterVerdict, MODELLED, natEffect, type Nat, type Pkt, ruleText, unmodelledChain } from "./firewall";
import { inNet, ipText, type Net, networkOf, netText, v4 } from "./ip";
import { Layer2, type Neighbour, type Wire } from "./layer2";
import { type Iface, type Model, type Netns, type Origin, originText, type RouteEntry, type RuleEntry } from "./model";

export type Answer = "reachable" | "unreachable" | "unknown";

export interface Prediction {
  /** The namespace's label. */
  from: string;
  to: string;
  answer: Answer;
  /** The reply's TTL as ping prints it (reachable only). */
  ttl?: number;
  reason: string;
  /** The hops of the request and then of the reply, as far as they went. */
  path: string[];
  /** URNs of the resources the answer rests on (for the review: which change caused it). */
  uses: string[];
}

/** Sysctls the model reads; the others listed here do not change whether a ping comes back. */
const READ = new Set(["net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding", "net.ipv4.ip_default_ttl", "net.ipv4.icmp_echo_ignore_all"]);
const HARMLESS = [/^net\.ipv6\./, /^net\.core\./, /^net\.unix\./, /^net\.ipv4\.(tcp|udp)_/, /^net\.ipv4\.ip_local_(port_range|reserved_ports)$/, /^net\.ipv4\.ping_group_range$/];
const HARMLESS_TEXT = "IPv6, net.core, TCP/UDP, port ranges";

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
  via?: number;
  src?: number;
  text: string;
  origin?: Origin;
}

type Dir = "request" | "reply";

/** The model with what every prediction on it shares (layer 2, what is outside per namespace). */
export class Predictor {
  readonly l2: Layer2;
  private readonly outside = new Map<string, string[]>();
  /** Interfaces by namespace key, and each namespace's addresses → the interface holding them. */
  readonly ifaces = new Map<string, Iface[]>();
  readonly holders = new Map<string, Map<number, Iface>>();
  /** Routes per namespace and table, as `routes` computes them. */
  readonly routeCache = new Map<string, RouteCandidate[]>();
  /** Every IPv4 address of the stack. */
  readonly addresses = new Set<number>();
  /** Rules by `nsKey table chain`. */
  readonly chains = new Map<string, RuleEntry[]>();
  private readonly labels = new Map<string, Netns>();
  /** Per link, who answers ARP for each address (see `answering`). */
  private readonly answers = new Map<string, Map<number, Neighbour[]>>();

  constructor(readonly m: Model) {
    this.l2 = new Layer2(m);
    for (const i of m.ifaces.values()) {
      if (!this.ifaces.has(i.ns)) {
        this.ifaces.set(i.ns, []);
        this.holders.set(i.ns, new Map());
      }
      this.ifaces.get(i.ns)!.push(i);
      const held = this.holders.get(i.ns)!;
      for (const a of i.addresses) {
        if (!held.has(a.ip)) held.set(a.ip, i);
        this.addresses.add(a.ip);
      }
    }
    for (const n of m.namespaces.values()) this.labels.set(n.label, n);
    for (const r of m.rules) {
      const key = `${r.ns} ${r.table} ${r.chain}`;
      if (!this.chains.has(key)) this.chains.set(key, []);
      this.chains.get(key)!.push(r);
    }
    for (const ns of m.namespaces.values()) this.outside.set(ns.key, [...ns.outside]);
    for (const r of m.rules) if (unmodelledChain(r)) this.outside.get(r.ns)?.push(`${ruleText(r)} is in a chain the model does not evaluate (only ${Object.entries(MODELLED).map(([t, c]) => `${t} ${c.join("/")}`).join(", ")})`);
    for (const [ns, map] of m.sysctls) {
      for (const [key, s] of map) {
        if (!READ.has(key) && !HARMLESS.some((h) => h.test(key))) this.outside.get(ns)?.push(`sysctl ${key}=${s.value} (${originText(s.origin)}) is outside the model (it reads ${[...READ].join(", ")}; ignores ${HARMLESS_TEXT})`);
      }
    }
  }

  /** The namespace named by a label (`d1`, `d1@host`, `pulumi's own`) or key. */
  namespace(name: string): Netns | undefined {
    return this.m.namespaces.get(name) ?? this.labels.get(name);
  }

  /** The neighbours on a link whose namespace holds each address (and so answers ARP for it). */
  answering(dev: Iface, wire: Wire): Map<number, Neighbour[]> {
    let map = this.answers.get(dev.key);
    if (!map) {
      map = new Map();
      for (const n of wire.neighbours) {
        for (const ip of this.holders.get(n.station.ns)?.keys() ?? []) {
          if (!map.has(ip)) map.set(ip, []);
          map.get(ip)!.push(n);
        }
      }
      this.answers.set(dev.key, map);
    }
    return map;
  }

  problems(ns: Netns): string[] {
    return [...this.m.everywhere, ...(this.outside.get(ns.key) ?? [])];
  }
}

/** Does a ping from `from` (a namespace's label or key) to `to` come back? */
export function predict(model: Model | Predictor, from: string, to: string): Prediction {
  const p = model instanceof Predictor ? model : new Predictor(model);
  const walk = new Walk(p);
  const base = { from: p.namespace(from)?.label ?? from, to };
  try {
    const ns = p.namespace(from);
    if (!ns) return unknown(`${from} is not a namespace of the stack`);
    const dst = v4(to);
    if (dst === undefined) return unknown(to.includes(":") ? "IPv6 is outside the model" : `${to} is not an IPv4 address`);
    if (!p.addresses.has(dst)) return unknown(`${to} is not an address of the stack`);
    const { ttl, reason } = walk.ping(ns, dst);
    return { ...base, answer: "reachable", ttl, reason, path: walk.path, uses: [...walk.uses] };
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
  private readonly nat = new Map<string, { from: number; to: number }>();
  private readonly m: Model;

  constructor(private readonly p: Predictor) {
    this.m = p.m;
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

  /** The interface holding `ip` in a namespace (whatever the state of its link), if any. */
  private holder(ns: Netns, ip: number): Iface | undefined {
    return this.p.holders.get(ns.key)?.get(ip);
  }

  private sysctl(ns: Netns, key: string): string | undefined {
    const s = this.m.sysctls.get(ns.key)?.get(key);
    this.use(s?.origin);
    return s?.value;
  }
  private defaultTtl(ns: Netns): number {
    return Number(this.sysctl(ns, "net.ipv4.ip_default_ttl") ?? 64);
  }

  ping(from: Netns, dst: number): { ttl: number; reason: string } {
    this.known(from);
    if (this.holder(from, dst)) return this.loopback(from, dst);
    const request = this.travel({ src: undefined, dst, ttl: this.defaultTtl(from) }, from, "request");
    const at = request.at;
    if ((this.sysctl(at, "net.ipv4.icmp_echo_ignore_all") ?? "0") !== "0") no(`${at.label} ignores echo requests (net.ipv4.icmp_echo_ignore_all)`);
    this.path.push(`${at.label} replies from ${ipText(dst)} to ${ipText(request.pkt.src!)}`);
    const reply = this.travel({ src: dst, dst: request.pkt.src!, ttl: this.defaultTtl(at) }, at, "reply");
    if (reply.at !== from) no(`the reply is delivered to ${reply.at.label}, which holds ${ipText(reply.pkt.dst)} too, not to ${from.label}`);
    const routers = [...new Set([...request.routers, ...reply.routers])];
    const nat = [...this.nat.keys()].map((k) => this.ns(k).label);
    const masq = nat.length ? `, masqueraded by ${nat.join(", ")}` : "";
    if (!routers.length) return { ttl: reply.pkt.ttl, reason: `on one link with ${at.label}${masq}` };
    const n = reply.routers.length;
    return { ttl: reply.pkt.ttl, reason: `through ${routers.join(", ")}${masq}; the reply crosses ${n} router${n === 1 ? "" : "s"}` };
  }

  private loopback(ns: Netns, dst: number): { ttl: number; reason: string } {
    this.use(this.holder(ns, dst)!.origin);
    if (ns.loopbackUp === false) no(`lo is down in ${ns.label}: a namespace reaches even its own addresses only through lo`);
    if (ns.loopbackUp === undefined) unknown(`whether lo is up in ${ns.label} is not known`);
    for (const state of ["NEW", "ESTABLISHED"] as const) {
      this.filter(ns, "OUTPUT", { out: "lo", src: dst, dst, state });
      this.filter(ns, "INPUT", { in: "lo", src: dst, dst, state });
    }
    this.path.push(`${ns.label} lo`);
    return { ttl: this.defaultTtl(ns), reason: `its own address, through lo` };
  }

  private filter(ns: Netns, chain: string, pkt: Pkt, dir: Dir = "request"): void {
    const v = filterVerdict(this.p.chains.get(`${ns.key} filter ${chain}`) ?? [], pkt);
    if ("unknown" in v) return unknown(v.unknown);
    this.use(...v.by);
    if (v.value === "DROP") no(`${ns.label} drops ${dir === "reply" ? "the reply" : "it"} in ${chain} (${v.by.map(originText).join(", ")})`);
  }

  /** Routes of a namespace's main table, connected ones first, as the kernel would hold them. */
  private routes(ns: Netns, table: string): RouteCandidate[] {
    const key = `${ns.key}\0${table}`;
    const known = this.p.routeCache.get(key);
    if (known) return known;
    const out: RouteCandidate[] = [];
    this.p.routeCache.set(key, out);
    const ifaces = this.ifaces(ns);
    if (table === "main") {
      for (const i of ifaces.filter((x) => x.up)) {
        for (const a of i.addresses) {
          const dest = networkOf(a);
          if (a.len === 32 || out.some((r) => r.dest.ip === dest.ip && r.dest.len === dest.len && r.dev === i)) continue;
          out.push({ dest, metric: 0, dev: i, make: () => ({ dev: i, src: a.ip, text: `${netText(dest)} dev ${i.name}`, origin: i.origin }) });
        }
      }
    }
    for (const r of this.m.routes.filter((x) => x.ns === ns.key && x.table === table)) {
      const dev = this.routeDev(ns, r, ifaces);
      if (dev === null) continue; // its link is down: the kernel removed it
      out.push({ dest: r.dest, metric: r.metric, make: () => (typeof dev === "string" ? unknown(dev) : { dev, via: r.via, text: routeText(r), origin: r.origin }) });
    }
    return out;
  }

  /** A static route's device: the iface, null when down (gone), or why unknown. */
  private routeDev(ns: Netns, r: RouteEntry, ifaces: Iface[]): Iface | null | string {
    const dev = r.dev ? ifaces.find((i) => i.name === r.dev) : ifaces.find((i) => i.up && r.via !== undefined && i.addresses.some((a) => a.len < 32 && inNet(r.via!, a)));
    if (!dev) return `${routeText(r)} in ${ns.label} (${originText(r.origin)}) goes through ${r.dev ? `${r.dev}, which the stack does not manage` : "a link the model cannot find"}`;
    return dev.up ? dev : null;
  }

  private lookup(ns: Netns, dst: number): Route {
    for (const table of ["main", "253"]) {
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

  /** The source address the kernel picks for a route (`inet_select_addr`). */
  private source(ns: Netns, route: Route, dst: number): number {
    if (route.src !== undefined) return route.src;
    const picked = primaryOn(route.dev, route.via ?? dst);
    if (picked !== undefined) return picked;
    const others = this.ifaces(ns).filter((i) => i !== route.dev && i.up && i.addresses.length);
    if (others.length === 1) return others[0].addresses[0].ip;
    if (others.length > 1) return unknown(`${route.dev.name} in ${ns.label} has no address: which of ${others.map((i) => i.name).join(", ")}'s is the source is not known`);
    return no(`${ns.label} has no IPv4 address to send from`);
  }

  private applyNat(ns: Netns, pkt: Packet, route: Route): void {
    const e = natEffect(this.p.chains.get(`${ns.key} nat POSTROUTING`) ?? [], { out: route.dev.name, src: pkt.src!, dst: pkt.dst, state: "NEW" });
    if ("unknown" in e) return unknown(e.unknown);
    const nat: Nat = e.value;
    if (nat.kind === "none") return;
    this.use(...e.by);
    const to = nat.kind === "snat" ? nat.to : primaryOn(route.dev, route.via ?? pkt.dst);
    if (to === undefined) no(`${ns.label} masquerades on ${route.dev.name}, which has no address`);
    if (to !== pkt.src) {
      this.nat.set(ns.key, { from: pkt.src!, to: to! });
      this.path.push(`${ns.label} ${nat.kind === "snat" ? "SNATs" : "masquerades"} ${ipText(pkt.src!)} as ${ipText(to!)}`);
      pkt.src = to;
    }
  }

  /** Who answers ARP for the next hop on the route's link, and so receives the packet. */
  private nextHop(ns: Netns, route: Route, pkt: Packet): Iface {
    const nh = route.via ?? pkt.dst;
    if (!this.p.l2.isStation(route.dev)) unknown(`${ns.label} sends through ${route.dev.name}, a bridge port: outside the model`);
    const wire = this.p.l2.wire(route.dev);
    if (wire.unknown) unknown(wire.unknown);
    this.use(route.dev.origin);
    const answering = this.p.answering(route.dev, wire).get(nh)?.filter((n) => n.station.ns !== ns.key) ?? [];
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
    const apart = wire.excluded.filter((x) => this.holder(this.ns(x.station.ns), nh)).map((x) => x.why);
    const detail = [wire.down, ...apart].filter(Boolean);
    return no(`nobody answers for ${ipText(nh)} ${where}${detail.length ? `: ${detail.join("; ")}` : ""}`);
  }

  /** Whether a filter rule of the namespace matches on the input interface (-i). */
  private matchesInterfaceIn(ns: Netns): boolean {
    return this.m.rules.some((r) => r.ns === ns.key && r.table === "filter" && r.tokens.some((t) => t === "-i" || t === "--in-interface"));
  }

  /** Carries a packet from `start` until a namespace takes it as its own. */
  private travel(pkt: Packet, start: Netns, dir: Dir): { at: Netns; pkt: Packet; routers: string[] } {
    const routers: string[] = [];
    let ns = start;
    let route = this.lookup(ns, pkt.dst);
    pkt.src ??= this.source(ns, route, pkt.dst);
    const state = (n: Netns) => (dir === "request" ? "NEW" : this.seen.has(n.key) ? "ESTABLISHED" : "INVALID");
    this.filter(ns, "OUTPUT", { out: route.dev.name, src: pkt.src, dst: pkt.dst, state: state(ns) }, dir);
    if (dir === "request") {
      this.seen.add(ns.key);
      this.applyNat(ns, pkt, route);
    }
    for (let hop = 0; hop < 64; hop++) {
      const station = this.nextHop(ns, route, pkt);
      const next = this.ns(station.ns);
      this.path.push(`${ns.label} ${route.dev.name} → ${next.label} ${station.name}`);
      this.known(next);
      const undo = this.nat.get(next.key);
      if (dir === "reply" && undo && pkt.dst === undo.to) pkt.dst = undo.from;
      if (this.holder(next, pkt.src!)) no(`${next.label} drops it: its source ${ipText(pkt.src!)} is an address of its own (martian)`);
      const seen = { in: station.name, src: pkt.src!, dst: pkt.dst };
      if (this.holder(next, pkt.dst)) {
        this.filter(next, "INPUT", { ...seen, state: state(next) }, dir);
        if (dir === "request") this.seen.add(next.key);
        return { at: next, pkt, routers };
      }
      const forward = this.sysctl(next, "net.ipv4.ip_forward") ?? this.sysctl(next, "net.ipv4.conf.all.forwarding");
      if ((forward ?? "0") === "0") no(`${next.label} does not forward: net.ipv4.ip_forward is 0${forward === undefined ? " (a new namespace's default)" : ""}`);
      route = this.lookup(next, pkt.dst);
      this.filter(next, "FORWARD", { ...seen, out: route.dev.name, state: state(next) }, dir);
      if (pkt.ttl <= 1) no(`the TTL runs out in ${next.label}: the packet loops`);
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
}

interface Packet {
  src: number | undefined;
  dst: number;
  ttl: number;
}

/** The first primary address of a link in the subnet of `toward`, else its first one. */
function primaryOn(dev: Iface, toward: number): number | undefined {
  const primaries = dev.addresses.filter((a, k) => !dev.addresses.slice(0, k).some((b) => b.len === a.len && inNet(a.ip, networkOf(b))));
  return (primaries.find((a) => inNet(toward, networkOf(a))) ?? primaries[0])?.ip;
}

const routeText = (r: RouteEntry) => `route ${netText(r.dest)}${r.via !== undefined ? ` via ${ipText(r.via)}` : ""}${r.dev ? ` dev ${r.dev}` : ""}`;

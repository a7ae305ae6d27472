/**
 * One entry per resource kind of the registry (provider/registry.ts): what the summary says
 * about it and what the diagram draws. Which fields replace an object comes from the registry;
 * an entry only says why. Its type token is `pulumi-nodejs:dynamic/linuxnet:<Kind>` and its
 * state outputs include its inputs, so the entry reads its input fields. Kinds without an
 * entry (another provider's) still appear, drawn and described generically.
 */
import { COMPONENTS, declOf, REPLACE_ON_EVERY_KIND } from "../provider/registry";
import type { Drawing } from "./drawing";
import { at, list, type Props, str } from "../model/values";

/** What an entry of the table below says; `identity` is filled in from the registry. */
interface EntrySpec {
  /** Drawing order: namespaces, then nodes others point at, then links, then notes. */
  layer: 0 | 1 | 2 | 3;
  /** The object in a few words for the summary ("bridge br0, 10.0.0.1/24"). */
  describe(p: Props, name: string): string;
  /** The namespaces it is in ("" = the one pulumi runs in). */
  netns(p: Props): string[];
  /** Why a change of a field replaces the object, where the field's own name does not say it (WHY_BY_FIELD). */
  why?: Record<string, string>;
  draw(p: Props, d: Drawing, name: string): void;
  /** What else goes when it is deleted, for the summary's warning. */
  onDelete?: string;
}

export interface KindEntry extends EntrySpec {
  /** Why a change of a field means a replacement: by dotted path (the registry's replaceOn). */
  identity: Record<string, string>;
}

const WHY = {
  name: "the kernel name is the identity",
  netns: "a link is made in its namespace, so in another one it is a new link",
  namespace: "a namespace's name is its identity (its file under /run/netns)",
  vlanId: "the kernel fixes a VLAN's id when it creates the link",
  parent: "a link is bound to its parent when the kernel creates it",
  mode: "the macvlan mode is fixed when the kernel creates the link",
  rule: "a rule's table, chain and family place it: elsewhere it is another rule",
  key: "another key is another setting",
  route: "a route is known by its destination, metric, table and family",
  network: "a macvlan network is known by its name",
  host: "another machine holds another object",
};
/** Why a field replaces, by its last name part, unless the entry says otherwise. */
const WHY_BY_FIELD: Record<string, string> = { name: WHY.name, netns: WHY.netns, parent: WHY.parent, mode: WHY.mode, vlanId: WHY.vlanId, protocol: WHY.vlanId, key: WHY.key, host: WHY.host, port: WHY.host };
/** Said when a kind's entry does not know why a field replaces it. */
export const DEFAULT_WHY = "the provider replaces the object when it changes";

const ns = (p: Props, path = "netns") => str(p, path) ?? "";
const where = (netns: string) => (netns ? `in ${netns}` : "in pulumi's own netns");
/** "eth0 10.0.0.2/24" */
const withAddresses = (name: string, p: Props, path: string) => [name, list(p, path).join(", ")].filter(Boolean).join(" ");

function vethEnd(p: Props, side: "end" | "peer") {
  const name = str(p, `${side}.name`) ?? "?";
  const master = str(p, `${side}.master`);
  return { netns: ns(p, `${side}.netns`), name, master, label: withAddresses(name, p, `${side}.addresses`) };
}

const namespaceEntry: EntrySpec = {
  layer: 0,
  describe: (p, name) => `netns ${str(p, "name") ?? name}${p.loopbackUp === false ? ", lo down" : ""}`,
  onDelete: "with every link still in it",
  netns: (p) => [str(p, "name") ?? ""],
  why: { name: WHY.namespace },
  draw: (p, d, name) => d.declareNamespace(str(p, "name") ?? name),
};

/** A fleet's members as one group: their count, first and last names and subnets. */
function fleetGroup(p: Props, name: string) {
  const members = Array.isArray(p.members) ? (p.members as Array<{ name?: string }>) : [];
  const count = members.length || Number(str(p, "count") ?? 0);
  const first = members[0]?.name ?? (str(p, "namePrefix") !== undefined ? `${str(p, "namePrefix")}${str(p, "start") ?? 0}` : name);
  const last = members.at(-1)?.name ?? (str(p, "namePrefix") !== undefined ? `${str(p, "namePrefix")}${Number(str(p, "start") ?? 0) + count - 1}` : "");
  const nets = [str(p, "subnet"), str(p, "subnet6")].filter((x): x is string => x !== undefined);
  return { count, range: count > 1 ? `${first}…${last}` : first, nets, ifname: str(p, "ifname") ?? "eth0" };
}

const fleetEntry: EntrySpec = {
  layer: 2,
  describe(p, name) {
    const g = fleetGroup(p, name);
    const bridge = str(p, "bridge");
    return `fleet of ${g.count} netns ${g.range}, ${g.ifname}${g.nets.length ? ` on ${g.nets.join(", ")}` : ""}, ${bridge ? `ports of ${bridge}` : "ports"} ${where(ns(p))}`;
  },
  onDelete: "with every member's namespace and what is in it",
  netns: (p) => [ns(p)],
  why: { netns: "every member's port is made in that namespace", ifname: "every member's own end is made under that name" },
  draw(p, d, name) {
    const g = fleetGroup(p, name);
    const id = d.node(ns(p), `fleet ${name}`, "interface", [`${g.count} namespaces ${g.range}`, ...g.nets], `NamespaceFleet:${name}`);
    const bridge = str(p, "bridge");
    if (bridge) d.edge(id, d.ref(ns(p), bridge), `${g.count} veth pairs`, "port");
  },
};

const bridgeEntry: EntrySpec = {
  layer: 1,
  describe: (p, name) => `bridge ${withAddresses(str(p, "name") ?? name, p, "addresses")} ${where(ns(p))}${p.stp === true ? ", STP on" : ""}`,
  netns: (p) => [ns(p)],
  draw: (p, d, name) => void d.node(ns(p), str(p, "name") ?? name, "bridge", ["bridge", ...list(p, "addresses"), ...(p.stp === true ? ["STP on"] : [])]),
};

const vethEntry: EntrySpec = {
  layer: 2,
  describe(p) {
    const [a, b] = [vethEnd(p, "end"), vethEnd(p, "peer")];
    const side = (e: typeof a) => `${e.label} ${where(e.netns)}${e.master ? `, port of ${e.master}` : ""}`;
    return `veth ${side(a)} ⟷ ${side(b)}`;
  },
  netns: (p) => [...new Set([ns(p, "end.netns"), ns(p, "peer.netns")])],
  draw(p, d) {
    const [a, b] = [vethEnd(p, "end"), vethEnd(p, "peer")];
    // An end another object sits on (a VLAN's or macvlan's parent) is a node of its own.
    const at = (e: typeof a) =>
      e.master ? d.ref(e.netns, e.master) : d.isReferenced(e.netns, e.name) ? d.node(e.netns, e.name, "interface", list(p, `${e === a ? "end" : "peer"}.addresses`)) : d.namespace(e.netns);
    d.edge(at(a), at(b), `${a.label} ⟷ ${b.label}`, "veth");
  },
};

const vlanEntry: EntrySpec = {
  layer: 1,
  describe: (p, name) => `${vlanTag(p)} ${withAddresses(str(p, "name") ?? name, p, "addresses")} on ${str(p, "parent") ?? "?"} ${where(ns(p))}`,
  netns: (p) => [ns(p)],
  draw(p, d, name) {
    const id = d.node(ns(p), str(p, "name") ?? name, "vlan", [vlanTag(p), ...list(p, "addresses")]);
    const parent = str(p, "parent");
    if (parent) d.edge(id, d.ref(ns(p), parent), vlanTag(p), "parent");
  },
};
/** "VLAN 10", or "VLAN 10 (802.1ad)" for a service tag. */
const vlanTag = (p: Props) => `VLAN ${str(p, "vlanId") ?? "?"}${str(p, "protocol") === "802.1ad" ? " (802.1ad)" : ""}`;

/** "VXLAN 42 → 192.0.2.2:4789" (or "… group 239.1.1.1"). */
const vxlanTag = (p: Props) => {
  const peer = str(p, "remote") ?? (str(p, "group") ? `group ${str(p, "group")}` : undefined);
  return `VXLAN ${str(p, "vni") ?? "?"}${peer ? ` → ${peer}:${str(p, "port") ?? "4789"}` : ""}`;
};
const vxlanEntry: EntrySpec = {
  layer: 1,
  describe: (p, name) =>
    `${vxlanTag(p)} ${withAddresses(str(p, "name") ?? name, p, "addresses")}${str(p, "local") ? ` from ${str(p, "local")}` : ""}${str(p, "dev") ? ` over ${str(p, "dev")}` : ""}${str(p, "master") ? `, port of ${str(p, "master")}` : ""} ${where(ns(p))}`,
  netns: (p) => [ns(p)],
  why: { vni: "the kernel fixes a VXLAN's VNI when it creates the link", port: "the kernel fixes a VXLAN's UDP port when it creates the link" },
  draw(p, d, name) {
    const id = d.node(ns(p), str(p, "name") ?? name, "vlan", [vxlanTag(p), ...list(p, "addresses")]);
    const master = str(p, "master");
    if (master) d.edge(id, d.ref(ns(p), master), "port", "port");
    const dev = str(p, "dev");
    if (dev) d.edge(id, d.ref(ns(p), dev), "underlay", "parent");
  },
};

/** "netem on eth0: delay 50ms ±10ms, loss 1%" or "tbf on eth0: rate 10mbit". */
const shapingText = (p: Props) => {
  const parts = [
    str(p, "delay") && `delay ${str(p, "delay")}${str(p, "jitter") ? ` ±${str(p, "jitter")}` : ""}${str(p, "distribution") && str(p, "distribution") !== "uniform" ? ` (${str(p, "distribution")})` : ""}`,
    ...(["loss", "duplicate", "corrupt", "reorder"] as const).map((f) => str(p, f) !== undefined && `${f} ${str(p, f)!.replace(/%$/, "")}%`),
    str(p, "rate") && `rate ${str(p, "rate")}`,
    str(p, "limit") && `limit ${str(p, "limit")} packets`,
  ].filter(Boolean);
  const netem = ["delay", "loss", "duplicate", "corrupt", "reorder"].some((f) => str(p, f) !== undefined);
  return `${netem ? "netem" : "tbf"} on ${str(p, "dev") ?? "?"}: ${parts.join(", ")}`;
};
const linkShapingEntry: EntrySpec = {
  layer: 3,
  describe: (p) => `${shapingText(p)} ${where(ns(p))}`,
  netns: (p) => [ns(p)],
  why: { dev: "shaping belongs to one interface: on another it is another qdisc" },
  draw: (p, d) => d.note(ns(p), shapingText(p)),
};

/** A macvlan network is found by the link it sits on (its name, like Docker's, repeats across hosts). */
const macvlanKey = (netns: string, parent: string) => `macvlan:${netns}/${parent}`;
const macvlanNetworkEntry: EntrySpec = {
  layer: 1,
  describe: (p, name) =>
    `macvlan network ${str(p, "name") ?? name} on ${str(p, "parent") ?? "?"} ${where(ns(p))}, mode ${str(p, "mode") ?? "bridge"}, subnet ${str(p, "subnet") ?? "?"}, gateway ${str(p, "gateway") ?? "?"}${str(p, "hostAccess.address") ? `, host shim ${str(p, "hostAccess.name") ?? ""} ${str(p, "hostAccess.address")}` : ""}`,
  netns: (p) => [ns(p)],
  why: { name: WHY.network },
  draw(p, d, name) {
    const parent = str(p, "parent") ?? "?";
    const shim = str(p, "hostAccess.address");
    const details = [`macvlan ${str(p, "mode") ?? "bridge"}`, ...list(p, "subnet"), `gateway ${str(p, "gateway") ?? "?"}`, ...(shim ? [`host shim ${shim}`] : [])];
    const id = d.node(ns(p), str(p, "name") ?? name, "macvlan", details, macvlanKey(ns(p), parent));
    d.edge(id, d.ref(ns(p), parent), "parent", "parent");
  },
};

const macvlanEndpointEntry: EntrySpec = {
  layer: 2,
  describe: (p, name) =>
    `macvlan endpoint ${str(p, "name") ?? name} ${str(p, "address") ?? "?"} ${where(ns(p))}, on ${str(p, "network.parent") ?? "?"} ${where(ns(p, "network.netns"))}`,
  netns: (p) => [ns(p)],
  why: { "network.netns": WHY.parent },
  draw(p, d, name) {
    const [netns, parent] = [ns(p, "network.netns"), str(p, "network.parent") ?? "?"];
    const network = d.ref(netns, `macvlan on ${parent}`, macvlanKey(netns, parent));
    d.edge(network, d.namespace(ns(p)), `${str(p, "name") ?? name} ${str(p, "address") ?? "?"}`, "parent");
  },
};

const routeText = (p: Props) => {
  const via = str(p, "via");
  const dev = str(p, "dev");
  const table = str(p, "table");
  return `route ${str(p, "destination") ?? "default"}${via ? ` via ${via}` : ""}${dev ? ` dev ${dev}` : ""}${table && table !== "main" ? ` table ${table}` : ""}`;
};
const routeEntry: EntrySpec = {
  layer: 3,
  describe: (p) => `${routeText(p)} ${where(ns(p))}`,
  netns: (p) => [ns(p)],
  why: { destination: WHY.route, metric: WHY.route, table: WHY.route, family: WHY.route },
  draw: (p, d) => d.note(ns(p), routeText(p)),
};

const sysctlText = (p: Props) => `sysctl ${str(p, "key") ?? "?"}=${str(p, "value") ?? "?"}`;
const sysctlEntry: EntrySpec = {
  layer: 3,
  describe: (p) => `${sysctlText(p)} ${where(ns(p))}`,
  netns: (p) => [ns(p)],
  draw: (p, d) => d.note(ns(p), sysctlText(p)),
};

/** As iptables takes it: `iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE` (`-I CHAIN N` at a position). */
const ruleText = (p: Props) => {
  const position = str(p, "position");
  const where = position && position !== "append" ? `-I ${str(p, "chain") ?? "?"} ${position}` : `-A ${str(p, "chain") ?? "?"}`;
  const tool = str(p, "family") === "ipv6" ? "ip6tables" : "iptables";
  return `${tool} -t ${str(p, "table") ?? "filter"} ${where} ${list(p, "rule").join(" ")}`.trim();
};
const iptablesEntry: EntrySpec = {
  layer: 3,
  describe: (p) => `${ruleText(p)} ${where(ns(p))}`,
  netns: (p) => [ns(p)],
  why: { table: WHY.rule, chain: WHY.rule, family: WHY.rule },
  draw: (p, d) => d.note(ns(p), ruleText(p)),
};

/** "probe → 172.16.20.10: reachable, TTL 63" (and what a refresh saw, when it no longer holds). */
const probeText = (p: Props) => {
  const port = str(p, "port");
  const expect = [str(p, "expect") ?? "reachable", ...(str(p, "ttl") ? [`TTL ${str(p, "ttl")}`] : []), ...(str(p, "maxRtt") ? [`≤ ${str(p, "maxRtt")} ms`] : [])];
  const seenTtl = str(p, "seen.ttl") ? `, TTL ${str(p, "seen.ttl")}` : "";
  const seen = p.holds === false ? ` (last seen: ${at(p, "seen.reachable") === true ? `reachable${seenTtl}` : "not reachable"})` : "";
  return `probe → ${str(p, "to") ?? "?"}${port ? ` port ${port}` : ""}: ${expect.join(", ")}${seen}`;
};
const probeEntry: EntrySpec = {
  layer: 3,
  describe: (p) => `${probeText(p).replace(/^probe/, `probe from ${str(p, "netns") ?? "pulumi's own netns"}`)}`,
  netns: (p) => [ns(p)],
  draw: (p, d) => d.note(ns(p), probeText(p)),
};

/** A component: its inputs are not stored, so its namespace is its children's (see resources.ts). */
const routerEntry: EntrySpec = {
  layer: 1,
  describe: (p, name) => `router ${name} ${where(ns(p))}${list(p, "made").length ? `: ${list(p, "made").join("; ")}` : ""}`,
  netns: (p) => [ns(p)],
  draw: (p, d, name) => void d.node(ns(p), name, "router", ["router"], `router:${name}`),
};

/** A component joining two bridges over VXLAN: its two tunnel ends are VxlanInterface resources of their own. */
const vxlanTunnelEntry: EntrySpec = {
  layer: 3,
  describe: (_p, name) => `VXLAN tunnel ${name} (its two ends are listed as VXLAN interfaces)`,
  netns: () => [],
  draw: () => undefined, // the ends draw the tunnel
};

/** The fields the registry says replace a kind, each with why. */
function withIdentity(kind: string, e: EntrySpec): KindEntry {
  const fields = declOf(kind) ? [...declOf(kind)!.replaceOn, ...REPLACE_ON_EVERY_KIND] : [];
  const why = (f: string) => e.why?.[f] ?? WHY_BY_FIELD[f.slice(f.lastIndexOf(".") + 1)] ?? DEFAULT_WHY;
  return { ...e, identity: Object.fromEntries(fields.map((f) => [f, why(f)])) };
}

const ENTRIES: Readonly<Record<string, EntrySpec>> = {
  Namespace: namespaceEntry,
  NamespaceFleet: fleetEntry,
  Bridge: bridgeEntry,
  VethPair: vethEntry,
  VlanInterface: vlanEntry,
  VxlanInterface: vxlanEntry,
  MacvlanNetwork: macvlanNetworkEntry,
  MacvlanEndpoint: macvlanEndpointEntry,
  LinkShaping: linkShapingEntry,
  Route: routeEntry,
  Sysctl: sysctlEntry,
  IptablesRule: iptablesEntry,
  Probe: probeEntry,
  Router: routerEntry,
  VxlanTunnel: vxlanTunnelEntry,
};

/** The kind table: the registry's kinds and components, in drawing order. */
export const KINDS: Readonly<Record<string, KindEntry>> = Object.fromEntries(Object.entries(ENTRIES).map(([k, e]) => [k, withIdentity(k, e)]));

/** Kinds the table draws that are components (no provider of their own). */
export const COMPONENT_KINDS: readonly string[] = COMPONENTS;

/** A kind the table does not know yet: shown by its name and namespace. */
function genericEntry(kind: string): KindEntry {
  return {
    layer: 3,
    describe: (p, name) => `${kind} ${str(p, "name") ?? name} ${where(ns(p))}`,
    netns: (p) => [ns(p)],
    identity: {},
    draw: (p, d, name) => void d.node(ns(p), str(p, "name") ?? name, "interface", [kind], `${kind}:${name}`),
  };
}

/** A stable order of resources: by kind (the table's order, unknown kinds last), then name. */
export function byKindAndName(a: { kind: string; name: string }, b: { kind: string; name: string }): number {
  const rank = (k: string) => (k in KINDS ? Object.keys(KINDS).indexOf(k) : Object.keys(KINDS).length);
  return rank(a.kind) - rank(b.kind) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export function entryFor(kind: string): KindEntry {
  return KINDS[kind] ?? genericEntry(kind);
}

/** Why changing `path` ("end.name", "end.addresses[0]") replaces an object of this kind. */
export function whyReplaced(kind: string, path: string): string | undefined {
  const identity = entryFor(kind).identity;
  const bare = path.replace(/\[\d+\]/g, "");
  // A replacement of a nested object is reported by its top-level property ("end"): any of its replacing fields says why.
  return identity[bare] ?? Object.entries(identity).find(([f]) => f.startsWith(`${bare}.`))?.[1];
}

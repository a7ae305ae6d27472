/**
 * The network a stack describes, as the reachability prediction sees it: namespaces (per
 * machine), interfaces with their addresses and how they are joined (veth peers, bridge
 * ports, VLAN and macvlan parents), routes, sysctls and iptables rules — built from the
 * resources' inputs and outputs alone, no kernel. What the model cannot know is kept as a
 * reason next to the namespace (or the whole stack) it makes unknown.
 */
import type { Resource } from "./resource";
import type { Family, Net } from "./ip";

/** The resource an object of the model comes from, for reasons and for the review. */
export interface Origin {
  urn: string;
  kind: string;
  name: string;
  /** Which part of it: "end", "peer", "hostAccess", "default route"… */
  part?: string;
}

export interface Netns {
  /** `host|name`: name "" is the namespace pulumi runs in; host "" is this machine. */
  key: string;
  host: string;
  name: string;
  /** How tables and messages name it: `d1`, `d1@10.0.0.2`, `pulumi's own` (here), `10.0.0.2` (that machine's own). */
  label: string;
  /** Made by a Namespace resource of the stack (or assumed fresh): nothing else is in it. */
  managed: boolean;
  /** Whether lo is up (undefined: not known). */
  loopbackUp?: boolean;
  origin?: Origin;
  /** Why any packet that touches it is unknown (a rule outside the subset, an unknown kind, a secret address). */
  outside: string[];
}

export type IfaceKind = "veth" | "bridge" | "vlan" | "macvlan" | "vxlan";

/** A VXLAN end as declared (VxlanInterface). */
export interface VxlanEnd {
  vni: string;
  port: string;
  local?: string;
  remote?: string;
  group?: string;
  learning: boolean;
  /** Its machine as the connection names it ("" here). */
  host: string;
}

export interface Iface {
  /** `nsKey/name`. */
  key: string;
  ns: string;
  name: string;
  kind: IfaceKind;
  up: boolean;
  /** Addresses of both families in the order they are added (the first IPv4 one of a subnet is its primary). */
  addresses: Net[];
  /** No IPv6 link-local address (`addrgenmode none`, as a fleet sets on members without IPv6). */
  noLinkLocal?: boolean;
  /** The MAC, as the state says it (set, or read back after up): the link-local address derives from it. Undefined: not known. */
  mac?: string;
  /** veth: the other end's key. */
  peer?: string;
  /** A port of this bridge (its name, in the same namespace). */
  master?: string;
  /** vlan, macvlan: the parent's key. */
  parent?: string;
  /** vlan: "802.1Q 100". */
  tag?: string;
  /** macvlan mode. */
  mode?: string;
  vxlan?: VxlanEnd;
  stp?: boolean;
  origin: Origin;
}

export interface RouteEntry {
  ns: string;
  /** Its family is the destination's. */
  dest: Net;
  via?: bigint;
  dev?: string;
  metric: number;
  /** "main", "253" (the default table, consulted after main), or another table (no rule selects it). */
  table: string;
  origin: Origin;
}

/** netem on a link's egress (LinkShaping): what it does to an echo that leaves through it. */
export interface ShapingEntry {
  /** Percent of packets dropped. */
  loss: number;
  /** Percent of packets corrupted (a flipped bit: the checksum drops it). */
  corrupt: number;
  origin: Origin;
}

export interface SysctlEntry {
  value: string;
  origin: Origin;
}

export interface RuleEntry {
  ns: string;
  /** iptables (ipv4) or ip6tables (ipv6). */
  family: Family;
  table: string;
  chain: string;
  tokens: string[];
  /** 1 when inserted first, else undefined (appended, or a later position: order unknown). */
  first: boolean;
  origin: Origin;
}

export interface Model {
  namespaces: Map<string, Netns>;
  ifaces: Map<string, Iface>;
  routes: RouteEntry[];
  /** ns key → sysctl key → value. */
  sysctls: Map<string, Map<string, SysctlEntry>>;
  rules: RuleEntry[];
  /** By interface key. */
  shaping: Map<string, ShapingEntry>;
  /** Why every prediction is unknown (an object the model cannot place). */
  everywhere: string[];
  /** Whether pulumi's own namespace was assumed fresh. */
  ownFresh: boolean;
}

export const nsKey = (host: string, name: string): string => `${host}|${name}`;
export const ifKey = (ns: string, name: string): string => `${ns}/${name}`;

/** How a namespace is named in tables and reasons. */
export function nsLabel(host: string, name: string): string {
  if (!host) return name || "pulumi's own";
  return name ? `${name}@${host}` : host;
}

/** `VethPair c1-eth0 (end)`. */
export const originText = (o: Origin): string => `${o.kind} ${o.name}${o.part ? ` (${o.part})` : ""}`;

/** What a kind's entry adds to the model (see kinds.ts). */
export interface Builder {
  /** A namespace the stack makes. */
  declareNamespace(host: string, name: string, loopbackUp: boolean | undefined, origin: Origin): void;
  /** A namespace something lives in (made on first use, unmanaged until declared); returns its key. */
  namespace(host: string, name: string): string;
  iface(i: Omit<Iface, "key">): Iface;
  route(r: RouteEntry): void;
  sysctl(ns: string, key: string, value: string, origin: Origin): void;
  rule(r: RuleEntry): void;
  shape(ifaceKey: string, s: ShapingEntry): void;
  /** Something in a namespace (or anywhere, without one) the model does not cover. */
  outside(ns: string | undefined, reason: string): void;
}

/** An empty model and the builder that fills it. */
export function newModel(ownFresh: boolean): { model: Model; builder: Builder } {
  const model: Model = { namespaces: new Map(), ifaces: new Map(), routes: [], sysctls: new Map(), rules: [], shaping: new Map(), everywhere: [], ownFresh };
  const namespace = (host: string, name: string) => {
    const key = nsKey(host, name);
    if (!model.namespaces.has(key)) {
      const fresh = ownFresh && host === "" && name === "";
      model.namespaces.set(key, { key, host, name, label: nsLabel(host, name), managed: fresh, loopbackUp: fresh ? true : undefined, outside: [] });
    }
    return key;
  };
  const builder: Builder = {
    declareNamespace(host, name, loopbackUp, origin) {
      const ns = model.namespaces.get(namespace(host, name))!;
      Object.assign(ns, { managed: true, loopbackUp, origin });
    },
    namespace,
    iface(i) {
      const made = { ...i, key: ifKey(i.ns, i.name) };
      if (model.ifaces.has(made.key)) {
        builder.outside(i.ns, `${i.name} is declared twice (${originText(model.ifaces.get(made.key)!.origin)}, ${originText(i.origin)})`);
      }
      model.ifaces.set(made.key, made);
      return made;
    },
    route: (r) => void model.routes.push(r),
    sysctl(ns, key, value, origin) {
      if (!model.sysctls.has(ns)) model.sysctls.set(ns, new Map());
      model.sysctls.get(ns)!.set(key, { value, origin });
    },
    rule: (r) => void model.rules.push(r),
    shape: (key, s) => void model.shaping.set(key, s),
    outside(ns, reason) {
      if (ns === undefined) model.everywhere.push(reason);
      else model.namespaces.get(ns)?.outside.push(reason);
    },
  };
  return { model, builder };
}

/** The resources a model is built from, with what each kind adds (kinds.ts holds the entries). */
export type ReachEntry = (r: Resource, b: Builder) => void;

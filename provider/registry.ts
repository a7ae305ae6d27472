/**
 * The kinds, declared once. Provider dispatch (index.ts), the SDK's provider objects and
 * output placeholders (sdk/), and the CLI's kind table (cli/kinds.ts) all read this; a unit
 * test (test/unit/registry.test.ts) fails when a kind exists in one of them and not the
 * others, or when a kind's schema, SDK class or CLI entry disagrees with its declaration.
 * Plain data and tiny pure functions only: the SDK and the CLI load it without zod or execa.
 *
 * A new kind: one entry here, one file in provider/kinds/ (its schema and handlers, exporting
 * them under the entry's `key`), one in sdk/providers/ (`export = providerFor("<key>")`, the
 * module Pulumi stores in the state), its SDK class, and its CLI entry (how to describe and draw it).
 */

export interface KindDecl {
  /** The type name users see; the type token is `pulumi-nodejs:dynamic/linuxnet:<kind>`. */
  kind: string;
  /** Dispatch key: the kind's handlers are `require("./kinds/<file>")[key]`, its SDK provider `sdk/providers/<file>`. */
  key: string;
  file: string;
  /** Top-level input fields (every one the schema has, with `connection`, `owner`, `adopt`). */
  inputs: readonly string[];
  /** What the provider reports beyond the inputs. */
  outputs: readonly string[];
  /** Fields (dotted paths for nested ones) whose change replaces the object (delete, then create). */
  replaceOn: readonly string[];
}

/** Inputs every kind has. */
const COMMON = ["connection", "owner", "adopt"] as const;
const LINK = ["name", "netns", "addresses", "mtu", "mac", "up"] as const;
const LINK_OUTPUTS = ["ifindex", "actualMac", "actualMtu"] as const;

const decl = (d: KindDecl): KindDecl => ({ ...d, inputs: [...d.inputs, ...COMMON] });

export const KINDS = {
  namespace: decl({ kind: "Namespace", key: "namespace", file: "namespace", inputs: ["name", "loopbackUp"], outputs: ["inode"], replaceOn: ["name"] }),
  bridge: decl({ kind: "Bridge", key: "bridge", file: "bridge", inputs: [...LINK, "stp"], outputs: LINK_OUTPUTS, replaceOn: ["name", "netns"] }),
  veth: decl({
    kind: "VethPair",
    key: "veth",
    file: "veth",
    inputs: ["end", "peer"],
    outputs: ["endIfindex", "peerIfindex", "endMac", "peerMac", "endMtu", "peerMtu"],
    replaceOn: ["end.name", "end.netns", "peer.name", "peer.netns"],
  }),
  vlan: decl({ kind: "VlanInterface", key: "vlan", file: "vlan", inputs: [...LINK, "parent", "vlanId", "protocol"], outputs: LINK_OUTPUTS, replaceOn: ["name", "netns", "parent", "vlanId", "protocol"] }),
  macvlanNetwork: decl({
    kind: "MacvlanNetwork",
    key: "macvlanNetwork",
    file: "macvlan-network",
    inputs: ["name", "parent", "netns", "mode", "subnet", "gateway", "promiscuous", "hostAccess"],
    outputs: ["parentIfindex", "parentMtu", "promiscFound", "shimIfindex", "shimMac"],
    replaceOn: ["name", "parent", "netns", "mode"],
  }),
  macvlanEndpoint: decl({
    kind: "MacvlanEndpoint",
    key: "macvlanEndpoint",
    file: "macvlan-endpoint",
    inputs: ["name", "netns", "address", "network", "defaultRoute", "mtu", "mac", "up"],
    outputs: LINK_OUTPUTS,
    replaceOn: ["name", "netns", "network.parent", "network.netns", "network.mode"],
  }),
  vxlan: decl({
    kind: "VxlanInterface",
    key: "vxlan",
    file: "vxlan",
    inputs: [...LINK, "master", "vni", "local", "remote", "group", "port", "dev", "learning", "ttl"],
    outputs: LINK_OUTPUTS,
    replaceOn: ["name", "netns", "vni", "port"],
  }),
  linkShaping: decl({
    kind: "LinkShaping",
    key: "linkShaping",
    file: "link-shaping",
    inputs: ["dev", "netns", "delay", "jitter", "distribution", "loss", "duplicate", "corrupt", "reorder", "rate", "burst", "limit"],
    outputs: ["qdisc", "ifindex", "found"],
    replaceOn: ["dev", "netns"],
  }),
  sysctl: decl({ kind: "Sysctl", key: "sysctl", file: "sysctl", inputs: ["key", "value", "netns", "hostWide"], outputs: ["found"], replaceOn: ["key", "netns"] }),
  route: decl({ kind: "Route", key: "route", file: "route", inputs: ["destination", "via", "dev", "metric", "table", "family", "netns"], outputs: ["protocol"], replaceOn: ["destination", "metric", "table", "family", "netns"] }),
  iptables: decl({ kind: "IptablesRule", key: "iptables", file: "iptables", inputs: ["table", "chain", "rule", "position", "family", "netns"], outputs: ["comment"], replaceOn: ["table", "chain", "family", "netns"] }),
  namespaceFleet: decl({
    kind: "NamespaceFleet",
    key: "namespaceFleet",
    file: "namespace-fleet",
    inputs: ["count", "namePrefix", "start", "members", "netns", "bridge", "ifname", "subnet", "subnet6", "firstHost", "gateway", "gateway6", "mtu", "loopbackUp", "linkLocal", "mcastFlood", "expect"],
    outputs: ["memberStates", "expectation"],
    // Members come and go in place; the ports' namespace or the inside end's name is every member's identity.
    replaceOn: ["netns", "ifname"],
  }),
  probe: decl({
    kind: "Probe",
    key: "probe",
    file: "probe",
    inputs: ["netns", "to", "port", "expect", "ttl", "maxRtt", "count", "timeout", "triggers"],
    outputs: ["seen", "holds"],
    replaceOn: [], // it makes nothing: any change runs it again in place
  }),
} as const satisfies Record<string, KindDecl>;

export type KindKey = keyof typeof KINDS;

/** Components: made of other kinds' resources, with no provider of their own (the CLI still draws them). */
export const COMPONENTS = ["Router", "VxlanTunnel"] as const;

/** Another machine is another object: a new host or port replaces a resource of any kind. */
export const REPLACE_ON_EVERY_KIND = ["connection.host", "connection.port"] as const;

/** The declaration of a kind by its type name. */
export const declOf = (kind: string): KindDecl | undefined => Object.values(KINDS).find((d) => d.kind === kind);

/**
 * What the SDK hands the engine besides the args: every input and output of the kind as
 * `undefined`, so each one is an output property of the resource even where the program
 * leaves it out (the provider fills it in).
 */
export const placeholders = (key: KindKey): Record<string, undefined> =>
  Object.fromEntries([...KINDS[key].inputs, ...KINDS[key].outputs].map((f) => [f, undefined]));

// ── default names, written once for the SDK (preview's claims) and the provider ───────────
/** `PARENT.ID`, as `vconfig add` and Docker name a VLAN sub-interface. */
export const vlanDefaultName = (parent: string, id: number) => `${parent}.${id}`;
/** A macvlan network's host shim: `NETWORK-shim`. */
export const shimDefaultName = (network: string) => `${network}-shim`;
/** The IANA VXLAN port (RFC 7348); the kernel's own default, 8472, is Linux's pre-standard one. */
export const VXLAN_PORT = 4789;
/** What VXLAN adds to each frame on the underlay: outer IPv4 (20) or IPv6 (40) header, UDP (8), VXLAN (8), inner Ethernet (14). */
export const vxlanOverhead = (underlay: "ipv4" | "ipv6" = "ipv4") => (underlay === "ipv6" ? 70 : 50);

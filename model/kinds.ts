/**
 * What each resource kind adds to the reachability model, read from its inputs/outputs as
 * the state holds them (the provider's checked inputs: defaults filled in). One entry per
 * kind; a kind without one is outside the model, and so is every namespace it lives in.
 * A probe kind (which changes nothing in the network) gets an entry that adds nothing.
 */
import type { Resource } from "./resource";
import { at, isSecret, isUnknown } from "./values";
import { addr, type Family, type Net, net } from "./ip";
import { type Builder, ifKey, type IfaceKind, type Model, newModel, type Origin, type ReachEntry } from "./model";

/** Reads a resource's values, noting each one the model cannot use (a secret, or known only after up). */
class Reader {
  readonly hidden: Array<{ path: string; text: string }> = [];
  constructor(
    readonly r: Resource,
    readonly b: Builder,
  ) {}

  private value(path: string): unknown {
    const v = at(this.r.props, path);
    if (isSecret(v) || isUnknown(v)) {
      this.hidden.push({ path, text: `${this.r.kind} ${this.r.name}'s ${path} ${isSecret(v) ? "is a secret" : "is known only after up"}` });
      return undefined;
    }
    return v;
  }
  str(path: string): string | undefined {
    const v = this.value(path);
    return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
  }
  bool(path: string, otherwise: boolean): boolean {
    const v = this.value(path);
    return typeof v === "boolean" ? v : otherwise;
  }
  list(path: string): string[] {
    const v = this.value(path);
    if (!Array.isArray(v)) return [];
    return v.flatMap((x, k) => (typeof x === "string" ? [x] : (this.value(`${path}[${k}]`), [])));
  }
  origin(part?: string): Origin {
    return { urn: this.r.urn, kind: this.r.kind, name: this.r.name, ...(part && { part }) };
  }
  /** The machine: "" here, else `host` or `host:port` from the connection (inputs first: the output is a secret). */
  host(): string | undefined {
    const c = this.r.inputs?.connection ?? this.r.props.connection;
    if (c === undefined || c === null) return "";
    const host = at(c, "host");
    const port = at(c, "port");
    if (typeof host !== "string" || (port !== undefined && typeof port !== "number")) {
      this.hidden.push({ path: "connection", text: `${this.r.kind} ${this.r.name}'s connection ${isSecret(c) || isSecret(host) ? "is a secret" : "is not known"}: which machine it is on` });
      return undefined;
    }
    return port === undefined || port === 22 ? host : `${host}:${port}`;
  }
  /** The namespace at `path` on this resource's machine, or undefined when it cannot be placed. */
  ns(path = "netns"): string | undefined {
    const host = this.host();
    const v = this.value(path);
    if (host === undefined || (v !== undefined && typeof v !== "string")) return undefined;
    return this.b.namespace(host, (v as string | undefined) ?? "");
  }
  /** Done reading: what could not be read (under `side`, if given) makes `ns` (or, without one, everything) unknown. */
  done(ns: string | undefined, side?: string): void {
    for (const h of this.hidden) if (!side || h.path.startsWith(side) || !/^(end|peer)\./.test(h.path)) this.b.outside(ns, h.text);
  }
}

/** Addresses of both families (`ADDR/LEN`); what is none (a typo the provider would refuse) is said as outside. */
function split(x: Reader, ns: string | undefined, cidrs: string[]): { addresses: Net[] } {
  const addresses: Net[] = [];
  for (const c of cidrs) {
    const n = c.includes("/") ? net(c) : undefined;
    if (n) addresses.push(n);
    else x.b.outside(ns, `${x.r.kind} ${x.r.name}'s address ${c} is not an address with its prefix length`);
  }
  return { addresses };
}

/** A MAC the state holds as a plain string (set, or read back after up), else undefined: never a reason to be unknown. */
function macOf(r: Resource, ...paths: string[]): string | undefined {
  for (const p of paths) {
    const v = at(r.props, p);
    if (typeof v === "string" && !isUnknown(v)) return v;
  }
  return undefined;
}

function link(x: Reader, ns: string | undefined, kind: IfaceKind, prefix: string, name: string | undefined, extra: Partial<Parameters<Builder["iface"]>[0]> = {}) {
  if (ns === undefined || name === undefined) {
    x.b.outside(undefined, `${x.r.kind} ${x.r.name} cannot be placed: its name or namespace is not known`);
    return undefined;
  }
  const side = prefix.slice(0, -1);
  // A bridge without a MAC of its own takes its ports' lowest as they come and go: the MAC its
  // link-local address was derived from is not the one read back, so only a set one counts.
  const mac = kind === "bridge" ? macOf(x.r, "mac") : macOf(x.r, `${prefix}mac`, side ? `${side}Mac` : "actualMac", "actualMac");
  return x.b.iface({ ns, name, kind, up: x.bool(`${prefix}up`, true), ...split(x, ns, x.list(`${prefix}addresses`)), mac, origin: x.origin(side || undefined), ...extra });
}

const namespace: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const host = x.host();
  const name = x.str("name");
  if (host === undefined || name === undefined) return x.done(undefined);
  b.declareNamespace(host, name, x.bool("loopbackUp", true), x.origin());
  x.done(b.namespace(host, name));
};

const bridge: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const ns = x.ns();
  link(x, ns, "bridge", "", x.str("name"), { stp: x.bool("stp", false) });
  x.done(ns);
};

const veth: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const [a, z] = (["end", "peer"] as const).map((side) => {
    const ns = x.ns(`${side}.netns`);
    return link(x, ns, "veth", `${side}.`, x.str(`${side}.name`), { master: x.str(`${side}.master`) });
  });
  if (a && z) [a.peer, z.peer] = [z.key, a.key];
  x.done(a?.ns, "end.");
  x.done(z?.ns, "peer.");
};

const vlan: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const ns = x.ns();
  const [parent, id] = [x.str("parent"), x.str("vlanId")];
  const name = x.str("name") ?? (parent && id ? `${parent}.${id}` : undefined);
  const tag = `${x.str("protocol") ?? "802.1Q"} ${id ?? "?"}`;
  link(x, ns, "vlan", "", name, { parent: ns && parent ? ifKey(ns, parent) : undefined, tag });
  x.done(ns);
};

const macvlanNetwork: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const ns = x.ns();
  const parent = x.str("parent");
  if (at(r.props, "hostAccess") !== undefined && at(r.props, "hostAccess") !== null) {
    const name = x.str("hostAccess.name") ?? (x.str("name") ? `${x.str("name")}-shim` : undefined);
    const address = x.str("hostAccess.address");
    const shim = link(x, ns, "macvlan", "", name, { parent: ns && parent ? ifKey(ns, parent) : undefined, mode: "bridge", up: true, addresses: [], mac: macOf(r, "shimMac") });
    if (shim && address) Object.assign(shim, split(x, ns, [address.includes(":") ? `${address}/128` : `${address}/32`]), { origin: x.origin("hostAccess") });
  }
  x.done(ns);
};

const macvlanEndpoint: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const ns = x.ns();
  const parentNs = x.ns("network.netns");
  const [name, address, subnet, gateway, parent] = [x.str("name") ?? "eth0", x.str("address"), x.str("network.subnet"), x.str("network.gateway"), x.str("network.parent")];
  const mode = x.str("network.mode") ?? "bridge";
  const prefix = subnet?.split("/")[1];
  const cidrs = address && prefix ? [`${address}/${prefix}`] : [];
  const e = link(x, ns, "macvlan", "", name, { parent: parentNs && parent ? ifKey(parentNs, parent) : undefined, mode, addresses: split(x, ns, cidrs).addresses });
  const via = gateway === undefined ? undefined : addr(gateway);
  if (e && x.bool("defaultRoute", true) && via !== undefined) {
    const family: Family = gateway!.includes(":") ? "ipv6" : "ipv4";
    b.route({ ns: e.ns, dest: net("default", family)!, via, dev: name, metric: family === "ipv6" ? 1024 : 0, table: "main", origin: x.origin("default route") });
  }
  const shim = x.str("network.shim.name");
  const host = address === undefined ? undefined : net(address);
  if (parentNs && shim && host) {
    b.route({ ns: parentNs, dest: host, dev: shim, metric: address!.includes(":") ? 1024 : 0, table: "main", origin: x.origin("route through the host shim") });
  }
  x.done(ns);
};

const route: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const ns = x.ns();
  const [destination, via, dev, metric, table, given] = [x.str("destination"), x.str("via"), x.str("dev"), x.str("metric"), x.str("table"), x.str("family")];
  const family: Family = given === "ipv6" || destination?.includes(":") || via?.includes(":") ? "ipv6" : "ipv4";
  const dest = destination === undefined ? undefined : net(destination, family);
  const gw = via === undefined ? undefined : addr(via);
  if (ns && dest && (via === undefined || gw !== undefined)) {
    const m = metric === undefined ? (family === "ipv6" ? 1024 : 0) : Number(metric);
    b.route({ ns, dest, via: gw, dev, metric: m, table: table === undefined || table === "254" ? "main" : table, origin: x.origin() });
  } else if (x.hidden.length === 0) b.outside(ns, `${r.kind} ${r.name} (${destination ?? "?"} via ${via ?? "?"}) is outside the model`);
  x.done(ns);
};

const sysctl: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const ns = x.ns();
  const [key, value] = [x.str("key"), x.str("value")];
  if (ns && key !== undefined && value !== undefined) b.sysctl(ns, key, value.trim(), x.origin());
  x.done(ns);
};

const iptables: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const ns = x.ns();
  const [table, chain, family, position] = [x.str("table") ?? "filter", x.str("chain"), x.str("family") ?? "ipv4", x.str("position")];
  const tokens = x.list("rule");
  if (ns && chain && (family === "ipv4" || family === "ipv6")) b.rule({ ns, family, table, chain, tokens, first: position === "1", origin: x.origin() });
  x.done(ns);
};

const percent = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" ? Number(v.replace("%", "")) : 0);

const shaping: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const ns = x.ns();
  const dev = x.str("dev");
  const [loss, corrupt] = [percent(at(r.props, "loss")), percent(at(r.props, "corrupt"))];
  if (ns && dev && (loss > 0 || corrupt > 0)) b.shape(ifKey(ns, dev), { loss, corrupt, origin: x.origin() });
  x.done(ns);
};

/**
 * A NamespaceFleet: each member a namespace the stack makes, with a veth whose own end
 * (`ifname`) holds the member's addresses and default routes (`gateway`, `gateway6`) and whose
 * other end, named like the member, is a port of `bridge` in `netns` (no bridge: a lone end
 * there). A member has no link-local address (addrgenmode none) unless `linkLocal` is set.
 */
const fleet: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const host = x.host();
  const netns = x.ns();
  const [bridgeName, ifname, gateway, gateway6] = [x.str("bridge"), x.str("ifname") ?? "eth0", x.str("gateway"), x.str("gateway6")];
  const members = at(r.props, "members");
  if (host === undefined || netns === undefined || !Array.isArray(members)) {
    if (x.hidden.length === 0) b.outside(undefined, `${r.kind} ${r.name}: its members are not known`);
    return x.done(netns);
  }
  members.forEach((_, k) => {
    const before = x.hidden.length;
    const name = x.str(`members[${k}].name`);
    if (name === undefined) return;
    b.declareNamespace(host, name, x.bool("loopbackUp", true), x.origin(`member ${name}`));
    const inside = b.namespace(host, name);
    const addresses = split(x, inside, x.list(`members[${k}].addresses`)).addresses;
    const end = b.iface({ ns: inside, name: ifname, kind: "veth", up: true, addresses, noLinkLocal: !x.bool("linkLocal", false), origin: x.origin(`member ${name}`) });
    const port = b.iface({ ns: netns, name, kind: "veth", up: true, addresses: [], noLinkLocal: true, master: bridgeName, origin: x.origin(`member ${name}'s port`) });
    [end.peer, port.peer] = [port.key, end.key];
    for (const [gw, family] of [[gateway, "ipv4"], [gateway6, "ipv6"]] as const) {
      const via = gw === undefined ? undefined : addr(gw);
      if (via !== undefined) b.route({ ns: inside, dest: net("default", family)!, via, dev: ifname, metric: family === "ipv6" ? 1024 : 0, table: "main", origin: x.origin(`member ${name}'s default route`) });
    }
    for (const h of x.hidden.splice(before)) b.outside(inside, h.text);
  });
  x.done(netns);
};

/** A VXLAN end: a link whose frames go in UDP to `remote` (layer2.ts joins the ends that send to each other). */
const vxlan: ReachEntry = (r, b) => {
  const x = new Reader(r, b);
  const ns = x.ns();
  const host = x.host();
  const end = { vni: x.str("vni") ?? "?", port: x.str("port") ?? "4789", local: x.str("local"), remote: x.str("remote"), group: x.str("group"), learning: x.bool("learning", true), host: (host ?? "?").replace(/:\d+$/, "") };
  link(x, ns, "vxlan", "", x.str("name"), { master: x.str("master"), vxlan: end });
  x.done(ns);
};

/** The Router is a component: its sysctls and rules are resources of their own. */
const nothing: ReachEntry = () => undefined;

export const REACH_KINDS: Readonly<Record<string, ReachEntry>> = {
  Namespace: namespace,
  Bridge: bridge,
  VethPair: veth,
  VlanInterface: vlan,
  MacvlanNetwork: macvlanNetwork,
  MacvlanEndpoint: macvlanEndpoint,
  Route: route,
  Sysctl: sysctl,
  IptablesRule: iptables,
  Router: nothing,
  VxlanTunnel: nothing, // a component: its two ends are VxlanInterface resources
  // A tunnel to another machine's link: what crosses it is not modelled yet, so its namespace is unknown.
  VxlanInterface: vxlan,
  // A probe makes nothing in the kernel: it only looks.
  Probe: nothing,
  // Delay, rate and duplication do not change whether an echo is answered; loss and corruption make it a chance.
  LinkShaping: shaping,
  NamespaceFleet: fleet,
};

/** Whatever an object of this kind does in its namespace is unknown, for `why`. */
function outsideKind(r: Resource, b: Builder, why: string): void {
  const x = new Reader(r, b);
  const ns = typeof at(r.props, "netns") === "string" || at(r.props, "netns") === undefined ? x.ns() : undefined;
  b.outside(ns, `${r.kind} ${r.name}: ${why}`);
}

/** A kind the model does not know: whatever it does in its namespace is unknown. */
export const unknownKind: ReachEntry = (r, b) => outsideKind(r, b, "a kind the reachability model does not cover");

export interface ModelOptions {
  /** Take pulumi's own namespace as a new one holding only what the stack declares (lo up). Default: unknown. */
  ownFresh?: boolean;
}

/** The model of a stack's resources (one state: deployed, or planned). */
export function buildModel(resources: readonly Resource[], options: ModelOptions = {}): Model {
  const { model, builder } = newModel(options.ownFresh ?? false);
  // Namespaces first: a later object in one finds it declared.
  const ordered = [...resources].sort((a, b) => Number(b.kind === "Namespace") - Number(a.kind === "Namespace"));
  for (const r of ordered) (REACH_KINDS[r.kind] ?? unknownKind)(r, builder);
  return model;
}

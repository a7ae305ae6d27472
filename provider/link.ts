/**
 * What every link kind shares (a veth end, a bridge, later VLAN and macvlan interfaces):
 * its settings schema, reading it back from the kernel in one spawn, and turning the
 * difference between what is declared and what the kernel has into `ip -batch` lines that
 * touch only what differs.
 */
import { isKind, type Attempt } from "./errors";
import { addresses, mac, mtu } from "./net";
import { ip, ipJson } from "./runner";
import { bool, ifName, netnsName } from "./validate";

// ── schema ──────────────────────────────────────────────────────────────────────────────
/** Settings of one link; `prefix` words messages for nested fields ("end.mtu"). */
export function linkFields(prefix = "") {
  return {
    name: ifName(`${prefix}name`),
    netns: netnsName(`${prefix}netns`).optional(),
    addresses: addresses(`${prefix}addresses`),
    mtu: mtu(`${prefix}mtu`).optional(),
    mac: mac(`${prefix}mac`).optional(),
    up: bool(`${prefix}up`).default(true),
  };
}

/** The declared settings of a link (a subset of any kind's inputs). */
export interface LinkConfig {
  name: string;
  netns?: string;
  addresses: string[];
  mtu?: number;
  mac?: string;
  master?: string;
  up: boolean;
}

/** What the kernel reports about a link. */
export interface LinkSeen {
  ifindex: number;
  name: string;
  mtu: number;
  mac: string;
  master?: string;
  up: boolean;
  /** Addresses the stack manages: everything but the kernel's own IPv6 link-local ones. */
  addresses: string[];
  /** veth: the peer's ifindex (`ethtool -S` peer_ifindex). */
  linkIndex?: number;
  kind?: string;
  /** Kind-specific attributes (`ip -d` linkinfo.info_data), e.g. a bridge's stp_state. */
  info: Record<string, unknown>;
}

// ── argv builders ───────────────────────────────────────────────────────────────────────
interface AddrJson {
  family: string;
  local: string;
  prefixlen: number;
  scope?: string;
}
interface LinkJson {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu: number;
  address?: string;
  master?: string;
  link_index?: number;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: AddrJson[];
}

/** Reads one link with its addresses (in a batch, which runs with -json -details). */
export const showArgv = (name: string) => ["addr", "show", "dev", name];

/**
 * The `ip` lines that move a link from `current` to `desired`. Undeclared settings (mtu, mac,
 * master left out) are not touched, except a master that was declared before (`previous`)
 * and is no longer: then the link leaves its bridge. Addresses are deleted before new ones
 * are added: deleting a primary address after adding its replacement would take the new
 * one (a secondary in the same subnet) down with it.
 */
export function reconcileArgv(desired: LinkConfig, current: Partial<LinkSeen>, previous?: Partial<LinkConfig>): string[][] {
  const dev = desired.name;
  const set: string[] = [];
  if (desired.mtu !== undefined && desired.mtu !== current.mtu) set.push("mtu", String(desired.mtu));
  if (desired.mac !== undefined && desired.mac !== current.mac) set.push("address", desired.mac);
  if (desired.master !== undefined && desired.master !== current.master) set.push("master", desired.master);
  if (desired.master === undefined && previous?.master !== undefined && current.master !== undefined) set.push("nomaster");
  const lines: string[][] = [];
  if (set.length) lines.push(["link", "set", "dev", dev, ...set]);
  const have = new Set(current.addresses ?? []);
  const want = new Set(desired.addresses);
  for (const a of have) if (!want.has(a)) lines.push(["addr", "del", a, "dev", dev]);
  for (const a of want) if (!have.has(a)) lines.push(["addr", "add", a, "dev", dev]);
  if (desired.up !== (current.up ?? false)) lines.push(["link", "set", "dev", dev, desired.up ? "up" : "down"]);
  return lines;
}

// ── kernel I/O ──────────────────────────────────────────────────────────────────────────
/** The link a show command printed, parsed; undefined if it printed none. */
export function parseLink(printed: unknown[] | undefined): LinkSeen | undefined {
  const j = printed?.[0] as LinkJson | undefined;
  return j && seen(j);
}

function seen(j: LinkJson): LinkSeen {
  const addrs = (j.addr_info ?? [])
    .filter((a) => (a.family === "inet" || a.family === "inet6") && !(a.family === "inet6" && a.scope === "link"))
    .map((a) => `${a.local}/${a.prefixlen}`);
  return {
    ifindex: j.ifindex,
    name: j.ifname,
    mtu: j.mtu,
    mac: j.address ?? "",
    master: j.master,
    up: Boolean(j.flags?.includes("UP")),
    addresses: addrs,
    linkIndex: j.link_index,
    kind: j.linkinfo?.info_kind,
    info: j.linkinfo?.info_data ?? {},
  };
}

/** One spawn: the link with its addresses, or undefined if it (or its namespace) is gone. */
export async function readLink(name: string, netns: string | undefined, attempt?: Attempt): Promise<LinkSeen | undefined> {
  try {
    return parseLink(await ipJson<LinkJson>(["-details", ...showArgv(name)], { netns }, attempt));
  } catch (e) {
    if (isKind(e, "not-found")) return undefined;
    throw e;
  }
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** What `read` reports as the link's inputs: the kernel's values for what was declared. */
export function observedConfig<C extends LinkConfig>(declared: C, s: LinkSeen): C {
  return {
    ...declared,
    addresses: sameSet(declared.addresses, s.addresses) ? declared.addresses : s.addresses,
    up: s.up,
    ...(declared.mtu !== undefined && { mtu: s.mtu }),
    ...(declared.mac !== undefined && { mac: s.mac }),
    ...((declared.master !== undefined || s.master !== undefined) && { master: s.master }),
  };
}

/** Deletes a link; one already gone (with its namespace, or its veth peer) is fine. */
export async function deleteLink(name: string, netns: string | undefined, attempt: Attempt): Promise<boolean> {
  try {
    await ip(["link", "del", "dev", name], { netns }, attempt);
    return true;
  } catch (e) {
    if (isKind(e, "not-found")) return false;
    throw e;
  }
}

export const master = (prefix = "") => ifName(`${prefix}master`).optional();

/**
 * What every link kind shares (a veth end, a bridge, later VLAN and macvlan interfaces):
 * its settings schema, reading it back from the kernel in one spawn, and turning the
 * difference between what is declared and what the kernel has into `ip -batch` lines that
 * touch only what differs.
 */
import { z } from "zod";
import { objectError, unlessGone, type Attempt } from "./errors";
import { addresses, mac, mtu, sameSubnet } from "./net";
import { markOf, stillOurs } from "./owner";
import type { Host } from "../hosts";
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
  /** The ownership mark the link must carry (its alias); undefined: left as it is. */
  alias?: string;
}

/** What the kernel reports about a link. */
export interface LinkSeen {
  ifindex: number;
  name: string;
  mtu: number;
  mac: string;
  master?: string;
  up: boolean;
  /** The link's flags as `ip` prints them (UP, PROMISC, …). */
  flags: string[];
  /** Addresses other than IPv6 link-local ones. */
  addresses: string[];
  /** IPv6 link-local addresses (the kernel adds one itself; they are managed only when declared). */
  linkLocal: string[];
  /** veth: the peer's ifindex (`ethtool -S` peer_ifindex), when the peer is in another namespace. */
  linkIndex?: number;
  /** veth: the peer's name, when the peer is in the same namespace (iproute2 prints that instead). */
  linkName?: string;
  kind?: string;
  /** Kind-specific attributes (`ip -d` linkinfo.info_data), e.g. a bridge's stp_state. */
  info: Record<string, unknown>;
  /** The link's alias: the ownership mark, on links the stack made. */
  alias?: string;
}

/** What every one-link kind reports: its ifindex, and the MAC and MTU the kernel uses now. */
export interface LinkOutputs extends Record<string, unknown> {
  ifindex: number;
  /** The MAC the kernel uses now. */
  actualMac: string;
  /** The MTU the kernel uses now. */
  actualMtu: number;
}

export const linkOutputs = (s: Pick<LinkSeen, "ifindex" | "mac" | "mtu">): LinkOutputs => ({ ifindex: s.ifindex, actualMac: s.mac, actualMtu: s.mtu });

// ── argv builders ───────────────────────────────────────────────────────────────────────
/** The part of `ip -json -details addr show` the provider relies on; anything else may vary. */
const addrJson = z.looseObject({ family: z.string(), local: z.string(), prefixlen: z.number(), scope: z.string().optional() });
const linkJson = z.looseObject({
  ifindex: z.number(),
  ifname: z.string(),
  flags: z.array(z.string()).optional(),
  mtu: z.number(),
  address: z.string().optional(),
  master: z.string().optional(),
  link_index: z.number().optional(),
  link: z.string().nullable().optional(),
  ifalias: z.string().optional(),
  linkinfo: z.looseObject({ info_kind: z.string().optional(), info_data: z.record(z.string(), z.unknown()).optional() }).optional(),
  addr_info: z.array(z.looseObject({ family: z.string().optional() })).optional(),
});
type AddrJson = z.infer<typeof addrJson>;
type LinkJson = z.infer<typeof linkJson>;

/** Reads one link with its addresses (in a batch, which runs with -json -details). */
export const showArgv = (name: string) => ["addr", "show", "dev", name];

/** The addresses of a link the stack manages: all but link-local ones it did not declare. */
export function managedAddresses(declared: readonly string[], s: Pick<LinkSeen, "addresses" | "linkLocal">): string[] {
  return [...s.addresses, ...s.linkLocal.filter((a) => declared.includes(a))];
}

const isIPv6Cidr = (a: string) => a.includes(":");

/**
 * The `ip` lines that move a link from `current` to `desired`. Undeclared settings (mtu, mac,
 * master left out) are not touched, except a master that was declared before (`previous`)
 * and is no longer: then the link leaves its bridge. Order matters to the kernel:
 * - `down` drops IPv6 addresses (keep_addr_on_down=0), so it comes before addresses are
 *   added, and kept IPv6 addresses are put back after it;
 * - deleting a primary IPv4 address also deletes the secondaries of its subnet
 *   (promote_secondaries=0), so kept addresses of that subnet are put back with `replace`.
 */
export function reconcileArgv(desired: LinkConfig, current: Partial<LinkSeen>, previous?: Partial<LinkConfig>): string[][] {
  const dev = desired.name;
  const set: string[] = [];
  if (desired.mtu !== undefined && desired.mtu !== current.mtu) set.push("mtu", String(desired.mtu));
  if (desired.mac !== undefined && desired.mac !== current.mac) set.push("address", desired.mac);
  if (desired.master !== undefined && desired.master !== current.master) set.push("master", desired.master);
  if (desired.master === undefined && previous?.master !== undefined && current.master !== undefined) set.push("nomaster");
  const lines: string[][] = [];
  // The mark first: an object is never configured by the stack but unmarked.
  if (desired.alias !== undefined && desired.alias !== current.alias) lines.push(["link", "set", "dev", dev, "alias", desired.alias]);
  if (set.length) lines.push(["link", "set", "dev", dev, ...set]);
  const isUp = current.up ?? false;
  const goingDown = !desired.up && isUp;
  const have = managedAddresses(desired.addresses, { addresses: current.addresses ?? [], linkLocal: current.linkLocal ?? [] });
  const removed = have.filter((a) => !desired.addresses.includes(a));
  const kept = have.filter((a) => desired.addresses.includes(a));
  for (const a of removed) lines.push(["addr", "del", a, "dev", dev]);
  if (goingDown) lines.push(["link", "set", "dev", dev, "down"]);
  // Kept addresses the kernel may just have dropped: IPv6 ones on the way down, and IPv4
  // secondaries of a deleted primary. `replace` is a no-op where the kernel kept them.
  const restore = (a: string) => (goingDown && isIPv6Cidr(a)) || removed.some((r) => !isIPv6Cidr(a) && sameSubnet(r, a));
  for (const a of kept) if (restore(a)) lines.push(["addr", "replace", a, "dev", dev]);
  for (const a of desired.addresses) if (!have.includes(a)) lines.push(["addr", "add", a, "dev", dev]);
  if (desired.up && !isUp) lines.push(["link", "set", "dev", dev, "up"]);
  return lines;
}

/** Throws unless the kernel now has what was declared: the state must never claim otherwise. */
export function verifyApplied(desired: LinkConfig, s: LinkSeen, attempt: Attempt): void {
  const have = managedAddresses(desired.addresses, s);
  const problems: string[] = [];
  if (have.length !== desired.addresses.length || !desired.addresses.every((a) => have.includes(a))) {
    problems.push(`addresses are [${have.join(", ")}], wanted [${desired.addresses.join(", ")}]`);
  }
  if (s.up !== desired.up) problems.push(`it is ${s.up ? "up" : "down"}`);
  if (desired.mtu !== undefined && s.mtu !== desired.mtu) problems.push(`mtu is ${s.mtu}`);
  if (desired.mac !== undefined && s.mac !== desired.mac) problems.push(`mac is ${s.mac}`);
  if (desired.master !== undefined && s.master !== desired.master) problems.push(`master is ${s.master ?? "none"}`);
  if (desired.alias !== undefined && s.alias !== desired.alias) problems.push(`its alias (ownership mark) is "${s.alias ?? ""}"`);
  if (problems.length) throw objectError(attempt, `the kernel did not apply it: ${problems.join("; ")}`);
}

// ── kernel I/O ──────────────────────────────────────────────────────────────────────────
/** The link a show command printed, checked and parsed; undefined if it printed none. */
export function parseLink(printed: unknown[] | undefined): LinkSeen | undefined {
  if (!printed?.length) return undefined;
  const j = linkJson.safeParse(printed[0]);
  if (!j.success) throw unexpected(j.error);
  return seen(j.data);
}

const unexpected = (e: z.ZodError) =>
  new Error(`unexpected output from \`ip -json addr show\`: ${e.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);

function seen(j: LinkJson): LinkSeen {
  // Non-IP entries (a bridge's, say) carry no `local`; IP ones must have the fields we read.
  const ips = (j.addr_info ?? []).filter((a) => a.family === "inet" || a.family === "inet6").map((a) => {
      const p = addrJson.safeParse(a);
      if (!p.success) throw unexpected(p.error);
      return p.data;
    });
  const isLinkLocal = (a: AddrJson) => a.family === "inet6" && a.scope === "link";
  const cidr = (a: AddrJson) => `${a.local}/${a.prefixlen}`;
  return {
    ifindex: j.ifindex,
    name: j.ifname,
    mtu: j.mtu,
    mac: j.address ?? "",
    master: j.master,
    up: Boolean(j.flags?.includes("UP")),
    flags: j.flags ?? [],
    addresses: ips.filter((a) => !isLinkLocal(a)).map(cidr),
    linkLocal: ips.filter(isLinkLocal).map(cidr),
    linkIndex: j.link_index,
    linkName: j.link ?? undefined,
    kind: j.linkinfo?.info_kind,
    info: j.linkinfo?.info_data ?? {},
    alias: j.ifalias || undefined,
  };
}

/** One spawn: the link with its addresses, or undefined if it (or its namespace) is gone. */
export async function readLink(host: Host, name: string, netns: string | undefined, attempt?: Attempt): Promise<LinkSeen | undefined> {
  return parseLink(await unlessGone(host.ipJson(["-details", ...showArgv(name)], { netns }, attempt), undefined));
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** What `read` reports as the link's inputs: the kernel's values for what was declared. */
export function observedConfig<C extends LinkConfig>(declared: C, s: LinkSeen): C {
  const addresses = managedAddresses(declared.addresses, s);
  return {
    ...declared,
    addresses: sameSet(declared.addresses, addresses) ? declared.addresses : addresses,
    up: s.up,
    ...(declared.mtu !== undefined && { mtu: s.mtu }),
    ...(declared.mac !== undefined && { mac: s.mac }),
    ...(declared.master !== undefined && { master: s.master }),
  };
}

/** Deletes a link; one already gone (with its namespace, or its veth peer) is fine. */
export function deleteLink(host: Host, name: string, netns: string | undefined, attempt: Attempt): Promise<boolean> {
  return unlessGone(host.ip(["link", "del", "dev", name], { netns }, attempt).then(() => true), false);
}

/**
 * Deletes a link the state says is ours: one gone already is fine, and one that is not (its
 * mark is not ours, or it is another kind of link: the name was taken since) is left alone.
 * True if something was deleted.
 */
export async function deleteOwnLink(host: Host, name: string, netns: string | undefined, owner: string | undefined, role: string | undefined, attempt: Attempt, kind?: string): Promise<boolean> {
  const s = await readLink(host, name, netns, attempt);
  if (!s || !stillOurs(s.alias, owner, role) || (kind !== undefined && s.kind !== kind)) return false;
  return deleteLink(host, name, netns, attempt);
}

/** The mark a link of `owner` carries, or undefined when the resource has no owner (no SDK). */
export const aliasFor = (owner: string | undefined, role?: string) => (owner === undefined ? undefined : markOf(owner, role));

export const master = (prefix = "") => ifName(`${prefix}master`).optional();

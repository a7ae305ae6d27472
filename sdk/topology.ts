/**
 * Whole-topology checks while the program runs: every resource records the (namespace,
 * interface name), (namespace, address) and namespace names it claims, as far as their plain
 * values are known now (literals, or names taken from `Namespace`/`Bridge` objects), and a
 * second claim on the same one fails `pulumi preview` with one line naming both resources.
 * Values known only after apply are left to the provider's own checks.
 */
import * as pulumi from "@pulumi/pulumi";
import ipaddr from "ipaddr.js";

/** What a name Output of a resource stands for, when its plain value was known at construction. */
interface Known {
  value: string;
  /** A link's namespace ("" for the provider's own), when known. */
  netns?: string;
  kind: string;
  /** A link's declared MTU, when known. */
  mtu?: number;
}
const known = new WeakMap<object, Known>();

/** Records the plain value behind a resource's name Output (so `ns.name` is known too). */
export function remember(output: object, kind: string, value: unknown, netns?: string, mtu?: unknown): void {
  if (typeof value === "string") known.set(output, { value, netns, kind, mtu: typeof mtu === "number" ? mtu : undefined });
}

/** The plain string behind an input, when it is known while the program runs. */
export function plainOf(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object") return known.get(v)?.value;
  return undefined;
}

/** What is known of an input that names a resource (a bridge's namespace, say). */
export function knownOf(v: unknown): Known | undefined {
  return v && typeof v === "object" ? known.get(v) : undefined;
}

/** The provider's own namespace has no name: it is keyed as "". */
export const netnsKey = (netns: string | undefined) => netns ?? "";

/** A place: a namespace on a host, as claims key it (`host\x01netns`; "" for this machine, "" for the provider's own namespace). */
export const place = (host: string, netns: string) => (host ? `${host}\x01${netns}` : netns);
export const netnsWords = (key: string) => {
  const [host, netns] = key.includes("\x01") ? key.split("\x01") : ["", key];
  return `${netns ? `netns "${netns}"` : "the provider's own namespace"}${host ? ` on host ${host}` : ""}`;
};

/** The host a `connection` names, when known now ("" for this machine). */
export function hostOf(connection: unknown): string | undefined {
  if (connection === undefined) return "";
  const known = knownOf(connection);
  if (known) return known.value;
  if (!connection || typeof connection !== "object" || pulumi.Output.isInstance(connection)) return undefined;
  const c = connection as { host?: unknown; port?: unknown };
  if (typeof c.host !== "string" || (c.port !== undefined && typeof c.port !== "number")) return undefined;
  return `${c.host}:${c.port ?? 22}`;
}

/** Where a resource claims names: its namespace (a name, a `Namespace` or its name output) on its host; undefined if not known now. */
export function placeOf(netns: unknown, connection: unknown): string | undefined {
  const host = hostOf(connection);
  const ns = netns === undefined ? "" : plainOf(netns);
  return host === undefined || ns === undefined ? undefined : place(host, ns);
}

const claims = new Map<string, string>();

export function claim(key: string, what: string, who: string): void {
  const first = claims.get(key);
  if (first !== undefined && first !== who) {
    throw new pulumi.RunError(`pulumi-linuxnet: ${what} is claimed twice: by ${first} and by ${who}; kernel names and addresses are unique per namespace`);
  }
  claims.set(key, who);
}

/** A resource in words: `VethPair "c1-eth0" (end.name)`. */
export const who = (kind: string, name: string, field: string) => `${kind} "${name}" (${field})`;

export function claimNamespace(name: string | undefined, host: string | undefined, by: string): void {
  if (name !== undefined && host !== undefined) claim(`netns\0${host}\0${name}`, `namespace "${name}"${host ? ` on host ${host}` : ""}`, by);
}

export function claimInterface(netns: string, name: string | undefined, by: string): void {
  if (name !== undefined) claim(`if\0${netns}\0${name}`, `interface "${name}" in ${netnsWords(netns)}`, by);
}

/**
 * Addresses are compared without their prefix: one IP on two links of a namespace is a
 * conflict. Not so for IPv6 link-local addresses (each link is its own scope: the same fe80::1
 * on every link is the usual gateway pattern) nor for host addresses (/32, /128), which
 * unnumbered links share on purpose.
 */
export function claimAddresses(netns: string, addresses: unknown, by: string): void {
  if (!Array.isArray(addresses)) return;
  for (const a of addresses) {
    if (typeof a !== "string") continue;
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    let len: number;
    try {
      [ip, len] = ipaddr.parseCIDR(a);
    } catch {
      continue; // malformed: the provider's check names it
    }
    if (ip.range() === "linkLocal" || len === (ip.kind() === "ipv4" ? 32 : 128)) continue;
    claim(`addr\0${netns}\0${ip.toString()}`, `address ${ip.toString()} in ${netnsWords(netns)}`, by);
  }
}

/** A route destination as the provider keeps it ("default", or the network in RFC 5952 form). */
export function normalDestination(destination: string): string {
  if (destination === "default") return destination;
  try {
    const [ip, len] = ipaddr.parseCIDR(destination);
    return `${ip.toString()}/${len}`;
  } catch {
    return destination;
  }
}

/** Forgets every claim (for tests that construct programs in one process). */
export function resetClaims(): void {
  claims.clear();
}

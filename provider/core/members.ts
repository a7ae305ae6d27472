/**
 * The kernel side of a NamespaceFleet (kinds/namespace-fleet.ts): members made, read and
 * removed by batched `ip`, many at once —
 *   1. one `ip -batch` in the provider's namespace per chunk of members: `netns add`, the
 *      namespace's mark on its `lo` (an `ip` exec'd inside, as Namespace does) and the veth
 *      pair, each end made directly in its own namespace;
 *   2. one `ip -batch` in `netns` for every port: IPv6 silenced, its mark, its bridge, up;
 *   3. one `ip -n MEMBER -batch` per member, several at once: the own end's mark, addresses,
 *      MTU, default routes.
 * A member's namespace carries the fleet's mark on its `lo` (as a Namespace's), its own end
 * `:end`, its port `:peer` (as a VethPair's ends). Making and removing them: core/member-lifecycle.ts.
 */
import { unlessGone } from "./errors";
import { markOf } from "./owner";
import type { Host } from "../hosts";
import { familyOf, type Member } from "./fleet-plan";

/** What the member engine reads of a fleet's inputs (members expanded). */
export interface FleetShape {
  members: Member[];
  netns?: string;
  bridge?: string;
  ifname: string;
  mtu?: number;
  loopbackUp: boolean;
  mcastFlood: boolean;
  gateway?: string;
  gateway6?: string;
  owner?: string;
  adopt: boolean;
}

/** One member as the kernel has it. */
export interface MemberState {
  name: string;
  /** The member's namespace's inode: a member made again has another. */
  inode: number;
  /** The inside end's ifindex (in the member). */
  ifindex: number;
  /** The port's ifindex (in `netns`). */
  portIfindex: number;
  /** What a refresh found differ from the fleet's settings in this member (null: none). */
  drift?: Drift;
}

export type Drift = Partial<Record<"gateway" | "gateway6" | "loopbackUp" | "up", string | boolean | null>>;

// ── argv builders ───────────────────────────────────────────────────────────────────────
export const ROLE_END = "end";
export const ROLE_PORT = "peer";

export const argv = {
  /** The namespace, its mark and the pair, in the provider's own namespace: ports made directly in `netns`, inside ends in the member. */
  make: (i: FleetShape, m: Member, existingNetns: boolean): string[][] => [
    ...(existingNetns ? [] : [["netns", "add", m.name]]),
    ["netns", "exec", m.name, "ip", "link", "set", "dev", "lo", ...(i.owner === undefined ? [] : ["alias", markOf(i.owner)]), i.loopbackUp ? "up" : "down"],
    [
      "link", "add", "name", m.name, ...(i.netns ? ["netns", i.netns] : []), ...(i.mtu ? ["mtu", String(i.mtu)] : []),
      "type", "veth", "peer", "name", i.ifname, ...(i.mtu ? ["mtu", String(i.mtu)] : []), "netns", m.name,
    ],
  ],
  /** A port: silent on IPv6 (set before up), marked, on its bridge, up. */
  port: (i: FleetShape, m: Member): string[][] => [
    ["link", "set", "dev", m.name, "addrgenmode", "none"],
    ["link", "set", "dev", m.name, ...(i.owner === undefined ? [] : ["alias", markOf(i.owner, ROLE_PORT)]), ...(i.bridge ? ["master", i.bridge] : ["nomaster"]), "up"],
    ...(i.bridge ? [["link", "set", "dev", m.name, "type", "bridge_slave", "mcast_flood", i.mcastFlood ? "on" : "off"]] : []),
  ],
  /** Inside the member: what differs between `was` (undefined: a new member) and what is declared. */
  inside: (i: FleetShape, m: Member, was?: Seen1): string[][] => {
    const ipv6 = m.addresses.some((a) => familyOf(a) === "ipv6");
    const lines: string[][] = [];
    if (!was && !ipv6) lines.push(["link", "set", "dev", i.ifname, "addrgenmode", "none"]);
    if (!was || was.alias !== (i.owner && markOf(i.owner, ROLE_END)) || !was.up || (i.mtu !== undefined && was.mtu !== i.mtu)) {
      lines.push(["link", "set", "dev", i.ifname, ...(i.owner === undefined ? [] : ["alias", markOf(i.owner, ROLE_END)]), ...(i.mtu ? ["mtu", String(i.mtu)] : []), "up"]);
    }
    if (was && was.loopbackUp !== i.loopbackUp) lines.push(["link", "set", "dev", "lo", i.loopbackUp ? "up" : "down"]);
    const gone = (was?.addresses ?? []).filter((a) => !m.addresses.includes(a));
    for (const a of gone) lines.push(["addr", "del", a, "dev", i.ifname]);
    // nodad: the fleet's addresses are its own by construction; duplicate address detection
    // would only delay them (and multiply the multicast a big fleet floods).
    for (const a of m.addresses) if (!was?.addresses.includes(a)) lines.push(["addr", "add", a, "dev", i.ifname, ...(familyOf(a) === "ipv6" ? ["nodad"] : [])]);
    for (const [gw, had, family] of [[i.gateway, was?.gateway, "ipv4"], [i.gateway6, was?.gateway6, "ipv6"]] as const) {
      // An address removed may take the default route with it (a link's last IPv4 address takes every route through it).
      if (gw === had && !(gw !== undefined && gone.some((a) => familyOf(a) === family))) continue;
      if (gw === undefined) lines.push(["route", "del", "default", "via", had!]);
      else lines.push(["route", "replace", "default", "via", gw, "dev", i.ifname]);
    }
    return lines;
  },
  del: (m: { name: string }) => ["netns", "del", m.name],
};

// ── running many ────────────────────────────────────────────────────────────────────────
/** Members per batch of the provider's namespace: three lines each, well under a pipe's 64 KiB, so `ip` gets a batch whole even if the provider dies the moment after. */
export const CHUNK = 100;
/** Per-member processes at once. */
export const PARALLEL = 8;

export const chunks = <T>(list: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(list.length / n) }, (_, k) => list.slice(k * n, k * n + n));

/** Runs `work` on every item, `parallel` at once; the first failure is thrown once all started work ended. */
export async function eachLimited<T, R>(items: readonly T[], parallel: number, work: (item: T, k: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failure: { e: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const k = next++;
      try {
        out[k] = await work(items[k], k);
      } catch (e) {
        failure ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  if (failure) throw failure.e;
  return out;
}

/** `ip … -batch` as one process of its own (never a long-lived session: a thousand members would be a thousand processes kept). */
export const once = (host: Host, lines: string[][], netns: string | undefined, attempt: (line: readonly string[]) => { verb: string; kind: string; name: string; netns?: string }) =>
  lines.length ? host.ipBatch(lines, { netns }, attempt, { atomic: lines.length }) : Promise.resolve([]);

// ── looking ─────────────────────────────────────────────────────────────────────────────
export const memberAttempt = (verb: string, name: string, netns?: string) => ({ verb, kind: "fleet member", name, netns });

export interface AddrJson {
  ifname: string;
  ifindex: number;
  ifalias?: string;
  mtu: number;
  flags?: string[];
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: Array<{ family: string; local: string; prefixlen: number; scope?: string }>;
}

/** What a member has (undefined: its namespace is not there). */
export interface Seen1 {
  inode: number;
  loAlias?: string;
  loopbackUp: boolean;
  /** The inside end; undefined when missing. */
  ifindex?: number;
  alias?: string;
  up: boolean;
  mtu?: number;
  addresses: string[];
  gateway?: string;
  gateway6?: string;
}

/** The namespaces of the host (one `ip netns list`). */
export async function netnsNames(host: Host): Promise<Set<string>> {
  const { stdout } = await host.run(["ip", "-json", "netns", "list"]);
  return new Set(stdout.trim() ? (JSON.parse(stdout) as Array<{ name: string }>).map((n) => n.name) : []);
}

/** One member's inside, in one process (two with IPv6 routes to read). */
async function seeMember(host: Host, i: FleetShape, m: Member, verb: string): Promise<Seen1 | undefined> {
  const attempt = () => memberAttempt(verb, m.name);
  const read = async () => {
    const [addrs, routes] = (await host.ipBatch([["addr", "show"], ["route", "show", "default"]], { netns: m.name }, attempt, { atomic: 2 })) as [AddrJson[], Array<{ gateway?: string }>];
    const routes6 = i.gateway6 !== undefined || m.addresses.some((a) => familyOf(a) === "ipv6") ? ((await once(host, [["-6", "route", "show", "default"]], m.name, attempt))[0] as Array<{ gateway?: string }>) : [];
    const lo = addrs.find((a) => a.ifname === "lo");
    const end = addrs.find((a) => a.ifname === i.ifname);
    const stat = await host.netnsInode(m.name);
    return {
      inode: stat,
      loAlias: lo?.ifalias || undefined,
      loopbackUp: Boolean(lo?.flags?.includes("UP")),
      ifindex: end?.ifindex,
      alias: end?.ifalias || undefined,
      up: Boolean(end?.flags?.includes("UP")),
      mtu: end?.mtu,
      addresses: (end?.addr_info ?? []).filter((x) => x.scope !== "link").map((x) => `${x.local}/${x.prefixlen}`),
      gateway: routes[0]?.gateway,
      gateway6: routes6?.[0]?.gateway,
    };
  };
  return unlessGone(read(), undefined);
}

/** The ports in `netns` by name (one `ip link show`). */
export async function portsOf(host: Host, i: FleetShape, verb: string): Promise<Map<string, AddrJson>> {
  const { stdout } = await host.run(["ip", ...(i.netns ? ["-n", i.netns] : []), "-json", "-details", "link", "show"], { verb, kind: "namespace fleet ports", name: i.netns ?? "(pulumi's netns)" });
  return new Map((stdout.trim() ? (JSON.parse(stdout) as AddrJson[]) : []).map((l) => [l.ifname, l]));
}

/** Each member's identity and ifindexes, and the members missing or broken (a port or inside end gone). */
export async function observe(host: Host, i: FleetShape, verb: string): Promise<{ seen: Map<string, Seen1>; ports: Map<string, AddrJson> }> {
  const present = await netnsNames(host);
  const ports = await portsOf(host, i, verb);
  const seen = new Map<string, Seen1>();
  await eachLimited(
    i.members.filter((m) => present.has(m.name)),
    PARALLEL,
    async (m) => {
      const s = await seeMember(host, i, m, verb);
      if (s) seen.set(m.name, s);
    },
  );
  return { seen, ports };
}

export const whole = (i: FleetShape, s: Seen1 | undefined, port: AddrJson | undefined) =>
  s !== undefined && s.ifindex !== undefined && port !== undefined && i.owner !== undefined && s.loAlias === markOf(i.owner) && port.ifalias === markOf(i.owner, ROLE_PORT);

/** The whole members' identities (a member missing or broken has none: the next `up` makes it again). */
export function statesOf(i: FleetShape, seen: Map<string, Seen1>, ports: Map<string, AddrJson>): MemberState[] {
  return i.members.flatMap((m) => {
    const s = seen.get(m.name);
    const p = ports.get(m.name);
    return whole(i, s, p) ? [{ name: m.name, inode: s!.inode, ifindex: s!.ifindex!, portIfindex: p!.ifindex }] : [];
  });
}

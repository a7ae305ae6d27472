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
 * `:end`, its port `:peer` (as a VethPair's ends).
 */
import { objectError, unlessGone } from "./errors";
import { othersIn, othersProblem, unreadableProblem } from "./marked";
import { describeOwner, markOf, ownerInMark } from "./owner";
import { transaction } from "./undo";
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
}

// ── argv builders ───────────────────────────────────────────────────────────────────────
export const ROLE_END = "end";
const ROLE_PORT = "peer";

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
    for (const a of was?.addresses ?? []) if (!m.addresses.includes(a)) lines.push(["addr", "del", a, "dev", i.ifname]);
    // nodad: the fleet's addresses are its own by construction; duplicate address detection
    // would only delay them (and multiply the multicast a big fleet floods).
    for (const a of m.addresses) if (!was?.addresses.includes(a)) lines.push(["addr", "add", a, "dev", i.ifname, ...(familyOf(a) === "ipv6" ? ["nodad"] : [])]);
    for (const [gw, had] of [[i.gateway, was?.gateway], [i.gateway6, was?.gateway6]] as const) {
      if (gw === had) continue;
      if (gw === undefined) lines.push(["route", "del", "default", "via", had!]);
      else lines.push(["route", "replace", "default", "via", gw, "dev", i.ifname]);
    }
    return lines;
  },
  del: (m: { name: string }) => ["netns", "del", m.name],
};

// ── running many ────────────────────────────────────────────────────────────────────────
/** Members per batch of the provider's namespace: three lines each, well under a pipe's 64 KiB, so `ip` gets a batch whole even if the provider dies the moment after. */
const CHUNK = 100;
/** Per-member processes at once. */
export const PARALLEL = 8;

const chunks = <T>(list: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(list.length / n) }, (_, k) => list.slice(k * n, k * n + n));

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
async function netnsNames(host: Host): Promise<Set<string>> {
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
async function portsOf(host: Host, i: FleetShape, verb: string): Promise<Map<string, AddrJson>> {
  const { stdout } = await host.run(["ip", ...(i.netns ? ["-n", i.netns] : []), "-json", "-details", "link", "show"], { verb, kind: "namespace fleet ports", name: i.netns ?? "(pulumi's netns)" });
  return new Map((stdout.trim() ? (JSON.parse(stdout) as AddrJson[]) : []).map((l) => [l.ifname, l]));
}

// ── making and removing members ─────────────────────────────────────────────────────────
/**
 * What holds each member's name now, and whether the fleet may build there: its own leftover
 * (removed first), an unmarked namespace with `adopt` (built into), nothing; anything else is
 * refused with one line.
 */
async function clearWay(host: Host, i: FleetShape, members: readonly Member[]): Promise<{ adopted: Set<string> }> {
  const present = await netnsNames(host);
  const ports = await portsOf(host, i, "create");
  const leftovers: Member[] = [];
  const adopted = new Set<string>();
  for (const m of members) {
    const port = ports.get(m.name);
    if (port && !(i.owner !== undefined && port.ifalias === markOf(i.owner, ROLE_PORT))) {
      const other = ownerInMark(port.ifalias);
      throw objectError(memberAttempt("create", m.name, i.netns), `its port name "${m.name}" is taken in ${i.netns ? `netns "${i.netns}"` : "pulumi's own namespace"} by a link that ${other ? `belongs to ${describeOwner(other)}` : "the fleet did not make"}; rename the member or remove that link`, "exists");
    }
    if (!present.has(m.name)) continue;
    const [lo] = (await once(host, [["addr", "show", "dev", "lo"]], m.name, () => memberAttempt("create", m.name)))[0] as AddrJson[];
    const alias = lo?.ifalias || undefined;
    if (i.owner !== undefined && alias === markOf(i.owner)) leftovers.push(m);
    else if (ownerInMark(alias) !== undefined)
      throw objectError(memberAttempt("create", m.name), `namespace "${m.name}" already exists and belongs to ${describeOwner(ownerInMark(alias)!)}; a fleet never takes over another's objects: rename the member, or remove it from that stack first`, "exists");
    else if (!i.adopt)
      throw objectError(memberAttempt("create", m.name), `namespace "${m.name}" already exists and was not made by pulumi-linuxnet (${alias ? `its lo's alias is "${alias}"` : "it carries no ownership mark"}); set adopt: true to build the member into it`, "exists");
    else adopted.add(m.name);
  }
  // The fleet's own leftovers (a killed `up`): made again from nothing.
  await removeMembers(host, i, leftovers, "create");
  return { adopted };
}

/** Makes members (none of which exists, or adopted ones as namespaces only); what a failure leaves is removed. */
export async function makeMembers(host: Host, i: FleetShape, members: readonly Member[]): Promise<void> {
  if (!members.length) return;
  const { adopted } = await clearWay(host, i, members);
  await transaction(async (onFailure) => {
    const made: Member[] = [];
    onFailure(() => removeMembers(host, i, made.filter((m) => !adopted.has(m.name)), "create", false));
    for (const part of chunks(members, CHUNK)) {
      made.push(...part); // a failed batch may have made some of its members: all of them are removed
      await once(host, part.flatMap((m) => argv.make(i, m, adopted.has(m.name))), undefined, (line) => memberAttempt("create", line[0] === "netns" ? line[2] : line[3]));
    }
    await once(host, members.flatMap((m) => argv.port(i, m)), i.netns, (line) => memberAttempt("create", line[3], i.netns));
    await eachLimited(members, PARALLEL, (m) => once(host, argv.inside(i, m), m.name, () => memberAttempt("create", m.name)));
  });
}

/** Removes members: each only if it is still the fleet's and holds no other stack's objects (`guard`). */
export async function removeMembers(host: Host, i: FleetShape, members: readonly Member[], verb: string, guard = true): Promise<void> {
  if (!members.length) return;
  const present = await netnsNames(host);
  const gone = members.filter((m) => present.has(m.name));
  const ours = await eachLimited(gone, PARALLEL, async (m) => {
    const [lo] = (await unlessGone(once(host, [["addr", "show", "dev", "lo"]], m.name, () => memberAttempt(verb, m.name)), [[]]))[0] as AddrJson[];
    if (i.owner !== undefined && lo?.ifalias !== markOf(i.owner)) return undefined; // another's now, or unmarked: left alone
    if (guard) {
      const others = await othersIn(host, m.name, i.owner).catch(async (e: Error) => {
        if (!(await host.netnsExists(m.name))) return [];
        throw objectError(memberAttempt(verb, m.name), unreadableProblem(e.message));
      });
      if (others.length) throw objectError(memberAttempt(verb, m.name), othersProblem(others), "busy");
    }
    return m;
  });
  for (const part of chunks(ours.filter((m): m is Member => m !== undefined), CHUNK * 3)) {
    await once(host, part.map(argv.del), undefined, (line) => memberAttempt(verb, line[2]));
  }
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

export function statesOf(i: FleetShape, seen: Map<string, Seen1>, ports: Map<string, AddrJson>): MemberState[] {
  return i.members.flatMap((m) => {
    const s = seen.get(m.name);
    const p = ports.get(m.name);
    return s && s.ifindex !== undefined && p ? [{ name: m.name, inode: s.inode, ifindex: s.ifindex, portIfindex: p.ifindex }] : [];
  });
}

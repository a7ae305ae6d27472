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
import { type LinkJson, type Marked, markedLinks, othersIn, othersProblem, rulesIn, SAVE_BOTH, stackOf, unreadableProblem } from "./marked";
import { describeOwner, markOf, ownerInMark } from "./owner";
import { transaction } from "./undo";
import type { Host } from "../hosts";
import { familyOf, type Member } from "./fleet-plan";
import { CHUNK, chunks, eachLimited, once, PARALLEL } from "./many";

export { eachLimited, once, PARALLEL };

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
    if (!was) lines.push(["link", "set", "dev", "lo", ...(i.owner === undefined ? [] : ["alias", markOf(i.owner)]), i.loopbackUp ? "up" : "down"]);
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
/** The record of the members a create is making (kept by the host's records, keyed by the fleet's owner). */
const FLEET_RECORD = "fleet";

/** The members a create of this fleet was making when it stopped (a killed `up`): unmarked yet, but the fleet's. */
async function pending(host: Host, i: FleetShape): Promise<Set<string>> {
  if (i.owner === undefined) return new Set();
  return new Set((await host.readRecord<{ making?: string[] }>({}, FLEET_RECORD, i.owner))?.making ?? []);
}
/**
 * What holds each member's name now, and whether the fleet may build there: its own leftover
 * (removed first), an unmarked namespace with `adopt` (built into), nothing; anything else is
 * refused with one line.
 */
async function clearWay(host: Host, i: FleetShape, members: readonly Member[]): Promise<{ adopted: Set<string> }> {
  const making = await pending(host, i);
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
    if (i.owner !== undefined && (alias === markOf(i.owner) || (alias === undefined && making.has(m.name)))) leftovers.push(m);
    else if (ownerInMark(alias) !== undefined)
      throw objectError(memberAttempt("create", m.name), `namespace "${m.name}" already exists and belongs to ${describeOwner(ownerInMark(alias)!)}; a fleet never takes over another's objects: rename the member, or remove it from that stack first`, "exists");
    else if (!i.adopt)
      throw objectError(memberAttempt("create", m.name), `namespace "${m.name}" already exists and was not made by pulumi-linuxnet (${alias ? `its lo's alias is "${alias}"` : "it carries no ownership mark"}); set adopt: true to build the member into it`, "exists");
    else adopted.add(m.name);
  }
  // The fleet's own leftovers (a killed `up`): made again from nothing.
  await removeMembers(host, i, leftovers, "create", true, making);
  return { adopted };
}

/**
 * Makes members (none of which exists, or adopted ones as namespaces only) and returns what
 * each is now; what a failure leaves is removed. The batches print each new link back, so
 * nothing is read again after.
 */
export async function makeMembers(host: Host, i: FleetShape, members: readonly Member[]): Promise<Map<string, MemberState>> {
  const states = new Map<string, MemberState>();
  if (!members.length) return states;
  const { adopted } = await clearWay(host, i, members);
  await transaction(async (onFailure) => {
    const made: Member[] = [];
    // Until its own end is set up, a new member's namespace carries no mark: the record of what
    // is being made says it is the fleet's, to a create that follows a killed one.
    if (i.owner !== undefined) await host.writeRecord({}, FLEET_RECORD, i.owner, { making: members.map((m) => m.name) });
    onFailure(() => removeMembers(host, i, made.filter((m) => !adopted.has(m.name)), "create", false, new Set(made.map((m) => m.name))));
    for (const part of chunks(members, CHUNK)) {
      made.push(...part); // a failed batch may have made some of its members: all of them are removed
      await once(host, part.flatMap((m) => argv.make(i, m, adopted.has(m.name))), undefined, (line) => memberAttempt("create", line[0] === "netns" ? line[2] : line[3]));
    }
    const ports = (await once(host, [...members.flatMap((m) => argv.port(i, m)), ...members.map((m) => ["link", "show", "dev", m.name])], i.netns, (line) => memberAttempt("create", line[3], i.netns))) as AddrJson[][];
    await eachLimited(members, PARALLEL, async (m, k) => {
      const [[own]] = (await once(host, [...argv.inside(i, m), ["link", "show", "dev", i.ifname]], m.name, () => memberAttempt("create", m.name))) as AddrJson[][];
      states.set(m.name, { name: m.name, inode: await host.netnsInode(m.name), ifindex: own.ifindex, portIfindex: ports[k][0].ifindex });
    });
  });
  if (i.owner !== undefined) await host.removeRecord({}, FLEET_RECORD, i.owner); // every member carries its mark now
  return states;
}

/** Links (with their marks) and both families' rules in a namespace, in one process: what the guard needs to look at there. */
const LOOK_INSIDE = `ip -json -details addr show || exit $?; echo; ${SAVE_BOTH}`;

/**
 * A member as a delete sees it, in one process: the mark on its `lo`, and (the namespace
 * guard, as a Namespace's delete has it) the other stacks' objects in it: its links and
 * rules; and, only where the member has records (routes, sysctls, shaping), the full look.
 * Undefined: it is gone.
 */
async function lookInside(host: Host, i: FleetShape, name: string, verb: string): Promise<{ loAlias?: string; others: Marked[] } | undefined> {
  try {
    const { stdout } = await host.exec(["sh", "-c", LOOK_INSIDE], { netns: name });
    const [first, ...saved] = stdout.split("\n");
    const links = JSON.parse(first) as LinkJson[];
    let others = [...markedLinks(links, name), ...rulesIn(saved.join("\n"), name)].filter((m) => m.kind !== "namespace");
    const recorded = async (kind: string) => (await host.recordKeys({ netns: name }, kind)).length > 0;
    if ((await host.recordFolder({ netns: name })) !== undefined && ((await recorded("route")) || (await recorded("sysctl")) || (await recorded("qdisc")))) others = await othersIn(host, name, i.owner);
    return { loAlias: links.find((l) => l.ifname === "lo")?.ifalias || undefined, others: others.filter((m) => i.owner === undefined || stackOf(m.owner) !== stackOf(i.owner)) };
  } catch (e) {
    if (!(await host.netnsExists(name))) return undefined;
    throw objectError(memberAttempt(verb, name), unreadableProblem((e as Error).message));
  }
}

/** Removes members: each only if it is still the fleet's and (`guard`) holds no other stack's objects. */
export async function removeMembers(host: Host, i: FleetShape, members: readonly Member[], verb: string, guard = true, unmarkedOurs: ReadonlySet<string> = new Set()): Promise<void> {
  if (!members.length) return;
  const present = await netnsNames(host);
  const ours = await eachLimited(
    members.filter((m) => present.has(m.name)),
    PARALLEL,
    async (m) => {
      const seen = guard ? await lookInside(host, i, m.name, verb) : { loAlias: ((await unlessGone(once(host, [["addr", "show", "dev", "lo"]], m.name, () => memberAttempt(verb, m.name)), [[]]))[0] as AddrJson[])[0]?.ifalias, others: [] };
      const ours = i.owner === undefined || seen?.loAlias === markOf(i.owner) || (seen?.loAlias === undefined && unmarkedOurs.has(m.name));
      if (!seen || !ours) return undefined; // gone, another's now, or unmarked: left alone
      if (seen.others.length) throw objectError(memberAttempt(verb, m.name), othersProblem(seen.others), "busy");
      return m;
    },
  );
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

/**
 * The kernel side of a NamespaceFleet (kinds/namespace-fleet.ts): members made and removed by
 * batched `ip`, many at once (member-look.ts reads them) —
 *   1. one `ip -batch` in the provider's namespace per chunk of members: `netns add` and the
 *      veth pair, each end made directly in its own namespace;
 *   2. one `ip -batch` in `netns` for every port: IPv6 silenced, its mark, its bridge, up;
 *   3. one `ip -n MEMBER -batch` per member, several at once: its lo's mark, the own end's
 *      mark, addresses, MTU, default routes.
 * A member's namespace carries the fleet's mark on its `lo` (as a Namespace's), its own end
 * `:end`, its port `:peer` (as a VethPair's ends).
 */
import { objectError, unlessGone } from "./errors";
import { othersProblem } from "./marked";
import { describeOwner, markOf, ownerInMark } from "./owner";
import { transaction } from "./undo";
import type { Host } from "../hosts";
import { familyOf, type FleetShape, type Member, type MemberState, ROLE_END, ROLE_PORT } from "./fleet-plan";
import { type AddrJson, lookInside, memberAttempt, netnsNames, portsOf, type Seen1 } from "./member-look";
import { CHUNK, chunks, eachLimited, once, PARALLEL } from "./many";

export { eachLimited, once, PARALLEL };

// ── argv builders ───────────────────────────────────────────────────────────────────────

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
    const lines: string[][] = [];
    if (!was) lines.push(["link", "set", "dev", "lo", ...(i.owner === undefined ? [] : ["alias", markOf(i.owner)]), i.loopbackUp ? "up" : "down"]);
    if (!was && !i.linkLocal) lines.push(["link", "set", "dev", i.ifname, "addrgenmode", "none"]);
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
    const alias = present.has(m.name) ? ((await once(host, [["addr", "show", "dev", "lo"]], m.name, () => memberAttempt("create", m.name)))[0] as AddrJson[])[0]?.ifalias || undefined : undefined;
    const leftover = i.owner !== undefined && (alias === markOf(i.owner) || (alias === undefined && present.has(m.name) && making.has(m.name)));
    // A port not marked yet is the fleet's when its member is one the fleet was making, or a veth
    // beside the fleet's own leftover namespace: it goes with that namespace.
    const portOurs = i.owner !== undefined && (port?.ifalias === markOf(i.owner, ROLE_PORT) || (!port?.ifalias && (making.has(m.name) || (leftover && port?.linkinfo?.info_kind === "veth"))));
    if (port && !portOurs) {
      const other = ownerInMark(port.ifalias);
      throw objectError(memberAttempt("create", m.name, i.netns), `its port name "${m.name}" is taken in ${i.netns ? `netns "${i.netns}"` : "pulumi's own namespace"} by a link that ${other ? `belongs to ${describeOwner(other)}` : "the fleet did not make"}; rename the member or remove that link`, "exists");
    }
    if (!present.has(m.name)) continue;
    if (leftover) leftovers.push(m);
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

/** How long the kernel may take to tear deleted members' veth pairs down. */
const TEARDOWN_MS = 30_000;

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
  const removed = ours.filter((m): m is Member => m !== undefined);
  for (const part of chunks(removed, CHUNK * 3)) await once(host, part.map(argv.del), undefined, (line) => memberAttempt(verb, line[2]));
  // The kernel tears a deleted namespace down later, its veth pairs with it: until their ports
  // are gone from `netns`, the names cannot be made again (a replace, a create after a destroy).
  const deadline = Date.now() + TEARDOWN_MS;
  for (let delay = 20; removed.length; delay = Math.min(delay * 2, 500)) {
    const ports = await portsOf(host, i, verb);
    const left = removed.filter((m) => ports.has(m.name));
    if (!left.length) return;
    if (Date.now() > deadline) throw objectError(memberAttempt(verb, left[0].name, i.netns), `${left.length} of its members' ports were still in ${i.netns ? `netns "${i.netns}"` : "pulumi's own namespace"} ${TEARDOWN_MS / 1000} s after their namespaces were deleted`);
    await new Promise((r) => setTimeout(r, delay));
  }
}


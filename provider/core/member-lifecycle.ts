/**
 * Making and removing a NamespaceFleet's members (core/members.ts has the argv, the batches
 * and the looking): what holds a member's name is cleared first (the fleet's own leftovers
 * made again, others' refused), a failure removes what it made, and a member is removed only
 * while it is the fleet's and holds no other stack's objects (the namespace guard).
 */
import { objectError, unlessGone } from "./errors";
import { type LinkJson, type Marked, markedLinks, othersIn, othersProblem, rulesIn, SAVE_BOTH, stackOf, unreadableProblem } from "./marked";
import { describeOwner, markOf, ownerInMark } from "./owner";
import { transaction } from "./undo";
import type { Host } from "../hosts";
import type { Member } from "./fleet-plan";
import { type AddrJson, argv, CHUNK, chunks, eachLimited, type FleetShape, memberAttempt, type MemberState, netnsNames, once, PARALLEL, portsOf, ROLE_PORT } from "./members";

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
    const alias = present.has(m.name) ? ((await once(host, [["addr", "show", "dev", "lo"]], m.name, () => memberAttempt("create", m.name)))[0] as AddrJson[])[0]?.ifalias || undefined : undefined;
    const leftover = i.owner !== undefined && alias === markOf(i.owner);
    // An unmarked veth beside the fleet's own leftover namespace is that member's pair, made
    // before a killed `up` marked its port: it goes with the leftover.
    if (port && !(i.owner !== undefined && port.ifalias === markOf(i.owner, ROLE_PORT)) && !(leftover && !port.ifalias && port.linkinfo?.info_kind === "veth")) {
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
  // The fleet's own leftovers (a killed `up`): made again from nothing. Their ports go first, at
  // once (a namespace's links go only when the kernel has cleaned it up, after `netns del`
  // returns: a port still there would make the new pair's "File exists").
  await once(host, leftovers.filter((m) => ports.has(m.name)).map((m) => ["link", "del", "dev", m.name]), i.netns, (line) => memberAttempt("create", line[3], i.netns));
  await removeMembers(host, i, leftovers, "create");
  // The fleet's own ports whose namespaces are gone (removed a moment ago: the kernel has not
  // cleaned them up yet) are waited for, a bounded time; one still there makes its pair fail.
  const stale = new Set(members.filter((m) => !present.has(m.name) && ports.has(m.name)).map((m) => m.name));
  for (let waited = 0; stale.size && waited < STALE_WAIT_MS; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await portsOf(host, i, "create");
    for (const name of stale) if (!now.has(name)) stale.delete(name);
  }
  return { adopted };
}

/** How long a port may outlive its removed namespace. */
const STALE_WAIT_MS = 10_000;

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
    onFailure(() => removeMembers(host, i, made.filter((m) => !adopted.has(m.name)), "create", false));
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
export async function removeMembers(host: Host, i: FleetShape, members: readonly Member[], verb: string, guard = true): Promise<void> {
  if (!members.length) return;
  const present = await netnsNames(host);
  const ours = await eachLimited(
    members.filter((m) => present.has(m.name)),
    PARALLEL,
    async (m) => {
      const seen = guard ? await lookInside(host, i, m.name, verb) : { loAlias: ((await unlessGone(once(host, [["addr", "show", "dev", "lo"]], m.name, () => memberAttempt(verb, m.name)), [[]]))[0] as AddrJson[])[0]?.ifalias, others: [] };
      if (!seen || (i.owner !== undefined && seen.loAlias !== markOf(i.owner))) return undefined; // gone, another's now, or unmarked: left alone
      if (seen.others.length) throw objectError(memberAttempt(verb, m.name), othersProblem(seen.others), "busy");
      return m;
    },
  );
  for (const part of chunks(ours.filter((m): m is Member => m !== undefined), CHUNK * 3)) {
    await once(host, part.map(argv.del), undefined, (line) => memberAttempt(verb, line[2]));
  }
}


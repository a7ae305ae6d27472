/**
 * Reading a NamespaceFleet's members back (core/members.ts makes them): each member in one
 * process (two with IPv6 routes), the ports in one; and what a member's delete must see
 * first, in one process.
 */
import { objectError, unlessGone } from "./errors";
import { type LinkJson, type Marked, markedLinks, namespaceNames, othersIn, rulesIn, SAVE_BOTH, stackOf, unreadableProblem } from "./marked";
import { markOf } from "./owner";
import type { Host } from "../hosts";
import { type Drift, familyOf, type FleetShape, type Member, type MemberState, ROLE_PORT } from "./fleet-plan";
import { eachLimited, once, PARALLEL } from "./many";

export const memberAttempt = (verb: string, name: string, netns?: string) => ({ verb, kind: "fleet member", name, netns });

export interface AddrJson {
  ifname: string;
  linkinfo?: { info_kind?: string };
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
export async function netnsNames(host: Host): Promise<Set<string>> {
  return new Set(await namespaceNames(host));
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


/** Links (with their marks) and both families' rules in a namespace, in one process: what the guard needs to look at there. */
const LOOK_INSIDE = `ip -json -details addr show || exit $?; echo; ${SAVE_BOTH}`;

/**
 * A member as a delete sees it, in one process: the mark on its `lo`, and (the namespace
 * guard, as a Namespace's delete has it) the other stacks' objects in it: its links and
 * rules; and, only where the member has records (routes, sysctls, shaping), the full look.
 * Undefined: it is gone.
 */
export async function lookInside(host: Host, i: FleetShape, name: string, verb: string): Promise<{ loAlias?: string; others: Marked[] } | undefined> {
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

/** What a refresh keeps per member, only where the member differs from the fleet (null: none). */
export const DRIFTS = ["gateway", "gateway6", "loopbackUp", "up"] as const;

export function driftOf(i: FleetShape, s: Seen1): Drift | undefined {
  const d = Object.fromEntries(DRIFTS.filter((f) => s[f] !== (f === "up" ? true : i[f])).map((f) => [f, s[f] ?? null]));
  return Object.keys(d).length ? d : undefined;
}

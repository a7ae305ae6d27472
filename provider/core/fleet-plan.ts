/**
 * A NamespaceFleet's members, named and addressed, from what the program wrote (`count` and
 * `namePrefix`, or a list) — or the first rule the fleet breaks. Pure: no kernel, no zod.
 */
import ipaddr from "ipaddr.js";
import { ifNameProblem } from "./validate";

const show = (v: unknown) => JSON.stringify(v);

/** One member: its namespace's name (which also names its port) and its own end's addresses. */
export interface Member {
  name: string;
  addresses: string[];
}


/** The `k`-th host of a subnet from `first` on, with the subnet's prefix; undefined when the subnet has no such host. */
export function nthHost(net: string, first: number, k: number): string | undefined {
  const [a, len] = ipaddr.parseCIDR(net);
  const bits = a.kind() === "ipv4" ? 32 : 128;
  const offset = BigInt(first) + BigInt(k);
  const size = 1n << BigInt(bits - len);
  // IPv4 keeps the network and broadcast addresses out (a /31 or /32 has neither).
  const usable = a.kind() === "ipv4" && len <= 30 ? offset >= 1n && offset < size - 1n : offset < size;
  if (!usable) return undefined;
  const base = a.toByteArray().reduce((n, b) => (n << 8n) | BigInt(b), 0n);
  let v = base + offset;
  const bytes: number[] = [];
  for (let i = 0; i < bits / 8; i++, v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return `${ipaddr.fromByteArray(bytes).toString()}/${len}`;
}

export const familyOf = (cidr: string) => (cidr.includes(":") ? "ipv6" : "ipv4");
const hostPart = (cidr: string) => cidr.split("/")[0];

/** What `expand` reads of the inputs. */
export interface FleetPlanInputs {
  count?: number;
  namePrefix?: string;
  start: number;
  members?: Array<{ name: string; addresses?: string[] }>;
  netns?: string;
  bridge?: string;
  subnet?: string;
  subnet6?: string;
  firstHost: number;
  gateway?: string;
  gateway6?: string;
}

/** The kernel's limit of ports on one bridge (BR_MAX_PORTS, 1 << 10; port numbers start at 1). */
export const BRIDGE_PORTS = 1023;

export type Problem = { path: PropertyKey[]; message: string };


/**
 * Every member, named and addressed: from `count` and `namePrefix`, or from `members` (each
 * member's addresses as given, or from `subnet`/`subnet6` by its position); or the first rule
 * the fleet breaks.
 */
export function expand(v: FleetPlanInputs): Member[] | Problem {
  const fail = (path: PropertyKey[], message: string): Problem => ({ path, message });
  if (v.subnet !== undefined && familyOf(v.subnet) !== "ipv4") return fail(["subnet"], `invalid subnet ${show(v.subnet)} (must be an IPv4 network; IPv6 goes in subnet6)`);
  if (v.subnet6 !== undefined && familyOf(v.subnet6) !== "ipv6") return fail(["subnet6"], `invalid subnet6 ${show(v.subnet6)} (must be an IPv6 network like fd00:1::/64)`);
  if ((v.count === undefined) === (v.members === undefined)) return fail(["count"], "invalid count (give count with namePrefix, or members: one of them)");
  if (v.count !== undefined && v.namePrefix === undefined) return fail(["namePrefix"], "invalid namePrefix (must be given with count: members are named namePrefix + number)");
  const given: Array<{ name: string; addresses?: string[] }> = v.members ?? Array.from({ length: v.count! }, (_, k) => ({ name: `${v.namePrefix}${v.start + k}` }));
  if (!given.length) return fail(["members"], "invalid members (must name at least one member)");
  if (v.bridge !== undefined && given.length > BRIDGE_PORTS) {
    const field = v.count !== undefined ? "count" : "members";
    return fail([field], `invalid ${field} (${given.length} members: a Linux bridge takes at most ${BRIDGE_PORTS} ports (BR_MAX_PORTS), so split them over several fleets and bridges)`);
  }
  if (v.count !== undefined) {
    const last = given[given.length - 1].name;
    const problem = ifNameProblem(last) ?? (/^\d+$/.test(last) ? "must not be all digits" : undefined);
    if (problem) return fail(["namePrefix"], `invalid namePrefix ${show(v.namePrefix)} (its members' names, up to ${show(last)}, ${problem}: each also names a port)`);
  }
  const names = new Set<string>();
  const members: Member[] = [];
  for (const [k, m] of given.entries()) {
    if (names.has(m.name)) return fail(["members", k, "name"], `invalid members[${k}].name ${show(m.name)} (must not be listed twice)`);
    names.add(m.name);
    let addresses = m.addresses;
    if (addresses === undefined) {
      addresses = [];
      for (const [field, net] of [["subnet", v.subnet], ["subnet6", v.subnet6]] as const) {
        if (net === undefined) continue;
        const a = nthHost(net, v.firstHost, k);
        if (a === undefined) return fail([field], `invalid ${field} ${show(net)} (too small for ${given.length} members from host ${v.firstHost} on)`);
        addresses.push(a);
      }
    }
    for (const [gw, field] of [[v.gateway, "gateway"], [v.gateway6, "gateway6"]] as const) {
      if (gw !== undefined && addresses.some((a) => hostPart(a) === gw)) return fail([field], `invalid ${field} ${show(gw)} (it is members[${k}]'s own address: the gateway must be another host, the bridge's say)`);
    }
    members.push({ name: m.name, addresses });
  }
  if (v.netns !== undefined && names.has(v.netns)) return fail(["netns"], `invalid netns ${show(v.netns)} (it is a member's name: the ports must be outside the members)`);
  for (const [gw, field, family] of [[v.gateway, "gateway", "ipv4"], [v.gateway6, "gateway6", "ipv6"]] as const) {
    if (gw === undefined) continue;
    if (familyOf(gw) !== family) return fail([field], `invalid ${field} ${show(gw)} (must be an ${family === "ipv4" ? "IPv4" : "IPv6"} address)`);
    const missing = members.findIndex((m) => !m.addresses.some((a) => familyOf(a) === family && ipaddr.parse(gw).match(ipaddr.parseCIDR(a))));
    if (missing >= 0) return fail([field], `invalid ${field} ${show(gw)} (must be on the members' subnet: members[${missing}] (${members[missing].name}) has no ${family === "ipv4" ? "IPv4" : "IPv6"} address whose subnet holds it)`);
  }
  return members;
}

/** What the member engine reads of a fleet's inputs (members expanded). */
export interface FleetShape {
  members: Member[];
  netns?: string;
  bridge?: string;
  ifname: string;
  mtu?: number;
  loopbackUp: boolean;
  linkLocal: boolean;
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

/** The parts of a member its marks tell apart (as a VethPair's ends): its own end, its port. */
export const ROLE_END = "end";
export const ROLE_PORT = "peer";

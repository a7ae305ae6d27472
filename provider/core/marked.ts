/**
 * The objects on one host that carry pulumi-linuxnet's ownership marks, read from the kernel
 * and from the records kept beside it: namespaces (the alias of their `lo`), links (their
 * alias), iptables rules (their comment), routes (`proto 148`, with the owner recorded),
 * sysctls (their records) and link shaping (a root qdisc `148:`, with the owner recorded). A
 * Namespace's delete looks inside for other stacks' objects first; `pulumi-linuxnet orphans`
 * lists what no state holds and removes each through its kind's own delete (what a listed
 * object's `inputs` are for). Reading only, on the host it is given. What cannot be read is an
 * error, never "nothing there".
 */
import { splitRuleLine } from "../kinds/iptables";
import type { Host } from "../hosts";
import type { KindKey } from "../registry";
import { CommandError, kernelSays } from "./errors";
import { describeOwner, MARK_PREFIX, ownerInMark, ROUTE_PROTO } from "./owner";
import { HANDLE, parseRoot, tcArgv } from "./qdisc";

/**
 * Every kind of marked object, in the order `orphans` removes them: what lives in a namespace
 * before the namespace; rules, routes and shaping before the links they name.
 */
export const REMOVAL_ORDER = ["iptables rule", "route", "sysctl", "link shaping", "link", "namespace"] as const;
export type MarkedKind = (typeof REMOVAL_ORDER)[number];

/**
 * What each kind of the registry leaves in the kernel, as the marked objects it is listed as
 * (none: it makes nothing there). A kind missing here does not compile; a unit test checks the
 * rest (test/unit/marked-kinds.test.ts).
 */
export const MARKED_BY_KIND = {
  namespace: ["namespace"],
  bridge: ["link"],
  veth: ["link"],
  vlan: ["link"],
  macvlanNetwork: ["link"], // its host shim (the parent's promiscuous flag is a shared setting, kept in its owners' record)
  macvlanEndpoint: ["link", "route"], // the host's route to it, through the shim
  vxlan: ["link"],
  linkShaping: ["link shaping"],
  sysctl: ["sysctl"],
  route: ["route"],
  iptables: ["iptables rule"],
  namespaceFleet: ["namespace", "link"], // each member's namespace (its lo's mark) and its port
  probe: [],
} as const satisfies Record<KindKey, readonly MarkedKind[]>;

/** The kind whose own delete removes a marked object (a link is removed as a link, whatever made it). */
export const REMOVED_BY: Readonly<Record<Exclude<MarkedKind, "link">, KindKey>> = {
  namespace: "namespace",
  route: "route",
  "iptables rule": "iptables",
  sysctl: "sysctl",
  "link shaping": "linkShaping",
};

export interface Marked {
  kind: MarkedKind;
  /** The namespace it is in (undefined: the host's own); for a namespace, the namespace itself. */
  netns?: string;
  /** The link's name, the route's key, the rule, the sysctl's key, the shaped link's name; for a namespace, its name. */
  name: string;
  /** Its owner (`project/stack/Kind/name`, each part encoded), from its mark or its record. */
  owner: string;
  /** The mark as the kernel has it (namespaces, links, rules). */
  mark?: string;
  /** What its kind's delete takes: the resource's inputs as far as the object tells them (links: none). */
  inputs: Record<string, unknown>;
  /** The state its kind's delete takes besides (a sysctl: the value found before it was set). */
  state?: Record<string, unknown>;
}

/** `project/stack` of an owner: what tells one stack's objects from another's. */
export const stackOf = (owner: string) => owner.split("/").slice(0, 2).join("/");

/** One object in words: `link "br0" in netns "lab"`. */
export function describeMarked(m: Marked): string {
  const where = m.kind !== "namespace" && m.netns !== undefined ? ` in netns "${m.netns}"` : "";
  return `${m.kind} ${m.kind === "route" || m.kind === "sysctl" ? m.name : JSON.stringify(m.name)}${where}`;
}

/** One object and its owner in words, for messages: `link "br0" in netns "lab" (resource Bridge "br" of stack "a" (project "p"))`. */
export const describeWithOwner = (m: Marked) => `${describeMarked(m)} (${describeOwner(m.owner)})`;

// ── reading ─────────────────────────────────────────────────────────────────────────────
export interface LinkJson {
  ifindex: number;
  ifname: string;
  ifalias?: string;
}

/** Links and (from `lo`) the namespace itself. */
export function markedLinks(links: readonly LinkJson[], netns: string | undefined): Marked[] {
  return links
    .filter((l) => l.ifalias?.startsWith(MARK_PREFIX))
    .flatMap((l): Marked[] => {
      const owner = ownerInMark(l.ifalias)!;
      if (l.ifname === "lo") return netns === undefined ? [] : [{ kind: "namespace", netns, name: netns, owner, mark: l.ifalias, inputs: { name: netns, owner } }];
      return [{ kind: "link", netns, name: l.ifname, owner, mark: l.ifalias, inputs: {} }];
    });
}

/**
 * A fixed script (no input in it): both families' rules, each under a header line. A tool that
 * fails stops it with its own exit status and a line naming it; a tool not installed has no
 * rules to show (IptablesRule makes them with its sibling `iptables`, which comes with it).
 */
export const SAVE_BOTH =
  'for t in iptables-save ip6tables-save; do echo "#linuxnet $t"; if command -v "$t" >/dev/null; then "$t" || { s=$?; echo "#linuxnet failed $t $s" >&2; exit "$s"; }; fi; done';

/** iptables rules carrying a mark, from `iptables-save` and `ip6tables-save` of the namespace. */
export function rulesIn(saved: string, netns?: string): Marked[] {
  const out: Marked[] = [];
  let family = "ipv4";
  let table = "filter";
  for (const line of saved.split("\n")) {
    if (line.startsWith("#linuxnet ")) family = line.includes("ip6tables") ? "ipv6" : "ipv4";
    else if (line.startsWith("*")) table = line.slice(1).trim();
    if (!line.startsWith("-A ")) continue;
    const tokens = splitRuleLine(line);
    const at = tokens.findIndex((t, k) => t === "--comment" && tokens[k + 1]?.startsWith(MARK_PREFIX));
    if (at < 0) continue;
    const mark = tokens[at + 1];
    const chain = tokens[1];
    const matchAt = tokens[at - 2] === "-m" && tokens[at - 1] === "comment" ? at - 2 : at;
    const rule = [...tokens.slice(2, matchAt), ...tokens.slice(at + 2)]; // without `-m comment --comment MARK`
    const owner = ownerInMark(mark)!;
    out.push({ kind: "iptables rule", netns, name: `-t ${table} -A ${chain} ${rule.join(" ")}`, owner, mark, inputs: { table, chain, rule, family, netns, owner } });
  }
  return out;
}

async function markedRules(host: Host, netns: string | undefined): Promise<Marked[]> {
  try {
    return rulesIn((await host.exec(["sh", "-c", SAVE_BOTH], { netns })).stdout, netns);
  } catch (e) {
    const failed = e instanceof CommandError && /^#linuxnet failed (\S+) (\d+)$/m.exec(e.stderr);
    if (!failed) throw e; // the shell did not run there (a namespace gone meanwhile)
    const said = kernelSays((e as CommandError).stderr.replace(failed[0], ""));
    throw new Error(`\`${failed[1]}\` failed (exit status ${failed[2]}${said ? `: ${said}` : ""}), so its rules cannot be read`);
  }
}

interface RouteJson {
  dst: string;
  dev?: string;
  gateway?: string;
  metric?: number;
  table?: string;
}

const withPrefix = (dst: string) => (dst === "default" || dst.includes("/") ? dst : `${dst}/${dst.includes(":") ? 128 : 32}`);

/** Routes marked `proto 148` whose owner is recorded (a route with no record names no owner: left out). */
async function markedRoutes(host: Host, netns: string | undefined): Promise<Marked[]> {
  const keys = await host.recordKeys({ netns }, "route");
  if (!keys.length) return [];
  const listed = async (family: "ipv4" | "ipv6") =>
    (await host.ipJson<RouteJson>([family === "ipv4" ? "-4" : "-6", "route", "show", "table", "all", "proto", ROUTE_PROTO], { netns })).map((r) => ({ ...r, family }));
  const routes = [...(await listed("ipv4")), ...(await listed("ipv6"))];
  const out: Marked[] = [];
  for (const key of keys) {
    const [family, table, ...rest] = key.split("/");
    const metric = Number(rest.pop());
    const destination = rest.join("/");
    const r = routes.find((x) => x.family === family && (x.table ?? "main") === table && withPrefix(x.dst) === destination && (x.metric ?? (family === "ipv6" ? 1024 : 0)) === metric);
    const owner = (await host.readRecord<{ owner?: string }>({ netns }, "route", key))?.owner;
    if (!r || !owner) continue;
    const inputs = { destination, metric, table: table === "main" ? "main" : Number(table), family, netns, owner, dev: r.dev, via: r.gateway };
    out.push({ kind: "route", netns, name: `${destination} (table ${table}, metric ${metric})`, owner, inputs });
  }
  return out;
}

interface SysctlRecord {
  owner?: string;
  found: string;
  /** The value the stack set (records written before it was kept lack it). */
  value?: string;
}

async function markedSysctls(host: Host, netns: string | undefined): Promise<Marked[]> {
  const out: Marked[] = [];
  for (const key of await host.recordKeys({ netns }, "sysctl")) {
    const r = await host.readRecord<SysctlRecord>({ netns }, "sysctl", key);
    if (!r?.owner) continue;
    const inputs = { key, value: r.value, netns, owner: r.owner, hostWide: key.startsWith("net.") ? undefined : true };
    out.push({ kind: "sysctl", netns, name: key, owner: r.owner, inputs, state: { found: r.found } });
  }
  return out;
}

/** What the host's record holds about a shaped interface (kinds/link-shaping.ts writes it). */
interface QdiscRecord {
  owner?: string;
  dev?: string;
  ifindex?: number;
  found?: string;
}

/**
 * Root qdiscs `148:` whose owner is recorded for that very link (its name and ifindex: a link
 * made again under the name is another link); a record without its qdisc, or a qdisc without
 * its record, names no owner: left out.
 */
async function markedShaping(host: Host, links: readonly LinkJson[], netns: string | undefined): Promise<Marked[]> {
  const keys = await host.recordKeys({ netns }, "qdisc");
  if (!keys.length) return [];
  const argv = tcArgv(["-j", "qdisc", "show"], { netns });
  const { stdout } = await host.run(argv);
  let shown: Array<{ dev?: string }>;
  try {
    shown = stdout.trim() ? JSON.parse(stdout) : [];
  } catch (e) {
    throw new Error(`unparsable JSON from \`${argv.join(" ")}\`: ${(e as Error).message}`);
  }
  const out: Marked[] = [];
  for (const key of keys) {
    const r = await host.readRecord<QdiscRecord>({ netns }, "qdisc", key);
    const link = links.find((l) => l.ifname === r?.dev && l.ifindex === r?.ifindex);
    const root = link && parseRoot(JSON.stringify(shown.filter((q) => q.dev === link.ifname)));
    if (!r?.owner || !link || root?.handle !== HANDLE) continue;
    out.push({ kind: "link shaping", netns, name: link.ifname, owner: r.owner, inputs: { dev: link.ifname, netns, owner: r.owner }, state: { ifindex: link.ifindex, found: r.found } });
  }
  return out;
}

/** Every marked object in one namespace (undefined: the host's own), its own mark included. */
export async function markedIn(host: Host, netns?: string): Promise<Marked[]> {
  // `addr show`, not `link show`: it lists every link with its alias too, and runs in the namespace's ip session (no spawn).
  const links = await host.ipJson<LinkJson>(["-details", "addr", "show"], { netns });
  const [rules, routes, sysctls, shaping] = await Promise.all([markedRules(host, netns), markedRoutes(host, netns), markedSysctls(host, netns), markedShaping(host, links, netns)]);
  return [...markedLinks(links, netns), ...rules, ...routes, ...sysctls, ...shaping];
}

/** The host's named namespaces. */
export async function namespaceNames(host: Host): Promise<string[]> {
  const { stdout } = await host.run(["ip", "-json", "netns", "list"]);
  return stdout.trim() ? (JSON.parse(stdout) as Array<{ name: string }>).map((n) => n.name) : [];
}

/** What a listing of a host found, and the namespaces it could not read (a namespace gone meanwhile is neither). */
export interface Listing {
  objects: Marked[];
  unreadable: Array<{ netns: string; cause: string }>;
}

/** Every marked object on the host: in its own namespace and in every named one. */
export async function markedObjects(host: Host): Promise<Listing> {
  const objects = await markedIn(host, undefined);
  const unreadable: Listing["unreadable"] = [];
  for (const netns of await namespaceNames(host)) {
    try {
      objects.push(...(await markedIn(host, netns)));
    } catch (e) {
      if (await host.netnsExists(netns)) unreadable.push({ netns, cause: (e as Error).message });
    }
  }
  return { objects, unreadable };
}

/**
 * What a namespace's delete would take with it that is marked as another stack's (or, for a
 * namespace of no owner, as anyone's): links, rules, routes, sysctls and shaping in it. Throws
 * when it cannot look (a save that failed, a record that cannot be read): then nothing may go.
 */
export async function othersIn(host: Host, netns: string, owner: string | undefined): Promise<Marked[]> {
  const inside = (await markedIn(host, netns)).filter((m) => m.kind !== "namespace");
  return inside.filter((m) => owner === undefined || stackOf(m.owner) !== stackOf(owner));
}

// ── the namespace guard's words ─────────────────────────────────────────────────────────
/** Why a namespace may not be deleted: what of other stacks it holds, and what to do, as one clause. */
export function othersProblem(others: readonly Marked[]): string {
  const stacks = [...new Set(others.map((m) => stackOf(m.owner)))];
  return (
    `it holds objects of ${stacks.length === 1 ? "another stack" : "other stacks"}, which deleting it would take with it: ${others.map(describeWithOwner).join(", ")}; ` +
    `destroy ${stacks.length === 1 ? "that stack" : "those stacks"} first (or remove those resources from ${stacks.length === 1 ? "it" : "them"}), or delete the objects by hand, then destroy this one again`
  );
}

/** Why a namespace may not be deleted when what it holds cannot be read, as one clause. */
export const unreadableProblem = (cause: string) => `cannot tell whether it holds other stacks' objects, which deleting it would take with it: ${cause}; fix that, then destroy it again`;

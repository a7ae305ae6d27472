/**
 * The link engine: what every kind that makes links shares. A kind declares the links a
 * resource owns (role, name, the namespace each lives in, its kernel type, its settings and
 * anything beyond them), the add (the namespace it runs in, its argv, the marks its process
 * sets), and hooks where it differs; the engine does the rest: batching per namespace, the
 * add and its marks in one process, reconcile, read-back, verify, "the name is taken",
 * take-over and adopt (through kind.ts), read for refresh, and delete of only what is ours.
 */
import type { Host } from "../hosts";
import { type Attempt, failedAt, goneError, objectError, unlessGone } from "./errors";
import type { Existing, ReadResult } from "./kind";
import { aliasFor, type LinkConfig, type LinkSeen, deleteOwnLink, observedConfig, parseLink, readLink, reconcileArgv, showArgv, verifyApplied } from "./link";
import { claimOf, describeOwner, markOf, notOurs, ownerInMark, stillOurs } from "./owner";

/** The line that marks a just-added link (its alias), for an add's own process. */
export const markLine = (name: string, owner: string | undefined, role?: string): string[][] => (owner === undefined ? [] : [["link", "set", "dev", name, "alias", markOf(owner, role)]]);
import { transaction } from "./undo";

/** One link a resource owns. */
export interface OwnedLink {
  /** Its part in the resource, carried in its mark (`:end`, `:peer`, `:shim`); none for a kind's only link. */
  role?: string;
  /** Its declared settings, with the namespace it lives in. */
  config: LinkConfig;
  /** `ip -d` linkinfo.info_kind: "bridge", "veth", "vlan", "macvlan", "vxlan". */
  infoKind: string;
  /** Lines beyond the settings every link has (a bridge's STP, a default route), from what the kernel has. */
  extra?(current: Partial<Seen>, previous?: OwnedLink): string[][];
  /** Commands that show more, run right after the link's own show in its namespace (a route listing). */
  shows?: string[][];
  /** What else must hold after a change (the kernel applied STP); a problem, or undefined. */
  problem?(s: Seen): string | undefined;
}

/** A link as read back, with what its extra show commands printed. */
export interface Seen extends LinkSeen {
  shown: unknown[][];
}

/** The add: the namespace it runs in, its argv, and the lines that mark what it made, run by the same `ip` process. */
export interface Add {
  netns?: string;
  argv: string[];
  marks: string[][];
}

export interface LinkKind<I> {
  /** The object as errors name it: "bridge", "veth end" (per link, for kinds of several). */
  subject(i: I, link?: OwnedLink): Omit<Attempt, "verb">;
  /** The whole object in a message ("pair"); default: the subject's kind. */
  what?: string;
  links(i: I): OwnedLink[];
  add(i: I): Add;
  /** Checks before the add (the parent exists); throws with one line. */
  before?(host: Host, i: I, attempt: Attempt): Promise<void>;
  /** Why a link of the right type found at the name is still not this one (another VLAN id). */
  mismatch?(i: I, link: OwnedLink, s: LinkSeen): string | undefined;
  /** Whether the links found make one object still (a veth's ends are each other's peer). Default: yes. */
  whole?(i: I, seen: LinkSeen[]): boolean;
  /** At create: why the links found cannot be taken over as they are (one end of a pair without its peer). */
  broken?(i: I, seen: Array<LinkSeen | undefined>): string | undefined;
  /** What `read` reports: the inputs from each link's observed settings (`configs`, as the links) and what else it saw. Default (one link): its settings as the top-level fields. */
  observed?(i: I, configs: LinkConfig[], seen: Seen[]): Partial<I>;
}

type Owned = { owner?: string };

const marked = (owner: string | undefined, l: OwnedLink): LinkConfig => ({ ...l.config, alias: aliasFor(owner, l.role) });
const BLANK: Partial<Seen> = { addresses: [], up: false };

/** The lines that move a link from `current` to what it declares (its mark first). */
export function linkLines(owner: string | undefined, l: OwnedLink, current: Partial<Seen>, previous?: OwnedLink): string[][] {
  return [...reconcileArgv(marked(owner, l), current, previous?.config), ...(l.extra?.(current, previous) ?? [])];
}

export interface Job {
  link: OwnedLink;
  lines: string[][];
}

/**
 * Runs each link's lines in its namespace, one `ip -batch` per namespace, and reads the links
 * back in the same batch; they must match what was declared. The add (with its marks, handed
 * to `ip` in one piece, so a link never exists unmarked once the provider has handed the batch
 * over, even if it dies then) goes first, in its namespace's batch; the other namespaces'
 * batches run after it, in parallel. An error names the link whose command failed.
 */
export async function applyAndRead(host: Host, owner: string | undefined, jobs: Job[], attempt: (link: OwnedLink, line?: readonly string[]) => Attempt, add?: Add): Promise<Seen[]> {
  const groups = new Map<string | undefined, { head: string[][]; lines: string[][]; jobs: Job[] }>();
  const group = (netns: string | undefined) => groups.get(netns) ?? groups.set(netns, { head: [], lines: [], jobs: [] }).get(netns)!;
  if (add) group(add.netns).head.push(add.argv, ...add.marks);
  for (const job of jobs) {
    const g = group(job.link.config.netns);
    g.lines.push(...job.lines);
    g.jobs.push(job);
  }
  const seen = new Map<OwnedLink, Seen>();
  const run = async (g: { head: string[][]; lines: string[][]; jobs: Job[] }, netns: string | undefined) => {
    const shows = g.jobs.flatMap(({ link }) => [showArgv(link.config.name), ...(link.shows ?? [])]);
    const owns = (line: readonly string[]) => g.jobs.find(({ link }) => line[line.indexOf("dev") + 1] === link.config.name)?.link ?? g.jobs[0]?.link ?? jobs[0].link;
    const printed = await host.ipBatch([...g.head, ...g.lines, ...shows], { netns }, (line) => attempt(owns(line), line), { atomic: g.head.length });
    let k = 0;
    for (const { link } of g.jobs) {
      const s = parseLink(printed[k++]);
      const shown = (link.shows ?? []).map(() => printed[k++] ?? []);
      if (!s) throw goneError(attempt(link), "the link vanished while it was being configured");
      const full = { ...s, shown };
      verifyApplied(marked(owner, link), s, attempt(link));
      const problem = link.problem?.(full);
      if (problem) throw objectError(attempt(link), `the kernel did not apply it: ${problem}`);
      seen.set(link, full);
    }
  };
  const [first, ...rest] = [...groups.entries()];
  await run(first[1], first[0]);
  await Promise.all(rest.map(([netns, g]) => run(g, netns)));
  return jobs.map((j) => seen.get(j.link)!);
}

/** Each link with its extra shows as the kernel has them now (undefined: gone, or its namespace is); nothing changes. */
export async function observe(host: Host, links: readonly OwnedLink[], attempt: (link: OwnedLink) => Attempt): Promise<Array<Seen | undefined>> {
  return Promise.all(
    links.map(async (link) => {
      const printed = await unlessGone(host.ipBatch([showArgv(link.config.name), ...(link.shows ?? [])], { netns: link.config.netns }, attempt(link)), undefined);
      const s = printed && parseLink(printed[0]);
      return s && { ...s, shown: (link.shows ?? []).map((_, k) => printed![k + 1] ?? []) };
    }),
  );
}

/** The link at a name, refusing one of another type (or another of ours: `mismatch`) with one line naming its owner. */
export async function takenBy(host: Host, link: OwnedLink, attempt: Attempt, mismatch?: (s: LinkSeen) => string | undefined): Promise<LinkSeen | undefined> {
  const s = await readLink(host, link.config.name, link.config.netns, attempt);
  if (!s) return undefined;
  const other = s.kind !== link.infoKind ? `a ${s.kind ?? "link"}, not a ${attempt.kind}` : mismatch?.(s);
  if (other) {
    const owner = ownerInMark(s.alias);
    throw objectError(attempt, `the name${link.role ? ` "${link.config.name}"` : ""} is taken by ${other}${owner ? ` (it belongs to ${describeOwner(owner)})` : ""}`, "exists");
  }
  return s;
}

/**
 * Whether the links are (still) this resource's: each carries its mark, or — an object whose
 * later batch never ran (a veth's second end) — one carries its mark and the others none.
 */
function allOurs(owner: string | undefined, links: OwnedLink[], seen: LinkSeen[]): boolean {
  if (links.every((l, k) => stillOurs(seen[k].alias, owner, l.role))) return true;
  if (owner === undefined) return false;
  const exact = links.map((l, k) => seen[k].alias === markOf(owner, l.role));
  return exact.some(Boolean) && links.every((_l, k) => exact[k] || ownerInMark(seen[k].alias) === undefined);
}

/** create, existing, read, update and delete of a kind whose links are all its own. */
export function linkLifecycle<I extends Owned & { adopt: boolean }, O>(k: LinkKind<I>, outputs: (i: I, seen: Seen[]) => O) {
  const attempt = (verb: string, i: I, add?: Add) => (link?: OwnedLink, line?: readonly string[]) => ({ verb: add && line === add.argv ? "create" : verb, ...k.subject(i, link) });
  /** The links with their extra shows, if they are all there, of their type, and still make one object. */
  const readWhole = async (host: Host, i: I, verb: string): Promise<Seen[] | undefined> => {
    const links = k.links(i);
    const seen = await observe(host, links, attempt(verb, i));
    if (seen.some((s, n) => s?.kind !== links[n].infoKind)) return undefined;
    return k.whole && !k.whole(i, seen as Seen[]) ? undefined : (seen as Seen[]);
  };
  const removeAll = async (host: Host, i: I, verb: string) => {
    for (const l of k.links(i)) await deleteOwnLink(host, l.config.name, l.config.netns, i.owner, l.role, attempt(verb, i)(l), l.infoKind);
  };

  return {
    async create(host: Host, i: I): Promise<O> {
      const links = k.links(i);
      await k.before?.(host, i, attempt("create", i)(links[0]));
      const add = k.add(i);
      return transaction(async (onFailure) => {
        // Undo only what this batch made: not a link that was there before (the add failed).
        onFailure(async (e) => failedAt(e, add.argv) || removeAll(host, i, "clean up"));
        // The first link starts out marked by the add's own process; everything else blank.
        const jobs = links.map((link, n) => ({ link, lines: linkLines(i.owner, link, { ...BLANK, alias: n === 0 && add.marks.length ? aliasFor(i.owner, link.role) : undefined }) }));
        return outputs(i, await applyAndRead(host, i.owner, jobs, attempt("configure", i, add), add));
      });
    },

    async existing(host: Host, i: I): Promise<Existing | undefined> {
      const links = k.links(i);
      const seen = await Promise.all(links.map((l) => takenBy(host, l, attempt("create", i)(l), k.mismatch && ((s) => k.mismatch!(i, l, s)))));
      if (seen.every((s) => !s)) return undefined;
      const claims = links.flatMap((l, n) => (seen[n] ? [claimOf(seen[n]!.alias, i.owner, l.role)] : []));
      const broken = k.broken?.(i, seen);
      if (broken) return { claims, broken };
      // The first link is marked by the process that adds it; the others a moment later.
      return i.owner !== undefined && allOurs(i.owner, links, seen as LinkSeen[]) ? { claims: [{ is: "ours" }] } : { claims };
    },

    async read(host: Host, i: I): Promise<ReadResult<I, O>> {
      const seen = await readWhole(host, i, "read");
      const links = k.links(i);
      if (!seen || !allOurs(i.owner, links, seen)) return undefined;
      const intact = links.every((l, n) => stillOurs(seen[n].alias, i.owner, l.role));
      const configs = links.map((l, n) => observedConfig(l.config, seen[n]));
      const observed = k.observed ? k.observed(i, configs, seen) : settingsOf(configs[0]);
      return { inputs: { ...i, ...observed, owner: intact ? i.owner : ownerInMark(seen[0].alias) }, outs: outputs(i, seen) };
    },

    async update(host: Host, o: I, n: I): Promise<O> {
      const seen = await readWhole(host, n, "update");
      const links = k.links(n);
      const what = k.what ?? k.subject(n).kind;
      if (!seen) throw goneError(attempt("update", n)(links[0]), `the ${what} no longer exists (run \`pulumi refresh\`, then \`pulumi up\` recreates it)`);
      const at = links.length > 1 ? "these names" : "this name";
      if (!allOurs(o.owner, links, seen)) throw objectError(attempt("update", n)(links[0]), notOurs(`the ${what} at ${at}`, seen.find((s) => ownerInMark(s.alias))?.alias ?? seen[0].alias), "exists");
      const old = k.links(o);
      const jobs = links.map((link, m) => ({ link, lines: linkLines(n.owner, link, seen[m], old.find((l) => l.role === link.role)) }));
      return outputs(n, await applyAndRead(host, n.owner, jobs, attempt("update", n)));
    },

    delete: (host: Host, i: I) => removeAll(host, i, "delete"),
  };
}

/** A link's settings as `read` reports them: the kernel's values for what was declared. */
export const settingsOf = (c: LinkConfig) => ({ addresses: c.addresses, up: c.up, ...(c.mtu !== undefined && { mtu: c.mtu }), ...(c.mac !== undefined && { mac: c.mac }), ...(c.master !== undefined && { master: c.master }) });

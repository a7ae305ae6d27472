/**
 * VethPair: two veth ends made by one kernel call, each created directly in its own namespace
 * (`ip link add A netns X type veth peer name B netns Y`): moving an end afterwards costs
 * 14–19 ms and serialises other link changes.
 */
import { z } from "zod";
import { failedAt, goneError, objectError } from "../core/errors";
import { handlers, type Existing, type KindSpec } from "../core/kind";
import { aliasFor, deleteOwnLink, linkFields, master, observedConfig, parseLink, readLink, reconcileArgv, showArgv, verifyApplied, type LinkSeen } from "../core/link";
import { claimOf, markOf, notOurs, ownerInMark, stillOurs } from "../core/owner";
import type { Host } from "../hosts";
import { transaction } from "../core/undo";
import { ownership } from "../core/validate";
import { KINDS } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
const end = (prefix: string) => z.strictObject({ ...linkFields(prefix), master: master(prefix) });

export const schema = z
  .strictObject({ end: end("end."), peer: end("peer."), ...ownership() })
  .superRefine((v, ctx) => {
    const sameNs = v.end.netns === v.peer.netns;
    const where = v.end.netns ? `namespace "${v.end.netns}"` : "the same namespace";
    if (v.end.name === v.peer.name && sameNs) {
      ctx.addIssue({
        code: "custom",
        path: ["peer", "name"],
        message: `invalid peer.name ${JSON.stringify(v.peer.name)} (must differ from end.name when both ends are in ${where})`,
      });
    }
    for (const [side, other] of [["end", "peer"], ["peer", "end"]] as const) {
      const m = v[side].master;
      if (m === undefined) continue;
      if (m === v[side].name) {
        ctx.addIssue({ code: "custom", path: [side, "master"], message: `invalid ${side}.master ${JSON.stringify(m)} (must be a bridge, not the end itself)` });
      } else if (m === v[other].name && sameNs) {
        ctx.addIssue({ code: "custom", path: [side, "master"], message: `invalid ${side}.master ${JSON.stringify(m)} (must be a bridge, not this pair's ${other} end)` });
      }
    }
  });
export type VethInputs = z.output<typeof schema>;
type End = VethInputs["end"];
type Role = "end" | "peer";

export interface VethOutputs extends Record<string, unknown> {
  /** ifindex of `end` in its namespace. */
  endIfindex: number;
  /** ifindex of `peer` in its namespace: what `ethtool -S <end>` calls peer_ifindex. */
  peerIfindex: number;
  endMac: string;
  peerMac: string;
  endMtu: number;
  peerMtu: number;
}

// ── replacement ─────────────────────────────────────────────────────────────────────────
const replaceOn = KINDS.veth.replaceOn;

// ── argv builders ───────────────────────────────────────────────────────────────────────
const inNetns = (netns?: string) => (netns ? ["netns", netns] : []);

/**
 * The end the pair is made from: the add runs in its namespace, and names the other end's.
 * The provider's own namespace has no name to give, so an end there is always the first.
 */
export function firstRole(i: VethInputs): Role {
  return i.end.netns !== undefined && i.peer.netns === undefined ? "peer" : "end";
}
const otherRole = (r: Role): Role => (r === "end" ? "peer" : "end");

/** An end's settings with the mark it carries. */
const marked = (i: VethInputs, role: Role) => ({ ...i[role], alias: aliasFor(i.owner, role) });

export const argv = {
  /** Runs in the first end's namespace; it names the other's (created there directly). */
  add: (i: VethInputs) => {
    const [a, b] = [i[firstRole(i)], i[otherRole(firstRole(i))]];
    return ["link", "add", "name", a.name, "type", "veth", "peer", "name", b.name, ...(a.netns === b.netns ? [] : inNetns(b.netns))];
  },
  /** Lines that mark and configure a just-created end (down, no addresses, kernel-chosen MTU and MAC). */
  configure: (i: VethInputs, role: Role) => reconcileArgv(marked(i, role), { addresses: [], up: false }),
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (e: End) => ({ kind: "veth end", name: e.name, netns: e.netns });
const attempt = (verb: string, e: End) => ({ verb, ...subject(e) });

interface Job {
  role: Role;
  lines: string[][];
}

/**
 * Runs each end's lines in its namespace, one `ip -batch` per namespace, and reads the ends
 * back in the same batch; they must match what was declared. The namespace of the job listed
 * first runs first (at create it holds the add), the rest after it. An error names the end
 * whose command failed.
 */
async function applyAndRead(host: Host, i: VethInputs, jobs: Job[], verb: string, add?: readonly string[]): Promise<Record<Role, LinkSeen>> {
  const byNs = new Map<string | undefined, { lines: string[][]; roles: Role[] }>();
  for (const { role, lines } of jobs) {
    const e = i[role];
    const group = byNs.get(e.netns) ?? byNs.set(e.netns, { lines: [], roles: [] }).get(e.netns)!;
    group.lines.push(...lines, showArgv(e.name));
    group.roles.push(role);
  }
  const seen: Partial<Record<Role, LinkSeen>> = {};
  const runGroup = async ({ lines, roles }: { lines: string[][]; roles: Role[] }) => {
    const ends = roles.map((r) => i[r]);
    const endOf = (line: readonly string[]) => ends.find((e) => line[line.indexOf("dev") + 1] === e.name) ?? ends[0];
    // The add and the first end's mark go to ip in one piece.
    const atomic = add && lines[0] === add ? (i.owner === undefined ? 1 : 2) : 0;
    const printed = await host.ipBatch(lines, { netns: ends[0].netns }, (line) => attempt(line === add ? "create" : verb, endOf(line)), { atomic });
    roles.forEach((role, k) => {
      const s = parseLink(printed[k]);
      if (!s) throw goneError(attempt(verb, i[role]), "the link vanished while it was being configured");
      verifyApplied(marked(i, role), s, attempt(verb, i[role]));
      seen[role] = s;
    });
  };
  const [first, ...rest] = byNs.values();
  await runGroup(first);
  await Promise.all(rest.map(runGroup));
  return seen as Record<Role, LinkSeen>;
}

/**
 * Deleting either end destroys both. If `end` is already gone (say, with its namespace), the
 * peer may still be on its way out: delete it too, which is a no-op if it is gone. An end
 * that carries another owner's mark now is left alone.
 */
async function deletePair(host: Host, i: VethInputs, verb: string): Promise<void> {
  if (!(await deleteOwnLink(host, i.end.name, i.end.netns, i.owner, "end", attempt(verb, i.end), "veth"))) {
    await deleteOwnLink(host, i.peer.name, i.peer.netns, i.owner, "peer", attempt(verb, i.peer), "veth");
  }
}

const readEnds = (host: Host, i: VethInputs, verb: string) =>
  Promise.all([readLink(host, i.end.name, i.end.netns, attempt(verb, i.end)), readLink(host, i.peer.name, i.peer.netns, attempt(verb, i.peer))]);

/** Whether two links are the two ends of one veth pair (iproute2 names a peer in the same namespace, else gives its ifindex). */
const peerOf = (x: LinkSeen, y: LinkSeen) => (x.linkName !== undefined ? x.linkName === y.name : x.linkIndex === y.ifindex);
const paired = (a?: LinkSeen, b?: LinkSeen) => a?.kind === "veth" && b?.kind === "veth" && peerOf(a, b) && peerOf(b, a);

/**
 * Whether a pair is (still) this resource's: each end carries its mark, or — a pair whose
 * second batch never ran — one end does and the other carries none.
 */
function pairOurs(a: LinkSeen, b: LinkSeen, owner: string | undefined): boolean {
  if (stillOurs(a.alias, owner, "end") && stillOurs(b.alias, owner, "peer")) return true;
  if (owner === undefined) return false;
  const unmarked = (s: LinkSeen) => ownerInMark(s.alias) === undefined;
  return (a.alias === markOf(owner, "end") && unmarked(b)) || (b.alias === markOf(owner, "peer") && unmarked(a));
}

/** Both ends, if they still form this resource's pair. */
async function readPair(host: Host, i: VethInputs, verb: string): Promise<[LinkSeen, LinkSeen] | undefined> {
  const [a, b] = await readEnds(host, i, verb);
  if (!a || !b || !paired(a, b)) return undefined;
  return [a, b];
}

const outputsOf = ([a, b]: [Pick<LinkSeen, "ifindex" | "mac" | "mtu">, Pick<LinkSeen, "ifindex" | "mac" | "mtu">]): VethOutputs => ({
  endIfindex: a.ifindex,
  peerIfindex: b.ifindex,
  endMac: a.mac,
  peerMac: b.mac,
  endMtu: a.mtu,
  peerMtu: b.mtu,
});

const spec: KindSpec<typeof schema, VethOutputs> = {
  kind: "VethPair",
  schema,
  replaceOn,
  subject: (i) => subject(i.end),
  id: (i) => `${i.end.netns ?? ""}/${i.end.name}`,

  // One batch in the first end's namespace adds the pair, marks and configures that end;
  // a second one (or the same, when both ends share a namespace) marks and configures the other.
  create: (host, i) => {
    const add = argv.add(i);
    const first = firstRole(i);
    return transaction(async (onFailure) => {
      onFailure(async (e) => failedAt(e, add) || deletePair(host, i, "clean up"));
      const seen = await applyAndRead(host, 
        i,
        [
          { role: first, lines: [add, ...argv.configure(i, first)] },
          { role: otherRole(first), lines: argv.configure(i, otherRole(first)) },
        ],
        "configure",
        add,
      );
      return outputsOf([seen.end, seen.peer]);
    });
  },

  async existing(host, i): Promise<Existing | undefined> {
    const [a, b] = await readEnds(host, i, "create");
    if (!a && !b) return undefined;
    // The first end is marked by the process that adds the pair; the other a moment later.
    const first = firstRole(i);
    const firstSeen = first === "end" ? a : b;
    const firstClaim = firstSeen && claimOf(firstSeen.alias, i.owner, first);
    if (paired(a, b) && firstClaim?.is === "ours") return { claims: [firstClaim] };
    const claims = [...(a ? [claimOf(a.alias, i.owner, "end")] : []), ...(b ? [claimOf(b.alias, i.owner, "peer")] : [])];
    if (paired(a, b)) return { claims };
    const where = (e: End) => `"${e.name}"${e.netns ? ` in netns "${e.netns}"` : ""}`;
    const [found, missing] = a ? [i.end, i.peer] : [i.peer, i.end];
    const broken =
      a && b
        ? `${where(i.end)} and ${where(i.peer)} both exist but are not one veth pair`
        : `${where(found)} exists (a ${(a ?? b)!.kind ?? "link"}) but its veth peer ${where(missing)} does not`;
    return { claims, broken };
  },

  async read(host, i) {
    const pair = await readPair(host, i, "read");
    if (!pair) return undefined;
    const [a, b] = pair;
    if (!pairOurs(a, b, i.owner)) return undefined;
    const intact = i.owner !== undefined && a.alias === markOf(i.owner, "end") && b.alias === markOf(i.owner, "peer");
    return { inputs: { ...i, end: observedConfig(i.end, a), peer: observedConfig(i.peer, b), owner: intact ? i.owner : ownerInMark(a.alias) }, outs: outputsOf(pair) };
  },

  async update(host, o, n) {
    const pair = await readPair(host, n, "update");
    if (!pair) throw goneError(attempt("update", n.end), "the pair no longer exists (run `pulumi refresh`, then `pulumi up` recreates it)");
    const [a, b] = pair;
    if (!pairOurs(a, b, o.owner)) throw objectError(attempt("update", n.end), notOurs("the pair at these names", ownerInMark(a.alias) ? a.alias : b.alias), "exists");
    const after = await applyAndRead(host, 
      n,
      [
        { role: "end", lines: reconcileArgv(marked(n, "end"), a, o.end) },
        { role: "peer", lines: reconcileArgv(marked(n, "peer"), b, o.peer) },
      ],
      "update",
    );
    return outputsOf([after.end, after.peer]);
  },

  delete: (host, i) => deletePair(host, i, "delete"),
};

export const veth = handlers(spec);

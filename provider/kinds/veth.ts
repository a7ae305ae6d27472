/**
 * VethPair: two veth ends made by one kernel call, each created directly in its own namespace
 * (`ip link add A netns X type veth peer name B netns Y`): moving an end afterwards costs
 * 14–19 ms and serialises other link changes.
 */
import { z } from "zod";
import { handlers, type KindSpec } from "../core/kind";
import { linkFields, type LinkSeen, master } from "../core/link";
import { linkLifecycle, markLine, type OwnedLink, type Seen } from "../core/link-engine";
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

export const argv = {
  /** Runs in the first end's namespace; it names the other's (created there directly). */
  add: (i: VethInputs) => {
    const [a, b] = [i[firstRole(i)], i[otherRole(firstRole(i))]];
    return ["link", "add", "name", a.name, "type", "veth", "peer", "name", b.name, ...(a.netns === b.netns ? [] : inNetns(b.netns))];
  },
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (e: End) => ({ kind: "veth end", name: e.name, netns: e.netns });

/** The two ends, the first (the one the add makes in its namespace, and marks) first. */
const ends = (i: VethInputs): OwnedLink[] => [firstRole(i), otherRole(firstRole(i))].map((role) => ({ role, config: i[role], infoKind: "veth" }));
const byRole = <T>(i: VethInputs, seen: T[]) => (firstRole(i) === "end" ? { end: seen[0], peer: seen[1] } : { end: seen[1], peer: seen[0] });

/** Whether two links are the two ends of one veth pair (iproute2 names a peer in the same namespace, else gives its ifindex). */
const peerOf = (x: LinkSeen, y: LinkSeen) => (x.linkName !== undefined ? x.linkName === y.name : x.linkIndex === y.ifindex);
const paired = (a?: LinkSeen, b?: LinkSeen) => a?.kind === "veth" && b?.kind === "veth" && peerOf(a, b) && peerOf(b, a);
const where = (e: End) => `"${e.name}"${e.netns ? ` in netns "${e.netns}"` : ""}`;

const outputsOf = (i: VethInputs, seen: Seen[]): VethOutputs => {
  const { end: a, peer: b } = byRole(i, seen);
  return { endIfindex: a.ifindex, peerIfindex: b.ifindex, endMac: a.mac, peerMac: b.mac, endMtu: a.mtu, peerMtu: b.mtu };
};

// Deleting either end destroys both; the engine deletes the ends in turn (one already gone with
// the other, or with its namespace, is fine; one marked by another owner since is left alone).
const lifecycle = linkLifecycle<VethInputs, VethOutputs>(
  {
    subject: (i, link) => subject(link ? i[link.role as Role] : i.end),
    what: "pair",
    links: ends,
    // One batch in the first end's namespace adds the pair, marks and configures that end; a
    // second one (or the same, when both ends share a namespace) marks and configures the other.
    add: (i) => ({ netns: i[firstRole(i)].netns, argv: argv.add(i), marks: markLine(i[firstRole(i)].name, i.owner, firstRole(i)) }),
    whole: (_i, [a, b]) => paired(a, b),
    broken(i, [a, b]) {
      if (paired(a, b)) return undefined;
      const { end: e, peer: p } = byRole(i, [a, b]);
      const [found, missing] = e ? [i.end, i.peer] : [i.peer, i.end];
      return e && p ? `${where(i.end)} and ${where(i.peer)} both exist but are not one veth pair` : `${where(found)} exists (a ${(e ?? p)!.kind ?? "link"}) but its veth peer ${where(missing)} does not`;
    },
    observed: (i, configs) => {
      const { end, peer } = byRole(i, configs);
      return { end: { ...i.end, ...end }, peer: { ...i.peer, ...peer } };
    },
  },
  outputsOf,
);

const spec: KindSpec<typeof schema, VethOutputs> = {
  kind: KINDS.veth.kind,
  schema,
  replaceOn: KINDS.veth.replaceOn,
  subject: (i) => subject(i.end),
  id: (i) => `${i.end.netns ?? ""}/${i.end.name}`,
  ...lifecycle,
};

export const veth = handlers(spec);

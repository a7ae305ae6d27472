/**
 * The lifecycle of a kind that is one link of its own, made in its namespace by one `ip link
 * add` (a bridge, a VLAN sub-interface): a kind supplies the add, the kernel's name for its
 * type, and what it checks or reports beyond the settings every link has; create, take-over,
 * read, update and delete are the same for all of them.
 */
import { failedAt, goneError, objectError, type Attempt } from "./errors";
import type { Existing, ReadResult } from "./kind";
import { aliasFor, deleteOwnLink, observedConfig, parseLink, readLink, reconcileArgv, showArgv, verifyApplied, type LinkConfig, type LinkSeen } from "./link";
import { claimOf, describeOwner, notOurs, observedOwner, ownerInMark, stillOurs } from "./owner";
import type { Host } from "../hosts";
import { transaction } from "./undo";

type Owned = LinkConfig & { owner?: string; adopt: boolean };

export interface LinkOutputs extends Record<string, unknown> {
  ifindex: number;
  /** The MAC the kernel uses now. */
  actualMac: string;
  /** The MTU the kernel uses now. */
  actualMtu: number;
}

export interface LinkKind<I extends Owned> {
  /** As errors name it: "bridge", "VLAN interface". */
  what: string;
  /** `ip -d` linkinfo.info_kind: "bridge", "vlan". */
  infoKind: string;
  add(i: I): string[];
  /** Lines beyond the settings every link has (a bridge's STP), from what the kernel has. */
  extraLines?(i: I, current: Partial<LinkSeen>): string[][];
  /** Checks before the add (the parent exists); throws with one line. */
  before?(host: Host, i: I, attempt: Attempt): Promise<void>;
  /** What else must hold after a change (the kernel applied STP); a problem, or undefined. */
  problem?(i: I, s: LinkSeen): string | undefined;
  /** Why a link of the right type found at the name is still not this one (another VLAN id). */
  mismatch?(i: I, s: LinkSeen): string | undefined;
  /** What `read` reports beyond the settings every link has. */
  observed?(i: I, s: LinkSeen): Partial<I>;
}

const outputsOf = (s: LinkSeen): LinkOutputs => ({ ifindex: s.ifindex, actualMac: s.mac, actualMtu: s.mtu });

/** create, existing, read, update and delete of a one-link kind. */
export function linkLifecycle<I extends Owned>(k: LinkKind<I>): {
  create(host: Host, i: I): Promise<LinkOutputs>;
  existing(host: Host, i: I): Promise<Existing | undefined>;
  read(host: Host, i: I): Promise<ReadResult<I, LinkOutputs>>;
  update(host: Host, o: I, n: I): Promise<LinkOutputs>;
  delete(host: Host, i: I): Promise<void>;
} {
  const attempt = (verb: string, i: I): Attempt => ({ verb, kind: k.what, name: i.name, netns: i.netns });
  const lines = (i: I, current: Partial<LinkSeen>, previous?: I) => [...(k.extraLines?.(i, current) ?? []), ...reconcileArgv({ ...i, alias: aliasFor(i.owner) }, current, previous)];

  /**
   * Applies the lines and reads the link back in one `ip -batch`; it must match what was
   * declared. At create the lines start with the add and the mark, so the link never exists
   * unmarked once the provider has handed the batch to `ip`, even if the provider dies then.
   */
  async function applyAndRead(host: Host, i: I, batch: string[][], verb: string, add?: readonly string[]): Promise<LinkSeen> {
    const atomic = add ? (i.owner === undefined ? 1 : 2) : 0; // the add and its mark, as one process
    const printed = await host.ipBatch([...batch, showArgv(i.name)], { netns: i.netns }, (line) => attempt(line === add ? "create" : verb, i), { atomic });
    const s = parseLink(printed[0]);
    if (!s) throw goneError(attempt(verb, i), `the ${k.what} vanished while it was being configured`);
    verifyApplied({ ...i, alias: aliasFor(i.owner) }, s, attempt(verb, i));
    const problem = k.problem?.(i, s);
    if (problem) throw objectError(attempt(verb, i), `the kernel did not apply it: ${problem}`);
    return s;
  }

  return {
    async create(host, i) {
      await k.before?.(host, i, attempt("create", i));
      const add = k.add(i);
      return transaction(async (onFailure) => {
        // Undo only what this batch made: not a link that was there before (the add failed).
        onFailure(async (e) => failedAt(e, add) || deleteOwnLink(host, i.name, i.netns, i.owner, undefined, attempt("clean up", i), k.infoKind));
        return outputsOf(await applyAndRead(host, i, [add, ...lines(i, { addresses: [], up: false })], "configure", add));
      });
    },

    async existing(host, i) {
      const s = await readLink(host, i.name, i.netns, attempt("create", i));
      if (!s) return undefined;
      const owner = ownerInMark(s.alias);
      const whose = owner ? ` (it belongs to ${describeOwner(owner)})` : "";
      const other = s.kind !== k.infoKind ? `a ${s.kind ?? "link"}, not a ${k.what}` : k.mismatch?.(i, s);
      if (other) throw objectError(attempt("create", i), `the name is taken by ${other}${whose}`, "exists");
      return { claims: [claimOf(s.alias, i.owner)] };
    },

    async read(host, i) {
      const s = await readLink(host, i.name, i.netns, attempt("read", i));
      if (s?.kind !== k.infoKind || !stillOurs(s.alias, i.owner)) return undefined;
      return { inputs: { ...observedConfig(i, s), ...k.observed?.(i, s), owner: observedOwner(s.alias, i.owner) }, outs: outputsOf(s) };
    },

    async update(host, o, n) {
      const s = await readLink(host, n.name, n.netns, attempt("update", n));
      if (s?.kind !== k.infoKind) throw goneError(attempt("update", n), `the ${k.what} no longer exists (run \`pulumi refresh\`, then \`pulumi up\` recreates it)`);
      if (!stillOurs(s.alias, o.owner)) throw objectError(attempt("update", n), notOurs(`the ${k.what} at this name`, s.alias), "exists");
      return outputsOf(await applyAndRead(host, n, lines(n, s, o), "update"));
    },

    async delete(host, i) {
      await deleteOwnLink(host, i.name, i.netns, i.owner, undefined, attempt("delete", i), k.infoKind);
    },
  };
}

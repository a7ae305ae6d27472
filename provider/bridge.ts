/**
 * Bridge: `ip link add NAME type bridge` in a namespace. Ports join through a veth end's
 * `master`. Without an explicit mac/mtu the kernel derives them from the ports, so those are
 * reported as outputs (actualMac, actualMtu) and only reconciled when declared.
 */
import { z } from "zod";
import { failedAt, goneError, objectError } from "./errors";
import { handlers, type KindSpec } from "./kind";
import { aliasFor, deleteOwnLink, linkFields, observedConfig, parseLink, readLink, reconcileArgv, showArgv, verifyApplied, type LinkSeen } from "./link";
import { claimOf, describeOwner, observedOwner, ownerInMark, stillOurs } from "./owner";
import { ipBatch } from "./runner";
import { transaction } from "./undo";
import { bool, ownership } from "./validate";

// ── schema ──────────────────────────────────────────────────────────────────────────────
export const schema = z.strictObject({ ...linkFields(), stp: bool("stp").default(false), ...ownership() });
export type BridgeInputs = z.output<typeof schema>;

export interface BridgeOutputs extends Record<string, unknown> {
  ifindex: number;
  /** The MAC the kernel uses now (derived from the ports unless `mac` is set). */
  actualMac: string;
  /** The MTU the kernel uses now (the smallest port MTU unless `mtu` is set). */
  actualMtu: number;
}

// ── replacement ─────────────────────────────────────────────────────────────────────────
const replaceOn = ["name", "netns"];

// ── argv builders ───────────────────────────────────────────────────────────────────────
const stpState = (on: boolean) => (on ? "1" : "0");

export const argv = {
  add: (i: BridgeInputs) => ["link", "add", "name", i.name, "type", "bridge", "stp_state", stpState(i.stp)],
  /** Reconcile lines (the mark first), plus STP when it differs. */
  lines: (i: BridgeInputs, current: Partial<LinkSeen>, previous?: BridgeInputs) => {
    const lines = reconcileArgv({ ...i, alias: aliasFor(i.owner) }, current, previous);
    if (current.info && String(current.info.stp_state) !== stpState(i.stp)) {
      lines.unshift(["link", "set", "dev", i.name, "type", "bridge", "stp_state", stpState(i.stp)]);
    }
    return lines;
  },
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: BridgeInputs) => ({ kind: "bridge", name: i.name, netns: i.netns });
const attempt = (verb: string, i: BridgeInputs) => ({ verb, ...subject(i) });

const outputsOf = (s: LinkSeen): BridgeOutputs => ({ ifindex: s.ifindex, actualMac: s.mac, actualMtu: s.mtu });

/**
 * Applies the lines and reads the bridge back in one spawn; it must match what was declared.
 * At create the lines start with the add and the mark, so a bridge never exists unmarked
 * once the provider has handed the batch to `ip`, even if the provider dies right after.
 */
async function applyAndRead(i: BridgeInputs, lines: string[][], verb: string, add?: readonly string[]): Promise<LinkSeen> {
  const printed = await ipBatch([...lines, showArgv(i.name)], { netns: i.netns }, (line) => attempt(line === add ? "create" : verb, i));
  const s = parseLink(printed[0]);
  if (!s) throw goneError(attempt(verb, i), "the bridge vanished while it was being configured");
  verifyApplied({ ...i, alias: aliasFor(i.owner) }, s, attempt(verb, i));
  if (String(s.info.stp_state) !== stpState(i.stp)) throw objectError(attempt(verb, i), `the kernel did not apply it: stp_state is ${s.info.stp_state}`);
  return s;
}

/** The bridge at the name, if it is (still) this resource's. */
async function readBridge(i: BridgeInputs, verb: string): Promise<LinkSeen | undefined> {
  const s = await readLink(i.name, i.netns, attempt(verb, i));
  return s?.kind === "bridge" && stillOurs(s.alias, i.owner) ? s : undefined;
}

const spec: KindSpec<typeof schema, BridgeOutputs> = {
  kind: "Bridge",
  schema,
  replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}/${i.name}`,

  create: (i) => {
    const add = argv.add(i);
    return transaction(async (onFailure) => {
      // Undo only what this batch made: not a bridge that was there before (the add failed).
      onFailure(async (e) => failedAt(e, add) || deleteOwnLink(i.name, i.netns, i.owner, undefined, attempt("clean up", i)));
      return outputsOf(await applyAndRead(i, [add, ...argv.lines(i, { addresses: [], up: false })], "configure", add));
    });
  },

  async existing(i) {
    const s = await readLink(i.name, i.netns, attempt("create", i));
    if (!s) return undefined;
    if (s.kind !== "bridge") {
      const owner = ownerInMark(s.alias);
      throw objectError(attempt("create", i), `the name is taken by a ${s.kind ?? "link"}, not a bridge${owner ? ` (it belongs to ${describeOwner(owner)})` : ""}`, "exists");
    }
    return { claims: [claimOf(s.alias, i.owner)] };
  },

  async read(i) {
    const s = await readBridge(i, "read");
    return s && { inputs: { ...observedConfig(i, s), stp: String(s.info.stp_state) === "1", owner: observedOwner(s.alias, i.owner) }, outs: outputsOf(s) };
  },

  async update(o, n) {
    const s = await readLink(n.name, n.netns, attempt("update", n));
    if (!s || s.kind !== "bridge") throw goneError(attempt("update", n), "the bridge no longer exists (run `pulumi refresh`, then `pulumi up` recreates it)");
    if (!stillOurs(s.alias, o.owner)) throw objectError(attempt("update", n), `the name now belongs to ${describeOwner(ownerInMark(s.alias)!)}; run \`pulumi refresh\``, "exists");
    return outputsOf(await applyAndRead(n, argv.lines(n, s, o), "update"));
  },

  async delete(i) {
    await deleteOwnLink(i.name, i.netns, i.owner, undefined, attempt("delete", i)); // ports are detached by the kernel
  },
};

export const bridge = handlers(spec);

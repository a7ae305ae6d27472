/**
 * Bridge: `ip link add NAME type bridge` in a namespace. Ports join through a veth end's
 * `master`. Without an explicit mac/mtu the kernel derives them from the ports, so those are
 * reported as outputs (actualMac, actualMtu) and only reconciled when declared.
 */
import { z } from "zod";
import { goneError, objectError } from "./errors";
import { handlers, type KindSpec } from "./kind";
import { deleteLink, linkFields, observedConfig, parseLink, readLink, reconcileArgv, showArgv, verifyApplied, type LinkSeen } from "./link";
import { ip, ipBatch } from "./runner";
import { transaction } from "./undo";
import { bool } from "./validate";

// ── schema ──────────────────────────────────────────────────────────────────────────────
export const schema = z.strictObject({ ...linkFields(), stp: bool("stp").default(false) });
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
  /** Reconcile lines, plus STP when it differs. */
  lines: (i: BridgeInputs, current: Partial<LinkSeen>, previous?: BridgeInputs) => {
    const lines = reconcileArgv(i, current, previous);
    if (current.info && String(current.info.stp_state) !== stpState(i.stp)) {
      lines.unshift(["link", "set", "dev", i.name, "type", "bridge", "stp_state", stpState(i.stp)]);
    }
    return lines;
  },
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const attempt = (verb: string, i: BridgeInputs) => ({ verb, kind: "bridge", name: i.name, netns: i.netns });

const outputsOf = (s: LinkSeen): BridgeOutputs => ({ ifindex: s.ifindex, actualMac: s.mac, actualMtu: s.mtu });

/** Applies the lines and reads the bridge back in one spawn; it must match what was declared. */
async function applyAndRead(i: BridgeInputs, lines: string[][], verb: string): Promise<LinkSeen> {
  const printed = await ipBatch([...lines, showArgv(i.name)], { netns: i.netns }, attempt(verb, i));
  const s = parseLink(printed[0]);
  if (!s) throw goneError(attempt(verb, i), "the bridge vanished while it was being configured");
  verifyApplied(i, s, attempt(verb, i));
  if (String(s.info.stp_state) !== stpState(i.stp)) throw objectError(attempt(verb, i), `the kernel did not apply it: stp_state is ${s.info.stp_state}`);
  return s;
}

async function readBridge(i: BridgeInputs): Promise<LinkSeen | undefined> {
  const s = await readLink(i.name, i.netns, attempt("read", i));
  return s?.kind === "bridge" ? s : undefined;
}

const spec: KindSpec<typeof schema, BridgeOutputs> = {
  kind: "Bridge",
  schema,
  replaceOn,
  id: (i) => `${i.netns ?? ""}/${i.name}`,

  create: (i) =>
    transaction(async (onFailure) => {
      await ip(argv.add(i), { netns: i.netns }, attempt("create", i));
      onFailure(() => deleteLink(i.name, i.netns, attempt("clean up", i)));
      return outputsOf(await applyAndRead(i, argv.lines(i, { addresses: [], up: false }), "configure"));
    }),

  async read(i) {
    const s = await readBridge(i);
    return s && { inputs: { ...observedConfig(i, s), stp: String(s.info.stp_state) === "1" }, outs: outputsOf(s) };
  },

  async update(o, n) {
    const s = await readBridge(n);
    if (!s) throw goneError(attempt("update", n), "the bridge no longer exists (run `pulumi refresh`, then `pulumi up` recreates it)");
    return outputsOf(await applyAndRead(n, argv.lines(n, s, o), "update"));
  },

  async delete(i) {
    await deleteLink(i.name, i.netns, attempt("delete", i)); // ports are detached by the kernel
  },
};

export const bridge = handlers(spec);

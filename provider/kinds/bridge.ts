/**
 * Bridge: `ip link add NAME type bridge` in a namespace. Ports join through a veth end's
 * `master`. Without an explicit mac/mtu the kernel derives them from the ports, so those are
 * reported as outputs (actualMac, actualMtu) and only reconciled when declared.
 */
import { z } from "zod";
import { handlers, type KindSpec } from "../core/kind";
import { linkFields } from "../core/link";
import { linkLifecycle, type LinkOutputs } from "../core/link-engine";
import { bool, ownership } from "../core/validate";
import { KINDS } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
export const schema = z.strictObject({ ...linkFields(), stp: bool("stp").default(false), ...ownership() });
export type BridgeInputs = z.output<typeof schema>;

/** ifindex, and the MAC and MTU the kernel uses now (derived from the ports unless declared). */
export type BridgeOutputs = LinkOutputs;

// ── replacement ─────────────────────────────────────────────────────────────────────────
const replaceOn = KINDS.bridge.replaceOn;

// ── argv builders ───────────────────────────────────────────────────────────────────────
const stpState = (on: boolean) => (on ? "1" : "0");

export const argv = {
  add: (i: BridgeInputs) => ["link", "add", "name", i.name, "type", "bridge", "stp_state", stpState(i.stp)],
  /** STP, when it differs from what the kernel has. */
  stp: (i: BridgeInputs, current: { info?: Record<string, unknown> }) =>
    current.info && String(current.info.stp_state) !== stpState(i.stp) ? [["link", "set", "dev", i.name, "type", "bridge", "stp_state", stpState(i.stp)]] : [],
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const spec: KindSpec<typeof schema, BridgeOutputs> = {
  kind: "Bridge",
  schema,
  replaceOn,
  subject: (i) => ({ kind: "bridge", name: i.name, netns: i.netns }),
  id: (i) => `${i.netns ?? ""}/${i.name}`,
  // Deleting a bridge detaches its ports (the kernel does).
  ...linkLifecycle<BridgeInputs>({
    what: "bridge",
    infoKind: "bridge",
    add: argv.add,
    extraLines: argv.stp,
    problem: (i, s) => (String(s.info.stp_state) !== stpState(i.stp) ? `stp_state is ${s.info.stp_state}` : undefined),
    observed: (_i, s) => ({ stp: String(s.info.stp_state) === "1" }),
  }),
};

export const bridge = handlers(spec);

/**
 * Bridge: `ip link add NAME type bridge` in a namespace. Ports join through a veth end's
 * `master`. Without an explicit mac/mtu the kernel derives them from the ports, so those are
 * reported as outputs (actualMac, actualMtu) and only reconciled when declared. Deleting a
 * bridge detaches its ports (the kernel does).
 */
import { z } from "zod";
import { handlers, type KindSpec } from "../core/kind";
import { type LinkOutputs, linkOutputs, linkFields } from "../core/link";
import { linkLifecycle, markLine, type OwnedLink, settingsOf } from "../core/link-engine";
import { bool, ownership } from "../core/validate";
import { KINDS } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
export const schema = z.strictObject({ ...linkFields(), stp: bool("stp").default(false), ...ownership() });
export type BridgeInputs = z.output<typeof schema>;

/** ifindex, and the MAC and MTU the kernel uses now (derived from the ports unless declared). */
export type BridgeOutputs = LinkOutputs;

// ── argv builders ───────────────────────────────────────────────────────────────────────
const stpState = (on: boolean) => (on ? "1" : "0");

export const argv = {
  add: (i: BridgeInputs) => ["link", "add", "name", i.name, "type", "bridge", "stp_state", stpState(i.stp)],
  /** STP, when it differs from what the kernel has. */
  stp: (i: BridgeInputs, current: { info?: Record<string, unknown> }) =>
    current.info && String(current.info.stp_state) !== stpState(i.stp) ? [["link", "set", "dev", i.name, "type", "bridge", "stp_state", stpState(i.stp)]] : [],
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const link = (i: BridgeInputs): OwnedLink => ({
  config: i,
  infoKind: "bridge",
  extra: (current) => argv.stp(i, current),
  problem: (s) => (String(s.info.stp_state) !== stpState(i.stp) ? `stp_state is ${s.info.stp_state}` : undefined),
});

const lifecycle = linkLifecycle<BridgeInputs, BridgeOutputs>(
  {
    subject: (i) => ({ kind: "bridge", name: i.name, netns: i.netns }),
    links: (i) => [link(i)],
    add: (i) => ({ netns: i.netns, argv: argv.add(i), marks: markLine(i.name, i.owner) }),
    observed: (_i, [c], [s]) => ({ ...settingsOf(c), stp: String(s.info.stp_state) === "1" }),
  },
  (_i, [s]) => linkOutputs(s),
);

const spec: KindSpec<typeof schema, BridgeOutputs> = {
  kind: KINDS.bridge.kind,
  schema,
  replaceOn: KINDS.bridge.replaceOn,
  subject: (i) => ({ kind: "bridge", name: i.name, netns: i.netns }),
  id: (i) => `${i.netns ?? ""}/${i.name}`,
  ...lifecycle,
};

export const bridge = handlers(spec);

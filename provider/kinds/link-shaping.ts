/**
 * LinkShaping: what a link does to the packets it sends, as the root qdisc of one interface:
 * delay, jitter, loss, duplication, corruption and reordering (netem, with netem's own rate
 * limit when a rate is given too), or a rate limit alone (tbf, which every kernel with traffic
 * control has; netem is a module of its own that some kernels lack). Each end of a veth pair
 * shapes what it sends: two resources shape both directions.
 *
 * Set with `tc qdisc replace dev DEV root handle 148: …` (changed in place), read back with
 * `tc -j qdisc show dev DEV root`, deleted with `tc qdisc del dev DEV root`, which gives the
 * link the kernel's default qdisc again.
 *
 * Ownership: a qdisc has no alias. The stack's root qdiscs carry the handle 148: (as its
 * routes carry proto 148), which tells them apart in the kernel from a qdisc set by hand or by
 * another tool (those get 0: from the kernel or 8001: and up from tc); which resource made one
 * is kept in a record on the host (hosts/records.ts) keyed by the interface's name and ifindex, so
 * a link deleted and made again under the same name is a new link whose qdisc no record
 * claims. The record is written before the qdisc is set, so a create interrupted after the
 * `tc` still finds its own qdisc next time.
 */
import { z } from "zod";
import { objectError, unlessGone, type Attempt } from "../core/errors";
import { handlers, type KindSpec } from "../core/kind";
import { readLink, type LinkSeen } from "../core/link";
import { describeOwner } from "../core/owner";
import { argv, describeQdisc, DISTRIBUTIONS, HANDLE, isDefault, NETEM_FIELDS, observedShaping, parseRoot, qdiscOf, type RootQdisc, seenOf, shapingProblem, tcArgv } from "../core/qdisc";
import { rollback } from "../core/undo";
import { duration, percent, rate, size } from "../core/units";
import { ifName, netnsName, ownership } from "../core/validate";
import type { Host, Step, Target } from "../hosts";
import { KINDS } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
const show = (v: unknown) => JSON.stringify(v);

export const schema = z
  .strictObject({
    dev: ifName("dev"),
    netns: netnsName("netns").optional(),
    delay: duration("delay").optional(),
    jitter: duration("jitter").optional(),
    distribution: z.enum(DISTRIBUTIONS, { error: (iss) => `invalid distribution ${show(iss.input)} (must be one of ${DISTRIBUTIONS.map(show).join(", ")})` }).optional(),
    loss: percent("loss").optional(),
    duplicate: percent("duplicate").optional(),
    corrupt: percent("corrupt").optional(),
    reorder: percent("reorder").optional(),
    rate: rate("rate").optional(),
    burst: size("burst").optional(),
    limit: z
      .number({ error: "invalid limit (must be a whole number of packets from 1 to 1000000)" })
      .refine((v) => Number.isInteger(v) && v >= 1 && v <= 1_000_000, { error: (iss) => `invalid limit ${show(iss.input)} (must be a whole number of packets from 1 to 1000000)` })
      .optional(),
    ...ownership(),
  })
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (![...NETEM_FIELDS, "rate"].some((f) => v[f as keyof typeof v] !== undefined)) {
      issue("rate", "invalid shaping (must set at least one of delay, jitter, loss, duplicate, corrupt, reorder or rate)");
    }
    if (v.jitter !== undefined && v.delay === undefined) issue("jitter", `invalid jitter ${show(v.jitter)} (must be given with delay: jitter varies the delay around it)`);
    if (v.distribution !== undefined && v.distribution !== "uniform" && v.jitter === undefined) {
      issue("distribution", `invalid distribution ${show(v.distribution)} (must be given with jitter: it shapes how the delay varies)`);
    }
    if (v.reorder !== undefined && v.reorder > 0 && v.delay === undefined) issue("reorder", `invalid reorder ${v.reorder} (must be given with delay: netem reorders by sending some packets at once and delaying the rest)`);
    const netem = NETEM_FIELDS.some((f) => v[f] !== undefined);
    if (v.burst !== undefined && (netem || v.rate === undefined)) {
      issue("burst", `invalid burst ${v.burst} (must be given only with rate alone: it is tbf's bucket; netem's rate has none)`);
    }
  });
export type ShapingInputs = z.output<typeof schema>;

export interface ShapingOutputs extends Record<string, unknown> {
  /** The qdisc made: "netem", or "tbf" for a rate alone. */
  qdisc: string;
  /** The interface's ifindex (the record's key, with its name). */
  ifindex: number;
  /** The root qdisc found before (`noqueue 0:`, or one adopted): delete leaves the kernel's default. */
  found: string;
}

/** What the host's record holds about a shaped interface. */
interface QdiscRecord {
  owner?: string;
  dev: string;
  ifindex: number;
  /** netem's delay distribution: `tc -j` does not report it. */
  distribution?: string;
  found: string;
}

// ── replacement ─────────────────────────────────────────────────────────────────────────
const replaceOn = KINDS.linkShaping.replaceOn;

// ── argv builders, and what the kernel has: core/qdisc.ts ───────────────────────────────

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: ShapingInputs) => ({ kind: "link shaping", name: i.dev, netns: i.netns });
const attempt = (verb: string, i: ShapingInputs): Attempt => ({ verb, ...subject(i) });
const target = (i: ShapingInputs): Target => ({ netns: i.netns });
const recordKey = (dev: string, ifindex: number) => `${dev}@${ifindex}`;
/** One locked step on the record of the interface (hosts/records.ts). */
const onQdisc = <R = void>(host: Host, i: ShapingInputs, ifindex: number, step: Step<QdiscRecord, R>) => host.records.change(target(i), "qdisc", recordKey(i.dev, ifindex), step);

async function tc(host: Host, i: ShapingInputs, args: readonly string[], a: Attempt): Promise<string> {
  return (await host.run(tcArgv(args, target(i)), a)).stdout;
}

async function readRoot(host: Host, i: ShapingInputs, a: Attempt): Promise<RootQdisc | undefined> {
  const out = await tc(host, i, argv.show(i.dev), a);
  try {
    return parseRoot(out);
  } catch (e) {
    throw objectError(a, `unparsable JSON from \`${tcArgv(argv.show(i.dev), target(i)).join(" ")}\`: ${(e as Error).message}`);
  }
}

/** The interface, which must exist. */
async function theLink(host: Host, i: ShapingInputs, a: Attempt): Promise<LinkSeen> {
  const s = await readLink(host, i.dev, i.netns, a);
  if (!s) throw objectError(a, `the interface "${i.dev}" does not exist${i.netns ? ` in netns "${i.netns}"` : ""}`, "not-found");
  return s;
}

/** Whose the root qdisc is: nobody's (the default), this resource's, another resource's, or one made by hand. */
function holder(root: RootQdisc | undefined, record: QdiscRecord | undefined, owner: string | undefined): "free" | "ours" | "unmarked" | { foreign: string } {
  if (isDefault(root)) return "free";
  if (root!.handle !== HANDLE || !record) return "unmarked";
  if (record.owner === owner) return "ours";
  return record.owner === undefined ? "unmarked" : { foreign: record.owner };
}

/** Refuses a root qdisc that is not this resource's (another's always, one made by hand unless adopted). */
function refuse(h: ReturnType<typeof holder>, root: RootQdisc | undefined, i: ShapingInputs, a: Attempt): void {
  if (typeof h === "object") {
    throw objectError(a, `its root qdisc ${describeQdisc(root)} belongs to ${describeOwner(h.foreign)}; an interface has one root qdisc: remove that shaping from its stack first`);
  }
  if (h === "unmarked" && !i.adopt) {
    throw objectError(
      a,
      `its root qdisc is ${describeQdisc(root)}, not made by pulumi-linuxnet (a qdisc has no alias: the stack's carry handle ${HANDLE} and a record on the host); set adopt: true to replace it`,
    );
  }
}

/**
 * Sets the root qdisc and reads it back; it must be what was declared. netem keeps a delay
 * distribution once given, and a handle cannot change its qdisc kind in place: then the old one
 * is removed first (and put back if the new one fails, as when the kernel lacks netem).
 */
async function apply(host: Host, i: ShapingInputs, root: RootQdisc | undefined, previous: ShapingInputs | undefined, mtu: number, a: Attempt): Promise<RootQdisc> {
  const ours = root?.handle === HANDLE;
  const dropsTable = (d: string | undefined) => d !== undefined && d !== "uniform";
  const afresh = ours && (root!.kind !== qdiscOf(i) || (dropsTable(previous?.distribution) && !dropsTable(i.distribution) && root!.kind === "netem"));
  if (afresh) {
    await tc(host, i, argv.del(i.dev), a);
    try {
      await tc(host, i, argv.replace(i, mtu), a);
    } catch (e) {
      await rollback(e, async () => {
        if (!previous) throw new Error(`the root qdisc it had (${describeQdisc(root)}) was removed and cannot be put back: its settings are not known`);
        await tc(host, i, argv.replace(previous, mtu), { ...a, verb: "put back" });
      });
    }
  } else {
    await tc(host, i, argv.replace(i, mtu), a);
  }
  const now = await readRoot(host, i, a);
  const problem = !now || now.handle !== HANDLE ? `the root qdisc is ${describeQdisc(now)}` : shapingProblem(i, seenOf(now, mtu), i.distribution);
  if (problem) throw objectError(a, `the kernel did not apply it: ${problem}`);
  return now!;
}

const spec: KindSpec<typeof schema, ShapingOutputs> = {
  kind: KINDS.linkShaping.kind,
  schema,
  replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}/${i.dev}`,

  // One step on the record: whose the root qdisc is, the record (written before the qdisc is
  // set, so a create interrupted after the `tc` still finds its own qdisc), and the qdisc.
  async create(host, i) {
    const a = attempt("create", i);
    const s = await theLink(host, i, a);
    return onQdisc(host, i, s.ifindex, async (record, save) => {
      const root = await readRoot(host, i, a);
      const h = holder(root, record, i.owner);
      refuse(h, root, i, a);
      // Our own leftover (a create interrupted after the record was written) keeps what it found.
      const found = h === "ours" && record ? record.found : describeQdisc(root);
      const next: QdiscRecord = { owner: i.owner, dev: i.dev, ifindex: s.ifindex, distribution: i.distribution, found };
      await save(next);
      try {
        const leftover = h === "ours" && record ? { ...i, distribution: record.distribution as ShapingInputs["distribution"] } : undefined;
        const made = await apply(host, i, root, leftover, s.mtu, a);
        return { record: next, result: { qdisc: made.kind, ifindex: s.ifindex, found } };
      } catch (e) {
        // Nothing of this resource stays: not a qdisc it made (the step puts the record back).
        // A clean-up that cannot look or cannot remove is said with the error, never passed over.
        return rollback(e, async () => {
          const now = await readRoot(host, i, a);
          if (now?.handle === HANDLE && (h !== "unmarked" || root?.handle !== HANDLE)) await tc(host, i, argv.del(i.dev), a);
        });
      }
    });
  },

  async existing() {
    return undefined; // create decides itself whose the root qdisc is; it never meets "File exists"
  },

  // Gone: the interface, or our qdisc (removed or replaced by hand), or the record (another's now).
  async read(host, i, state) {
    const a = attempt("read", i);
    const s = await readLink(host, i.dev, i.netns, a);
    if (!s) return undefined;
    const record = await host.readRecord<QdiscRecord>(target(i), "qdisc", recordKey(i.dev, s.ifindex));
    const root = await readRoot(host, i, a);
    if (!root || root.handle !== HANDLE || !record || record.owner !== i.owner) return undefined;
    return { inputs: observedShaping(i, seenOf(root, s.mtu), record.distribution), outs: { qdisc: root.kind, ifindex: s.ifindex, found: state.found ?? record.found } };
  },

  async update(host, o, n, state) {
    const a = attempt("update", n);
    const s = await theLink(host, n, a);
    return onQdisc(host, n, s.ifindex, async (record, save) => {
      const root = await readRoot(host, n, a);
      const h = holder(root, record, n.owner);
      if (h === "unmarked" && !n.adopt) {
        throw objectError(a, `its root qdisc is ${describeQdisc(root)} now, not this resource's (changed by hand?); run \`pulumi refresh\`, and set adopt: true to replace it`);
      }
      refuse(h, root, n, a);
      const found = state.found ?? record?.found ?? describeQdisc(root);
      const next: QdiscRecord = { owner: n.owner, dev: n.dev, ifindex: s.ifindex, distribution: n.distribution, found };
      await save(next);
      const made = await apply(host, n, root, { ...o, distribution: (record?.distribution as ShapingInputs["distribution"]) ?? o.distribution }, s.mtu, a);
      return { record: next, result: { qdisc: made.kind, ifindex: s.ifindex, found } };
    });
  },

  // Back to the kernel's default qdisc, if the root qdisc is still ours; an interface gone took it along.
  async delete(host, i, state) {
    const a = attempt("delete", i);
    const s = await readLink(host, i.dev, i.netns, a);
    if (!s) {
      if (typeof state.ifindex === "number") await unlessGone(onQdisc(host, i, state.ifindex, () => ({ record: undefined })), undefined);
      return;
    }
    await onQdisc(host, i, s.ifindex, async (record) => {
      if (!record || record.owner !== i.owner) return { keep: true }; // not ours (any more)
      const root = await readRoot(host, i, a);
      if (root?.handle === HANDLE) await unlessGone(tc(host, i, argv.del(i.dev), a), undefined);
      return { record: undefined };
    });
  },
};

export const linkShaping = handlers(spec);

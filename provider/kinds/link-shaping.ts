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
 * is kept in a record on the host (hosts/host.ts) keyed by the interface's name and ifindex, so
 * a link deleted and made again under the same name is a new link whose qdisc no record
 * claims. The record is written before the qdisc is set, so a create interrupted after the
 * `tc` still finds its own qdisc next time.
 */
import { z } from "zod";
import { objectError, unlessGone, type Attempt } from "../core/errors";
import { handlers, type KindSpec } from "../core/kind";
import { readLink, type LinkSeen } from "../core/link";
import { describeOwner } from "../core/owner";
import { duration, formatDuration, formatPercent, formatRate, parseDuration, parseRate, percent, rate, rateBytes, size } from "../core/units";
import { ifName, netnsName, ownership } from "../core/validate";
import type { Host, Target } from "../hosts";
import { KINDS } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
/** The handle of every root qdisc the stack makes (hex 0x148): its mark in the kernel. */
export const HANDLE = "148:";
/** netem's delay distributions: uniform is netem's own; the others are tables iproute2 ships. */
export const DISTRIBUTIONS = ["uniform", "normal", "pareto", "paretonormal"] as const;
/** Fields only netem has: any of them makes the qdisc netem. */
export const NETEM_FIELDS = ["delay", "jitter", "loss", "duplicate", "corrupt", "reorder"] as const;
/** netem's queue when no limit is given (packets). */
const NETEM_LIMIT = 1000;
/** What tbf counts of a full-size packet: the MTU and the Ethernet header. */
const frameOf = (mtu: number) => mtu + 14;

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

// ── argv builders ───────────────────────────────────────────────────────────────────────
/** The qdisc the inputs need: netem for any impairment, tbf for a rate alone. */
export const qdiscOf = (i: ShapingInputs): "netem" | "tbf" => (NETEM_FIELDS.some((f) => i[f] !== undefined) ? "netem" : "tbf");

/** tbf's bucket unless declared: 10 ms of traffic at the rate, and at least two full frames. */
export const defaultBurst = (i: ShapingInputs, mtu: number) => Math.max(Math.ceil(rateBytes(i.rate!) / 100), 2 * frameOf(mtu));

const us = (d: string | undefined) => `${d === undefined ? 0 : parseDuration(d)}us`;
const bits = (r: string | undefined) => `${r === undefined ? 0 : parseRate(r)}bit`;

/** `tc [-n NS] ARGS…` */
export const tcArgv = (args: readonly string[], target: Target = {}) => (target.netns ? ["tc", "-n", target.netns, ...args] : ["tc", ...args]);

export const argv = {
  /**
   * The qdisc and its options after `root handle 148:`. netem's options are all given, zeros
   * included: `replace` on an existing netem keeps every option it is not given.
   */
  qdisc(i: ShapingInputs, mtu: number): string[] {
    if (qdiscOf(i) === "netem") {
      const dist = i.distribution !== undefined && i.distribution !== "uniform" ? ["distribution", i.distribution] : [];
      const pct = (n: number | undefined) => formatPercent(n ?? 0);
      return [
        "netem", "limit", String(i.limit ?? NETEM_LIMIT), "delay", us(i.delay), us(i.jitter), "0%", ...dist,
        "loss", "random", pct(i.loss), "duplicate", pct(i.duplicate), "reorder", pct(i.reorder), "corrupt", pct(i.corrupt), "rate", bits(i.rate),
      ];
    }
    const queue = i.limit !== undefined ? ["limit", String(i.limit * frameOf(mtu))] : ["latency", "50ms"];
    return ["tbf", "rate", bits(i.rate), "burst", String(i.burst ?? defaultBurst(i, mtu)), ...queue];
  },
  replace: (i: ShapingInputs, mtu: number) => ["qdisc", "replace", "dev", i.dev, "root", "handle", HANDLE, ...argv.qdisc(i, mtu)],
  del: (dev: string) => ["qdisc", "del", "dev", dev, "root"],
  /** `-raw` makes tbf print its limit (bytes). */
  show: (dev: string) => ["-j", "-raw", "qdisc", "show", "dev", dev, "root"],
};

// ── what the kernel has ─────────────────────────────────────────────────────────────────
export interface RootQdisc {
  kind: string;
  handle: string;
  options: Record<string, unknown>;
}

const qdiscJson = z.looseObject({ kind: z.string(), handle: z.string(), root: z.boolean().optional(), options: z.record(z.string(), z.unknown()).optional() });

/** The root qdisc in `tc -j qdisc show … root` output; undefined when none is shown (a link that is down). */
export function parseRoot(stdout: string): RootQdisc | undefined {
  const list = stdout.trim() ? (JSON.parse(stdout) as unknown[]) : [];
  const parsed = list.map((q) => qdiscJson.safeParse(q)).find((p) => p.success && p.data.root !== false);
  if (!parsed?.success) return undefined;
  return { kind: parsed.data.kind, handle: parsed.data.handle, options: parsed.data.options ?? {} };
}

export const describeQdisc = (q: RootQdisc | undefined) => (q ? `${q.kind} ${q.handle}` : "none");

/** The kernel's default (handle 0:), or none shown: nobody's. */
const isDefault = (q: RootQdisc | undefined) => q === undefined || q.handle === "0:";

const num = (v: unknown) => (typeof v === "number" ? v : 0);
const field = (o: Record<string, unknown>, key: string, sub: string) => num((o[key] as Record<string, unknown> | undefined)?.[sub]);

/** The shaping a root qdisc does, in the inputs' base units (µs, percent, bits/s, bytes, packets). */
export interface Seen {
  qdisc: string;
  delayUs: number;
  jitterUs: number;
  loss: number;
  duplicate: number;
  corrupt: number;
  reorder: number;
  rateBits: number;
  burst?: number;
  limitPackets?: number;
}

export function seenOf(q: RootQdisc, mtu: number): Seen {
  const o = q.options;
  const pct = (key: string, sub = key) => field(o, key, sub) * 100;
  if (q.kind === "netem") {
    return {
      qdisc: "netem",
      delayUs: Math.round(field(o, "delay", "delay") * 1e6),
      jitterUs: Math.round(field(o, "delay", "jitter") * 1e6),
      loss: pct("loss-random", "loss"),
      duplicate: pct("duplicate"),
      corrupt: pct("corrupt"),
      reorder: pct("reorder"),
      rateBits: field(o, "rate", "rate") * 8,
      limitPackets: num(o.limit),
    };
  }
  const none = { delayUs: 0, jitterUs: 0, loss: 0, duplicate: 0, corrupt: 0, reorder: 0 };
  if (q.kind === "tbf") return { qdisc: "tbf", ...none, rateBits: num(o.rate) * 8, burst: num(o.burst), limitPackets: typeof o.limit === "number" ? Math.round(o.limit / frameOf(mtu)) : undefined };
  return { qdisc: q.kind, ...none, rateBits: 0 };
}

// Durations round through the kernel's clock ticks (1.5ms reads back as 1499us), percentages
// through 32-bit fractions, a tbf bucket by a byte or so: equal within these, they are what was declared.
const nearUs = (a: number, b: number) => Math.abs(a - b) <= Math.max(2, 0.001 * Math.max(a, b));
const nearPct = (a: number, b: number) => Math.abs(a - b) <= 1e-4;
const nearBytes = (a: number, b: number) => Math.abs(a - b) <= Math.max(2, 0.01 * Math.max(a, b));

/**
 * The inputs as the kernel has them: each declared value where the kernel's equals it (within
 * its rounding), else the kernel's. Omitted values the kernel derives (tbf's bucket and queue)
 * stay omitted; the distribution, which `tc -j` does not print, is the record's.
 */
export function observedShaping(i: ShapingInputs, s: Seen, distribution: string | undefined): ShapingInputs {
  const time = (declared: string | undefined, seen: number) => (nearUs(parseDuration(declared ?? "0us")!, seen) ? declared : seen ? formatDuration(seen) : undefined);
  const pct = (declared: number | undefined, seen: number) => (nearPct(declared ?? 0, seen) ? declared : seen ? Number(seen.toPrecision(6)) : undefined);
  // netem always has a queue limit (1000 unless set); tbf's is derived from its latency unless declared.
  const limit = s.qdisc === "netem" ? (i.limit === undefined && s.limitPackets === NETEM_LIMIT ? undefined : s.limitPackets) : i.limit === undefined ? undefined : s.limitPackets;
  const jitter = time(i.jitter, s.jitterUs);
  return {
    ...i,
    delay: time(i.delay, s.delayUs),
    jitter,
    distribution: s.qdisc === "netem" && jitter !== undefined ? (distribution as ShapingInputs["distribution"]) : undefined,
    loss: pct(i.loss, s.loss),
    duplicate: pct(i.duplicate, s.duplicate),
    corrupt: pct(i.corrupt, s.corrupt),
    reorder: pct(i.reorder, s.reorder),
    rate: (i.rate === undefined ? 0 : rateBytes(i.rate) * 8) === s.rateBits ? i.rate : s.rateBits ? formatRate(s.rateBits) : undefined,
    burst: i.burst === undefined || s.burst === undefined || nearBytes(i.burst, s.burst) ? i.burst : s.burst,
    limit,
  };
}

/** What differs between the declared shaping and the kernel's, in words; undefined if nothing does. */
export function shapingProblem(i: ShapingInputs, s: Seen, distribution: string | undefined): string | undefined {
  if (s.qdisc !== qdiscOf(i)) return `the root qdisc is ${s.qdisc}, not ${qdiscOf(i)}`;
  const o = observedShaping(i, s, distribution) as Record<string, unknown>;
  const off = Object.keys(schema.shape).filter((k) => o[k] !== (i as Record<string, unknown>)[k]);
  return off.length ? off.map((k) => `${k} is ${o[k] ?? "none"}`).join("; ") : undefined;
}

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: ShapingInputs) => ({ kind: "link shaping", name: i.dev, netns: i.netns });
const attempt = (verb: string, i: ShapingInputs): Attempt => ({ verb, ...subject(i) });
const target = (i: ShapingInputs): Target => ({ netns: i.netns });
const recordKey = (dev: string, ifindex: number) => `${dev}@${ifindex}`;

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
      if (previous) await tc(host, i, argv.replace(previous, mtu), a).catch(() => undefined);
      throw e;
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
  kind: "LinkShaping",
  schema,
  replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}/${i.dev}`,

  async create(host, i) {
    const a = attempt("create", i);
    const s = await theLink(host, i, a);
    const key = recordKey(i.dev, s.ifindex);
    const record = await host.readRecord<QdiscRecord>(target(i), "qdisc", key);
    const root = await readRoot(host, i, a);
    const h = holder(root, record, i.owner);
    refuse(h, root, i, a);
    // Our own leftover (a create interrupted after the record was written) keeps what it found.
    const found = h === "ours" && record ? record.found : describeQdisc(root);
    await host.writeRecord(target(i), "qdisc", key, { owner: i.owner, dev: i.dev, ifindex: s.ifindex, distribution: i.distribution, found } satisfies QdiscRecord);
    try {
      const leftover = h === "ours" && record ? { ...i, distribution: record.distribution as ShapingInputs["distribution"] } : undefined;
      const made = await apply(host, i, root, leftover, s.mtu, a);
      return { qdisc: made.kind, ifindex: s.ifindex, found };
    } catch (e) {
      // Nothing of this resource stays: not the record, nor a qdisc it made.
      const now = await readRoot(host, i, a).catch(() => undefined);
      if (now?.handle === HANDLE && (h !== "unmarked" || root?.handle !== HANDLE)) await tc(host, i, argv.del(i.dev), a).catch(() => undefined);
      await host.removeRecord(target(i), "qdisc", key).catch(() => undefined);
      throw e;
    }
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
    const key = recordKey(n.dev, s.ifindex);
    const record = await host.readRecord<QdiscRecord>(target(n), "qdisc", key);
    const root = await readRoot(host, n, a);
    const h = holder(root, record, n.owner);
    if (h === "unmarked" && !n.adopt) {
      throw objectError(a, `its root qdisc is ${describeQdisc(root)} now, not this resource's (changed by hand?); run \`pulumi refresh\`, and set adopt: true to replace it`);
    }
    refuse(h, root, n, a);
    const found = state.found ?? record?.found ?? describeQdisc(root);
    await host.writeRecord(target(n), "qdisc", key, { owner: n.owner, dev: n.dev, ifindex: s.ifindex, distribution: n.distribution, found } satisfies QdiscRecord);
    const made = await apply(host, n, root, { ...o, distribution: (record?.distribution as ShapingInputs["distribution"]) ?? o.distribution }, s.mtu, a);
    return { qdisc: made.kind, ifindex: s.ifindex, found };
  },

  // Back to the kernel's default qdisc, if the root qdisc is still ours; an interface gone took it along.
  async delete(host, i, state) {
    const a = attempt("delete", i);
    const s = await readLink(host, i.dev, i.netns, a);
    if (!s) {
      if (typeof state.ifindex === "number") await unlessGone(host.removeRecord(target(i), "qdisc", recordKey(i.dev, state.ifindex)), undefined);
      return;
    }
    const key = recordKey(i.dev, s.ifindex);
    const record = await host.readRecord<QdiscRecord>(target(i), "qdisc", key);
    if (!record || record.owner !== i.owner) return; // not ours (any more)
    const root = await readRoot(host, i, a);
    if (root?.handle === HANDLE) await unlessGone(tc(host, i, argv.del(i.dev), a), undefined);
    await host.removeRecord(target(i), "qdisc", key);
  },
};

export const linkShaping = handlers(spec);

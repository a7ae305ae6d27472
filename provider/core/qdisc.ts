/**
 * A root qdisc as `tc` makes and shows it: the argv that sets the shaping a LinkShaping
 * declares (netem, or tbf for a rate alone), and what `tc -j qdisc show … root` says back,
 * turned into the declared fields within the kernel's rounding. Pure: no process is started.
 */
import { z } from "zod";
import type { Target } from "../hosts";
import { formatDuration, formatPercent, formatRate, parseDuration, parseRate, rateBytes } from "./units";

/** The handle of every root qdisc the stack makes (hex 0x148): its mark in the kernel. */
export const HANDLE = "148:";
/** netem's delay distributions: uniform is netem's own; the others are tables iproute2 ships. */
export const DISTRIBUTIONS = ["uniform", "normal", "pareto", "paretonormal"] as const;
/** Fields only netem has: any of them makes the qdisc netem. */
export const NETEM_FIELDS = ["delay", "jitter", "loss", "duplicate", "corrupt", "reorder"] as const;
/** Every shaping field, as `read` reports them. */
export const SHAPING_FIELDS = [...NETEM_FIELDS, "distribution", "rate", "burst", "limit"] as const;
/** netem's queue when no limit is given (packets). */
const NETEM_LIMIT = 1000;
/** What tbf counts of a full-size packet: the MTU and the Ethernet header. */
const frameOf = (mtu: number) => mtu + 14;

/** What a LinkShaping declares, in its normalized units (durations "50ms", rates "10mbit", percentages, bytes, packets). */
export interface Shaping {
  dev: string;
  delay?: string;
  jitter?: string;
  distribution?: (typeof DISTRIBUTIONS)[number];
  loss?: number;
  duplicate?: number;
  corrupt?: number;
  reorder?: number;
  rate?: string;
  burst?: number;
  limit?: number;
}

// ── argv builders ───────────────────────────────────────────────────────────────────────
/** The qdisc the inputs need: netem for any impairment, tbf for a rate alone. */
export const qdiscOf = (i: Shaping): "netem" | "tbf" => (NETEM_FIELDS.some((f) => i[f] !== undefined) ? "netem" : "tbf");

/** tbf's bucket unless declared: 10 ms of traffic at the rate, and at least two full frames. */
export const defaultBurst = (i: Shaping, mtu: number) => Math.max(Math.ceil(rateBytes(i.rate!) / 100), 2 * frameOf(mtu));

const us = (d: string | undefined) => `${d === undefined ? 0 : parseDuration(d)}us`;
const bits = (r: string | undefined) => `${r === undefined ? 0 : parseRate(r)}bit`;

/** `tc [-n NS] ARGS…` */
export const tcArgv = (args: readonly string[], target: Target = {}) => (target.netns ? ["tc", "-n", target.netns, ...args] : ["tc", ...args]);

export const argv = {
  /**
   * The qdisc and its options after `root handle 148:`. netem's options are all given, zeros
   * included: `replace` on an existing netem keeps every option it is not given.
   */
  qdisc(i: Shaping, mtu: number): string[] {
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
  replace: (i: Shaping, mtu: number) => ["qdisc", "replace", "dev", i.dev, "root", "handle", HANDLE, ...argv.qdisc(i, mtu)],
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
export const isDefault = (q: RootQdisc | undefined) => q === undefined || q.handle === "0:";

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
export function observedShaping<I extends Shaping>(i: I, s: Seen, distribution: string | undefined): I {
  const time = (declared: string | undefined, seen: number) => (nearUs(parseDuration(declared ?? "0us")!, seen) ? declared : seen ? formatDuration(seen) : undefined);
  const pct = (declared: number | undefined, seen: number) => (nearPct(declared ?? 0, seen) ? declared : seen ? Number(seen.toPrecision(6)) : undefined);
  // netem always has a queue limit (1000 unless set); tbf's is derived from its latency unless declared.
  const limit = s.qdisc === "netem" ? (i.limit === undefined && s.limitPackets === NETEM_LIMIT ? undefined : s.limitPackets) : i.limit === undefined ? undefined : s.limitPackets;
  const jitter = time(i.jitter, s.jitterUs);
  return {
    ...i,
    delay: time(i.delay, s.delayUs),
    jitter,
    distribution: s.qdisc === "netem" && jitter !== undefined ? (distribution as I["distribution"]) : undefined,
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
export function shapingProblem(i: Shaping, s: Seen, distribution: string | undefined): string | undefined {
  if (s.qdisc !== qdiscOf(i)) return `the root qdisc is ${s.qdisc}, not ${qdiscOf(i)}`;
  const o = observedShaping(i, s, distribution) as unknown as Record<string, unknown>;
  const off = SHAPING_FIELDS.filter((k) => o[k] !== (i as unknown as Record<string, unknown>)[k]);
  return off.length ? off.map((k) => `${k} is ${o[k] ?? "none"}`).join("; ") : undefined;
}

/**
 * The units `tc` takes, as zod fields that check them at preview and normalize them to one
 * spelling (so "1.5mbit" and "1500kbit" are the same input), and the conversions to what
 * `tc -j` reports back (seconds or microseconds, bytes per second, fractions).
 */
import { z } from "zod";

const show = (v: unknown) => JSON.stringify(v);

// ── durations ───────────────────────────────────────────────────────────────────────────
const TIME_UNITS: Record<string, number> = { us: 1, ms: 1000, s: 1_000_000 };
/** 60 s: a link's delay beyond a minute is a misconfiguration (tc itself takes up to ~4295 s). */
export const DURATION_MAX_US = 60_000_000;

/** Microseconds from "50ms", "100us", "1.5s"; undefined if malformed. */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(us|ms|s)$/.exec(v);
  return m ? Math.round(Number(m[1]) * TIME_UNITS[m[2]]) : undefined;
}

/** The shortest exact spelling: "50ms", "1500us", "2s". */
export function formatDuration(us: number): string {
  if (us % 1_000_000 === 0 && us > 0) return `${us / 1_000_000}s`;
  if (us % 1000 === 0 && us > 0) return `${us / 1000}ms`;
  return `${us}us`;
}

/** A duration like "50ms": 0 to 60 s, kept in its shortest spelling. */
export const duration = (field: string) =>
  z.string({ error: `invalid ${field} (must be a duration like "50ms", "100us" or "1.5s")` }).transform((v, ctx) => {
    const us = parseDuration(v);
    if (us === undefined || us > DURATION_MAX_US) {
      ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (must be a duration like "50ms", "100us" or "1.5s", at most 60s)` });
      return z.NEVER;
    }
    return formatDuration(us);
  });

// ── rates ───────────────────────────────────────────────────────────────────────────────
/** tc's rate units in bits per second: SI prefixes; `bps` is bytes per second, as in tc. */
const RATE_UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9 };
const RATE_MAX = 1e12; // 1 tbit/s

/** Bits per second from "10mbit", "500kbit", "1gbit", "100kbps"; undefined if malformed. */
export function parseRate(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([a-z]+)$/.exec(v.toLowerCase());
  if (!m || RATE_UNITS[m[2]] === undefined) return undefined;
  return Math.round(Number(m[1]) * RATE_UNITS[m[2]]);
}

/** The shortest exact spelling in bits: "10mbit", "1500kbit", "64bit". */
export function formatRate(bits: number): string {
  for (const [unit, n] of [["gbit", 1e9], ["mbit", 1e6], ["kbit", 1e3]] as const) if (bits % n === 0) return `${bits / n}${unit}`;
  return `${bits}bit`;
}

/** What the kernel keeps of a rate: whole bytes per second. */
export const rateBytes = (rate: string) => Math.floor(parseRate(rate)! / 8);

/** A rate like "10mbit": at least 8bit (one byte per second), at most 1tbit. */
export const rate = (field: string) =>
  z.string({ error: `invalid ${field} (must be a rate like "10mbit", "500kbit" or "1gbit")` }).transform((v, ctx) => {
    const bits = parseRate(v);
    if (bits === undefined || bits < 8 || bits > RATE_MAX) {
      ctx.addIssue({
        code: "custom",
        message: `invalid ${field} ${show(v)} (must be a rate like "10mbit", "500kbit" or "1gbit": a number and one of bit, kbit, mbit, gbit, or bps, kbps, mbps, gbps for bytes per second; from 8bit to 1000gbit)`,
      });
      return z.NEVER;
    }
    return formatRate(bits);
  });

// ── sizes ───────────────────────────────────────────────────────────────────────────────
/** tc's size units: bytes, with k/m binary prefixes (`kb` = 1024 bytes), as `tc` reads them. */
const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: 1024 * 1024, mb: 1024 * 1024 };

/** Bytes from a number of bytes, or "32kb", "1mb", "1500b"; undefined if malformed. */
export function parseSize(v: number | string): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) ? v : undefined;
  const m = /^(\d+)([a-z]*)$/.exec(v.toLowerCase());
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2] || "b"];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** A size in bytes: a number, or "32kb" (1024-byte kb, as tc reads it); 64 bytes to 64 MiB. */
export const size = (field: string) =>
  z.union([z.number(), z.string()], { error: `invalid ${field} (must be a number of bytes or a size like "32kb")` }).transform((v, ctx) => {
    const bytes = parseSize(v);
    if (bytes === undefined || bytes < 64 || bytes > 64 * 1024 * 1024) {
      ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (must be a whole number of bytes or a size like "32kb" or "1mb", from 64 bytes to 64mb)` });
      return z.NEVER;
    }
    return bytes;
  });

// ── percentages ─────────────────────────────────────────────────────────────────────────
/** A percentage, 0–100: a number (1 is 1%) or a string like "0.5%"; kept as the number. */
export const percent = (field: string) =>
  z.union([z.number(), z.string()], { error: `invalid ${field} (must be a percentage from 0 to 100, like 1 or "0.5%")` }).transform((v, ctx) => {
    const n = typeof v === "number" ? v : /^\d+(\.\d+)?%$/.test(v) ? Number(v.slice(0, -1)) : NaN;
    if (!Number.isFinite(n) || n < 0 || n > 100) {
      ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (must be a percentage from 0 to 100, like 1 or "0.5%")` });
      return z.NEVER;
    }
    return n;
  });

/** tc's spelling of a percentage: "1%", "0.5%". */
export const formatPercent = (n: number) => `${Number(n.toPrecision(12))}%`;

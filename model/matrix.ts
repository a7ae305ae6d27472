/**
 * The reachability matrix: every namespace of the stack → every address of the stack,
 * predicted: the pairs, their counts and the JSON answer (cli/reach/matrix.ts renders the Markdown table).
 */
import { ipText, v4 } from "./ip";
import type { Model, Netns } from "./model";
import { type Answer, type Prediction, predict, Predictor } from "./predict";

export interface Matrix {
  from: string[];
  to: string[];
  /** Row by row: from[0] → every `to`, then from[1]… */
  pairs: Prediction[];
  /** The assumption about pulumi's own namespace, for the note. */
  ownFresh: boolean;
}

/** Every address the stack puts on an interface: IPv4 in numeric order, then the others. */
export function stackAddresses(m: Model): string[] {
  const v4s = new Set<number>();
  const others = new Set<string>();
  for (const i of m.ifaces.values()) {
    for (const a of i.addresses) v4s.add(a.ip);
    for (const o of i.others) others.add(o);
  }
  return [...[...v4s].sort((a, b) => a - b).map(ipText), ...[...others].sort()];
}

/** Every namespace of the stack: this machine's first, pulumi's own before the named ones. */
export function stackNamespaces(m: Model): Netns[] {
  const rank = (n: Netns) => `${n.host === "" ? 0 : 1}${n.host}\0${n.name === "" ? 0 : 1}${n.name}`;
  return [...m.namespaces.values()].sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0));
}

/** The predictions for the pairs asked for (default: all of the stack's). */
export function reachabilityMatrix(m: Model, only: { from?: string[]; to?: string[] } = {}): Matrix {
  const p = new Predictor(m);
  const from = only.from?.length ? only.from.map((f) => p.namespace(f)?.label ?? f) : stackNamespaces(m).map((n) => n.label);
  const to = only.to?.length ? only.to : stackAddresses(m);
  return { from, to, pairs: from.flatMap((f) => to.map((t) => predict(p, f, t))), ownFresh: m.ownFresh };
}

export function counts(pairs: readonly Prediction[]): Record<Answer, number> {
  const c: Record<Answer, number> = { reachable: 0, unreachable: 0, unknown: 0 };
  for (const p of pairs) c[p.answer]++;
  return c;
}

export function matrixJson(x: Matrix): string {
  const pairs = x.pairs.map(({ uses: _uses, ...p }) => p);
  return `${JSON.stringify({ namespaces: x.from, addresses: x.to, ownNetns: x.ownFresh ? "fresh" : "unknown", counts: counts(x.pairs), pairs }, null, 2)}\n`;
}

/** Whether a `--to` value names an address (IPv4, or IPv6 which is reported as outside the model). */
export const isAddress = (s: string): boolean => v4(s) !== undefined || s.includes(":");

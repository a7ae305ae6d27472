/**
 * The reachability matrix: every namespace of the stack → every address of the stack,
 * predicted: the pairs, their counts and the JSON answer (cli/reach/matrix.ts renders the Markdown table).
 */
import { type Family, familyOf, ipText, isLinkLocal, target } from "./ip";
import type { Model, Netns } from "./model";
import { type Answer, type Prediction, predict, Predictor } from "./predict";

export interface Matrix {
  from: string[];
  to: string[];
  /** Row by row: from[0] → every `to`, then from[1]… */
  pairs: Prediction[];
  /** Namespace → a link-local address of a neighbour (`ADDR%DEV`), when asked for: each namespace has its own. */
  linkLocal: Prediction[];
  /** The assumption about pulumi's own namespace, for the note. */
  ownFresh: boolean;
}

/** Every address the stack puts on an interface (of the families asked): IPv4 in numeric order, then IPv6; link-local ones are reached by link (see `linkLocalTargets`). */
export function stackAddresses(m: Model, families: readonly Family[] = ["ipv4", "ipv6"]): string[] {
  const ips = new Set<bigint>();
  for (const i of m.ifaces.values()) for (const a of i.addresses) if (families.includes(familyOf(a.ip)) && !isLinkLocal(a.ip)) ips.add(a.ip);
  return [...ips].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(ipText);
}

/**
 * The link-local addresses a namespace can ping, as `ADDR%DEV`: on each of its up links, every
 * neighbour's link-local address the state makes known (its MAC, or one the stack declares).
 */
export function linkLocalTargets(p: Predictor, ns: Netns): string[] {
  const out = new Set<string>();
  for (const i of p.ifaces.get(ns.key) ?? []) {
    if (!p.l2.isStation(i) || !p.linkLocal.has(i)) continue;
    const wire = p.l2.wire(i);
    if (wire.unknown) continue;
    for (const n of [...wire.neighbours.map((x) => x.station), ...wire.excluded.map((x) => x.station)]) {
      const ll = p.linkLocal.get(n);
      if (ll !== undefined && n.ns !== ns.key) out.add(`${ipText(ll)}%${i.name}`);
    }
  }
  return [...out].sort();
}

/** Every namespace of the stack: this machine's first, pulumi's own before the named ones. */
export function stackNamespaces(m: Model): Netns[] {
  const rank = (n: Netns) => `${n.host === "" ? 0 : 1}${n.host}\0${n.name === "" ? 0 : 1}${n.name}`;
  return [...m.namespaces.values()].sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0));
}

export interface MatrixOptions {
  from?: string[];
  to?: string[];
  /** The families of the stack's addresses to predict (default both); `to` given is taken as it is. */
  families?: readonly Family[];
  /** Also every namespace → the link-local addresses of its links' neighbours (`ADDR%DEV`), into `linkLocal`. */
  linkLocal?: boolean;
}

/** The predictions for the pairs asked for (default: all of the stack's). */
export function reachabilityMatrix(m: Model, only: MatrixOptions = {}): Matrix {
  const p = new Predictor(m);
  const from = only.from?.length ? only.from.map((f) => p.namespace(f)?.label ?? f) : stackNamespaces(m).map((n) => n.label);
  const families = only.families ?? ["ipv4", "ipv6"];
  const to = only.to?.length ? only.to : stackAddresses(m, families);
  const linkLocal = only.linkLocal && families.includes("ipv6") ? from.flatMap((f) => { const ns = p.namespace(f); return ns ? linkLocalTargets(p, ns).map((t) => predict(p, f, t)) : []; }) : [];
  return { from, to, pairs: from.flatMap((f) => to.map((t) => predict(p, f, t))), linkLocal, ownFresh: m.ownFresh };
}

export function counts(pairs: readonly Prediction[]): Record<Answer, number> {
  const c: Record<Answer, number> = { reachable: 0, unreachable: 0, unknown: 0 };
  for (const p of pairs) c[p.answer]++;
  return c;
}

export function matrixJson(x: Matrix): string {
  const pairs = x.pairs.map(({ uses: _uses, ...p }) => p);
  const linkLocal = x.linkLocal.length ? { linkLocalPairs: x.linkLocal.map(({ uses: _uses, ...p }) => p) } : {};
  return `${JSON.stringify({ namespaces: x.from, addresses: x.to, ownNetns: x.ownFresh ? "fresh" : "unknown", counts: counts([...x.pairs, ...x.linkLocal]), pairs, ...linkLocal }, null, 2)}\n`;
}

/** Whether a `--to` value names an address (IPv4, IPv6, or `ADDR%DEV`). */
export const isAddress = (s: string): boolean => target(s) !== undefined;

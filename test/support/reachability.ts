/**
 * The kernel judges the reachability model: after an `up`, the stack's exported state is
 * predicted (every namespace → every address of the stack, pulumi's own namespace taken as
 * fresh: in the sandbox it is), and every pair the prediction decides is pinged for real
 * (`ip netns exec NS ping -c 1 -W 1 ADDRESS`, some at a time) and its reply TTL read. They must
 * agree exactly; pairs predicted unknown are counted and printed with their reasons, and
 * `expectJudged` bounds both counts: a regression that turns decided pairs into unknown ones
 * fails the example's test as surely as a disagreement does.
 */
import { buildModel, type Netns, type Prediction, reachabilityMatrix } from "../../model";
import { fromExport } from "../../cli/resources";
import { run } from "./local";
import type { PulumiStack } from "./pulumi";
import type { SshHosts, TestHost } from "./ssh-hosts";

/** Runs a command in a namespace of the stack and resolves to its stdout, or rejects on a non-zero exit. */
export type InNamespace = (ns: Netns, argv: string[]) => Promise<string>;

/** Here: `ip netns exec NAME …`, or the command itself in pulumi's own namespace (the sandbox's). */
export const here: InNamespace = async (ns, argv) => {
  if (ns.host !== "") throw new Error(`namespace ${ns.label} is on another machine: give the judge a way to run commands there`);
  return (await run(ns.name ? ["ip", "netns", "exec", ns.name, ...argv] : argv)).stdout;
};

/** On the test's SSH hosts (support/ssh-hosts.ts): a namespace's machine is the host of that address. */
export const onTestHosts =
  (hosts: SshHosts, h: readonly TestHost[]): InNamespace =>
  (ns, argv) => {
    const host = h.find((x) => x.address === ns.host);
    if (!host) throw new Error(`no test host at ${ns.host} (namespace ${ns.label})`);
    return hosts.on(host, ...(ns.name ? ["ip", "netns", "exec", ns.name, ...argv] : argv));
  };

export interface Judgement {
  /** Pairs predicted reachable or unreachable, each pinged. */
  compared: number;
  /** Pairs predicted unknown (not pinged), by reason. */
  unknown: Map<string, number>;
  unknownCount: number;
  /** Pairs where the kernel disagrees: "d1 → 10.0.0.1: predicted reachable (TTL 63), measured no reply — reason". */
  disagreements: string[];
}

/** The reply's TTL, or undefined without a reply. */
async function replyTtl(inNs: InNamespace, ns: Netns, address: string, count = 1): Promise<number | undefined> {
  try {
    const out = await inNs(ns, ["ping", "-n", "-c", String(count), "-W", "1", "-i", "0.2", address]);
    const ttl = /ttl=(\d+)/.exec(out)?.[1];
    return ttl === undefined ? undefined : Number(ttl);
  } catch {
    return undefined;
  }
}

/** `items` through `f`, at most `limit` at a time, results in order. */
async function bounded<T, R>(items: readonly T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      out[k] = await f(items[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const said = (p: Prediction) => (p.answer === "reachable" ? `reachable (TTL ${p.ttl})` : p.answer);

/**
 * Predicts the deployed stack and pings every decided pair. `label` names the moment in the
 * printed line ("examples/macvlan-router after up"). A pair that gets no reply to its first
 * ping is pinged once more (-c 3) before "no reply" is taken, whichever the prediction: a slow
 * start (ARP, a port coming up) must neither make a reachable pair disagree nor let an
 * unreachable one agree by chance. One retry: at most ~1.5 s more per silent pair.
 */
export async function judgeReachability(stack: PulumiStack, label: string, inNs: InNamespace = here): Promise<Judgement> {
  const t0 = performance.now();
  const exported = JSON.parse((await stack.cli(["stack", "export"])).stdout);
  const model = buildModel(fromExport(exported, "`pulumi stack export`"), { ownFresh: true });
  const matrix = reachabilityMatrix(model);
  const byLabel = new Map([...model.namespaces.values()].map((n) => [n.label, n]));
  const decided = matrix.pairs.filter((p) => p.answer !== "unknown");
  const measured = await bounded(decided, 12, async (p) => {
    const ns = byLabel.get(p.from)!;
    let ttl = await replyTtl(inNs, ns, p.to);
    if (ttl === undefined) ttl = await replyTtl(inNs, ns, p.to, 3);
    return ttl;
  });
  const disagreements = decided.flatMap((p, k) => {
    const ttl = measured[k];
    const agrees = p.answer === "reachable" ? ttl === p.ttl : ttl === undefined;
    return agrees ? [] : [`${p.from} → ${p.to}: predicted ${said(p)}, measured ${ttl === undefined ? "no reply" : `a reply with TTL ${ttl}`} — ${p.reason}`];
  });
  const unknown = new Map<string, number>();
  for (const p of matrix.pairs) if (p.answer === "unknown") unknown.set(p.reason, (unknown.get(p.reason) ?? 0) + 1);
  const unknownCount = matrix.pairs.length - decided.length;
  const reasons = [...unknown].map(([why, n]) => `\n    ${n} × ${why}`).join("");
  process.stdout.write(
    `reachability judged, ${label}: ${decided.length} pairs compared with the kernel, ${disagreements.length} disagree; ${unknownCount} unknown (${((performance.now() - t0) / 1000).toFixed(1)} s)${reasons}${disagreements.map((d) => `\n  DISAGREES ${d}`).join("")}\n`,
  );
  return { compared: decided.length, unknown, unknownCount, disagreements };
}

/** What an example's test holds its judgement to. */
export interface JudgedBounds {
  /** Pairs compared with the kernel: at least this many (what the example decides today). */
  compared: number;
  /**
   * Pairs predicted unknown: none, unless the test names why — then at most `count`, and every
   * one for a reason `why` matches (the model's limit the example runs into).
   */
  unknown?: { count: number; why: RegExp };
}

/** No disagreement, at least `compared` pairs compared, and no unknown pair beyond the named ones. */
export function expectJudged(j: Judgement, bounds: JudgedBounds): void {
  expect(j.disagreements).toEqual([]);
  expect(j.compared).toBeGreaterThanOrEqual(bounds.compared);
  const named = bounds.unknown;
  expect([...j.unknown.keys()].filter((why) => !named?.why.test(why))).toEqual([]); // an unknown pair the test does not name
  expect(j.unknownCount).toBeLessThanOrEqual(named?.count ?? 0);
}

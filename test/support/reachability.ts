/**
 * The kernel judges the reachability model: after an `up`, the stack's exported state is
 * predicted (every namespace → every address of the stack, and → the link-local addresses of
 * its links' neighbours as `ADDR%DEV`; pulumi's own namespace taken as fresh: in the sandbox it
 * is), and every pair the prediction decides is pinged for real
 * (`ip netns exec NS ping -4|-6 -c 1 -W 1 ADDRESS`, some at a time) and its reply TTL or hop
 * limit read. They must agree exactly; pairs predicted unknown are counted per family (IPv4,
 * IPv6) and printed with their reasons, and `expectJudged` bounds both counts for both
 * families: a regression that turns decided pairs into unknown ones fails the example's test
 * as surely as a disagreement does.
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

export type Family = "ipv4" | "ipv6";
export const FAMILIES: readonly Family[] = ["ipv4", "ipv6"];
const FAMILY_NAME: Record<Family, string> = { ipv4: "IPv4", ipv6: "IPv6" };
/** A destination's family: IPv6 when it has a colon (`fd00::1`, `fe80::1%eth0`). */
export const familyOf = (to: string): Family => (to.includes(":") ? "ipv6" : "ipv4");
/** A prediction's family: the model's, or the destination's when the model names none (no address). */
const familyOfPair = (p: Prediction): Family => p.family ?? familyOf(p.to);

export interface FamilyJudgement {
  /** Pairs of this family predicted reachable or unreachable, each pinged. */
  compared: number;
  /** Pairs predicted unknown (not pinged), by reason. */
  unknown: Map<string, number>;
  unknownCount: number;
}

export interface Judgement {
  ipv4: FamilyJudgement;
  ipv6: FamilyJudgement;
  /** Pairs where the kernel disagrees: "d1 → 10.0.0.1: predicted reachable (TTL 63), measured no reply — reason". */
  disagreements: string[];
}

/**
 * The reply's TTL (IPv4) or hop limit (IPv6: iputils prints it as `ttl=` too), or undefined
 * without a reply. A link-local destination carries its interface (`fe80::1%eth0`), which ping takes as is.
 */
async function replyTtl(inNs: InNamespace, ns: Netns, address: string, count = 1): Promise<number | undefined> {
  try {
    const out = await inNs(ns, ["ping", familyOf(address) === "ipv6" ? "-6" : "-4", "-n", "-c", String(count), "-W", "1", "-i", "0.2", address]);
    const ttl = /ttl=(\d+)/.exec(out)?.[1];
    return ttl === undefined ? undefined : Number(ttl);
  } catch {
    return undefined;
  }
}

/** `ip -6 -j addr show` as it matters to DAD. */
interface AddrJson {
  ifname: string;
  flags?: string[];
  addr_info?: Array<{ local: string; tentative?: boolean; dadfailed?: boolean }>;
}

/** Settling time for DAD: 1 s by default (net.ipv6.conf.*.dad_transmits 1 × retrans_time 1 s), with room for a loaded machine. */
const DAD_WAIT_MS = 6000;

/**
 * Waits until no IPv6 address in the namespaces is still tentative, at most DAD_WAIT_MS. An
 * address is tentative for about a second after its link comes up (duplicate address
 * detection): it answers nothing meanwhile, so a ping then is not the steady state the model
 * predicts. Only links with carrier (LOWER_UP) are waited for: on a link without one DAD never
 * runs and the address stays tentative, which is its steady state; a `dadfailed` address is
 * settled too (a duplicate, it never answers). Still tentative after the wait: an error naming
 * the addresses, rather than a judgement of a moment.
 */
export async function waitForDad(inNs: InNamespace, namespaces: readonly Netns[]): Promise<void> {
  const deadline = performance.now() + DAD_WAIT_MS;
  for (;;) {
    const pending = (
      await Promise.all(
        namespaces.map(async (ns) => {
          const links = JSON.parse((await inNs(ns, ["ip", "-6", "-j", "addr", "show"])) || "[]") as AddrJson[];
          return links
            .filter((l) => l.flags?.includes("LOWER_UP"))
            .flatMap((l) => (l.addr_info ?? []).filter((a) => a.tentative && !a.dadfailed).map((a) => `${ns.label} ${l.ifname} ${a.local}`));
        }),
      )
    ).flat();
    if (!pending.length) return;
    if (performance.now() > deadline) throw new Error(`IPv6 addresses still tentative (duplicate address detection) after ${DAD_WAIT_MS / 1000} s: ${pending.join(", ")}`);
    await new Promise((r) => setTimeout(r, 200));
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

const said = (p: Prediction) => (p.answer === "reachable" ? `reachable (${familyOfPair(p) === "ipv6" ? "hop limit" : "TTL"} ${p.ttl})` : p.answer);

/**
 * Predicts the deployed stack and pings every decided pair, IPv4 (`ping -4`) and IPv6
 * (`ping -6`; a link-local destination with its interface, `fe80::1%eth0`), comparing the
 * answer and the reply's TTL or hop limit. `label` names the moment in the printed line
 * ("examples/macvlan-router after up"), which counts compared and unknown pairs per family.
 * Before any IPv6 pair is pinged, DAD must have finished (`waitForDad`). A pair that gets no
 * reply to its first ping is pinged once more (-c 3) before "no reply" is taken, whichever
 * the prediction: a slow start (ARP or neighbour discovery, a port coming up) must neither
 * make a reachable pair disagree nor let an unreachable one agree by chance. One retry: at
 * most ~1.5 s more per silent pair.
 */
export async function judgeReachability(stack: PulumiStack, label: string, inNs: InNamespace = here): Promise<Judgement> {
  const t0 = performance.now();
  const exported = JSON.parse((await stack.cli(["stack", "export"])).stdout);
  const model = buildModel(fromExport(exported, "`pulumi stack export`"), { ownFresh: true });
  // Every namespace → every address of the stack, and → its links' neighbours' link-local addresses (ADDR%DEV).
  const matrix = reachabilityMatrix(model, { linkLocal: true });
  const pairs = [...matrix.pairs, ...matrix.linkLocal];
  const byLabel = new Map([...model.namespaces.values()].map((n) => [n.label, n]));
  const decided = pairs.filter((p) => p.answer !== "unknown");
  if (decided.some((p) => familyOfPair(p) === "ipv6")) await waitForDad(inNs, [...new Set(decided.map((p) => byLabel.get(p.from)!))]);
  const measured = await bounded(decided, 12, async (p) => {
    const ns = byLabel.get(p.from)!;
    let ttl = await replyTtl(inNs, ns, p.to);
    if (ttl === undefined) ttl = await replyTtl(inNs, ns, p.to, 3);
    return ttl;
  });
  const disagreements = decided.flatMap((p, k) => {
    const ttl = measured[k];
    const agrees = p.answer === "reachable" ? ttl === p.ttl : ttl === undefined;
    const word = familyOfPair(p) === "ipv6" ? "hop limit" : "TTL";
    return agrees ? [] : [`${p.from} → ${p.to}: predicted ${said(p)}, measured ${ttl === undefined ? "no reply" : `a reply with ${word} ${ttl}`} — ${p.reason}`];
  });
  const judged = (family: Family): FamilyJudgement => {
    const mine = pairs.filter((p) => familyOfPair(p) === family);
    const unknown = new Map<string, number>();
    for (const p of mine) if (p.answer === "unknown") unknown.set(p.reason, (unknown.get(p.reason) ?? 0) + 1);
    const unknownCount = [...unknown.values()].reduce((a, b) => a + b, 0);
    return { compared: mine.length - unknownCount, unknown, unknownCount };
  };
  const j: Judgement = { ipv4: judged("ipv4"), ipv6: judged("ipv6"), disagreements };
  const counts = FAMILIES.map((f) => `${FAMILY_NAME[f]} ${j[f].compared} compared, ${j[f].unknownCount} unknown`).join("; ");
  const reasons = FAMILIES.flatMap((f) => [...j[f].unknown].map(([why, n]) => `\n    ${FAMILY_NAME[f]} ${n} × ${why}`)).join("");
  process.stdout.write(
    `reachability judged, ${label}: ${counts}; ${disagreements.length} disagree (${((performance.now() - t0) / 1000).toFixed(1)} s)${reasons}${disagreements.map((d) => `\n  DISAGREES ${d}`).join("")}\n`,
  );
  return j;
}

/** What an example's test holds one family of its judgement to. */
export interface FamilyBounds {
  /** Pairs compared with the kernel: at least this many (what the example decides today). */
  compared: number;
  /**
   * Pairs predicted unknown: none, unless the test names why — then at most `count`, and every
   * one for a reason `why` matches (the model's limit the example runs into).
   */
  unknown?: { count: number; why: RegExp };
}

/** Both families are bounded: an IPv4-only example says `ipv6: { compared: 0 }`, and no IPv6 pair may then be unknown. */
export type JudgedBounds = Record<Family, FamilyBounds>;

/** No disagreement and, per family, at least `compared` pairs compared and no unknown pair beyond the named ones. */
export function expectJudged(j: Judgement, bounds: JudgedBounds): void {
  expect(j.disagreements).toEqual([]);
  const missed = FAMILIES.flatMap((family) => {
    const [got, want] = [j[family], bounds[family]];
    const name = FAMILY_NAME[family];
    const unnamed = [...got.unknown.keys()].filter((why) => !want.unknown?.why.test(why));
    return [
      ...(got.compared < want.compared ? [`${name}: ${got.compared} pairs compared, fewer than ${want.compared}`] : []),
      ...unnamed.map((why) => `${name}: a pair unknown for a reason the test does not name: ${why}`),
      ...(got.unknownCount > (want.unknown?.count ?? 0) ? [`${name}: ${got.unknownCount} pairs unknown, more than ${want.unknown?.count ?? 0}`] : []),
    ];
  });
  expect(missed).toEqual([]);
}

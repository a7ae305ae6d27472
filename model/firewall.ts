/**
 * The iptables and ip6tables subset the prediction understands (a rule outside it makes the
 * packets it could see unknown, never guessed); a rule acts on packets of its own family only:
 *   tables and chains: filter INPUT, FORWARD, OUTPUT (policy ACCEPT, as in a new namespace:
 *     the stack never sets a policy) and nat POSTROUTING;
 *   matches: -i/-o IFACE (a trailing + is a prefix), -s/-d ADDRESS[/LEN] (of the rule's family),
 *     -p icmp|all|PROTO (ip6tables: ipv6-icmp|icmpv6|58|all|PROTO; an echo is ICMP or ICMPv6),
 *     -m conntrack --ctstate LIST, -m state --state LIST, each negated with "!";
 *   targets: ACCEPT, DROP, REJECT (--reject-with), RETURN; in nat POSTROUTING MASQUERADE
 *     (--random, --random-fully) and SNAT --to-source ADDRESS.
 * Rules in chains of one's own act only through a jump, which is outside the subset. The order
 * of two rules of one chain is not fixed by the stack (they are added as resources are
 * created), except that one inserted at position 1 precedes every appended one: when rules
 * that match one packet disagree and their order is not known, the answer is unknown.
 */
import { addr, familyOf, inNet, type Net, net } from "./ip";
import { type Origin, originText, type RuleEntry } from "./model";

export type CtState = "NEW" | "ESTABLISHED" | "RELATED" | "INVALID" | "UNTRACKED";

/** One ICMP echo packet at one hook. */
export interface Pkt {
  in?: string;
  out?: string;
  src: bigint;
  dst: bigint;
  state: CtState;
}

interface Parsed {
  in?: { name: string; neg: boolean };
  out?: { name: string; neg: boolean };
  src?: { net: Net; neg: boolean };
  dst?: { net: Net; neg: boolean };
  /** Whether an ICMP packet matches -p. */
  proto?: boolean;
  states?: { set: Set<string>; neg: boolean };
  target: string;
  toSource?: bigint;
}

/** The chains the model evaluates, by table. */
export const MODELLED: Record<string, string[]> = { filter: ["INPUT", "FORWARD", "OUTPUT"], nat: ["POSTROUTING"] };
const BUILT_IN = new Set(["INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING"]);
const TARGETS: Record<string, string[]> = { filter: ["ACCEPT", "DROP", "REJECT", "RETURN"], nat: ["MASQUERADE", "SNAT", "ACCEPT", "RETURN"] };
const STATES = new Set(["NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED", "SNAT", "DNAT"]);

export const ruleText = (r: RuleEntry): string => `${r.family === "ipv6" ? "ip6tables" : "iptables"} -t ${r.table} -A ${r.chain} ${r.tokens.join(" ")} (${originText(r.origin)})`;

/** Whether a rule lies in a chain the model ignores safely (one of your own: only a jump reaches it). */
export const ownChain = (r: RuleEntry): boolean => !BUILT_IN.has(r.chain);
/** Whether a rule lies in a built-in chain the model does not evaluate (mangle, raw, nat PREROUTING…). */
export const unmodelledChain = (r: RuleEntry): boolean => !ownChain(r) && !(MODELLED[r.table] ?? []).includes(r.chain);

const parsedRules = new WeakMap<RuleEntry, Parsed | { outside: string }>();

/** The rule in the subset, or why not. */
export function parseRule(r: RuleEntry): Parsed | { outside: string } {
  let p = parsedRules.get(r);
  if (!p) parsedRules.set(r, (p = parse(r)));
  return p;
}

function parse(r: RuleEntry): Parsed | { outside: string } {
  const out: Partial<Parsed> = {};
  const t = r.tokens;
  let neg = false;
  const outside = (why: string) => ({ outside: `${ruleText(r)} is outside the model's iptables subset: ${why}` });
  for (let k = 0; k < t.length; k++) {
    const opt = t[k];
    const arg = t[k + 1];
    const wasNeg = neg;
    neg = false;
    if (opt === "!") {
      neg = true;
      continue;
    }
    const takes = ["-i", "--in-interface", "-o", "--out-interface", "-s", "--source", "--src", "-d", "--destination", "--dst", "-p", "--protocol", "-m", "--match", "--ctstate", "--state", "-j", "--jump", "--to-source", "--reject-with"];
    if (takes.includes(opt) && arg === undefined) return outside(`${opt} without a value`);
    if (takes.includes(opt)) k++;
    if (opt === "-i" || opt === "--in-interface") out.in = { name: arg, neg: wasNeg };
    else if (opt === "-o" || opt === "--out-interface") out.out = { name: arg, neg: wasNeg };
    else if (["-s", "--source", "--src", "-d", "--destination", "--dst"].includes(opt)) {
      const n = net(arg, r.family);
      if (!n || familyOf(n.ip) !== r.family) return outside(`${opt} ${arg} (one ${r.family === "ipv6" ? "IPv6" : "IPv4"} address or network only)`);
      out[opt.startsWith("-s") || opt.startsWith("--s") ? "src" : "dst"] = { net: n, neg: wasNeg };
    } else if (opt === "-p" || opt === "--protocol") {
      const p = arg.toLowerCase();
      const echo = r.family === "ipv6" ? ["ipv6-icmp", "icmpv6", "58", "all", "0"] : ["icmp", "1", "all", "0"];
      out.proto = echo.includes(p) !== wasNeg;
    } else if (opt === "-m" || opt === "--match") {
      if (wasNeg || !["conntrack", "state"].includes(arg)) return outside(`-m ${arg}`);
    } else if (opt === "--ctstate" || opt === "--state") {
      const set = new Set(arg.split(","));
      if ([...set].some((s) => !STATES.has(s))) return outside(`${opt} ${arg}`);
      out.states = { set, neg: wasNeg };
    } else if (opt === "-j" || opt === "--jump") out.target = arg;
    else if (opt === "--to-source") {
      out.toSource = addr(arg.replace(/^\[(.*)\]$/, "$1"));
      if (out.toSource === undefined || familyOf(out.toSource) !== r.family) return outside(`--to-source ${arg} (one ${r.family === "ipv6" ? "IPv6" : "IPv4"} address only)`);
    } else if (opt === "--reject-with" || opt === "--random" || opt === "--random-fully") continue;
    else return outside(`option ${opt}`);
    if (wasNeg && !["-i", "--in-interface", "-o", "--out-interface", "-s", "--source", "--src", "-d", "--destination", "--dst", "-p", "--protocol", "--ctstate", "--state"].includes(opt)) {
      return outside(`"!" before ${opt}`);
    }
  }
  if (!out.target) return outside("no -j target (a rule that only counts is harmless, but the model does not take it)");
  if (!(TARGETS[r.table] ?? []).includes(out.target)) return outside(`-j ${out.target} in the ${r.table} table`);
  if (out.target === "SNAT" && out.toSource === undefined) return outside("SNAT without --to-source");
  return out as Parsed;
}

const ifMatches = (m: { name: string; neg: boolean } | undefined, name: string | undefined) => {
  if (!m) return true;
  const hit = name !== undefined && (m.name.endsWith("+") ? name.startsWith(m.name.slice(0, -1)) : name === m.name);
  return hit !== m.neg;
};

function matches(r: Parsed, p: Pkt): boolean {
  return (
    ifMatches(r.in, p.in) &&
    ifMatches(r.out, p.out) &&
    (!r.src || inNet(p.src, r.src.net) !== r.src.neg) &&
    (!r.dst || inNet(p.dst, r.dst.net) !== r.dst.neg) &&
    r.proto !== false &&
    (!r.states || r.states.set.has(p.state) !== r.states.neg)
  );
}

export type Outcome<T> = { value: T; by: Origin[] } | { unknown: string };

/**
 * What the rules of one chain do to a packet: `effect` maps a matching rule to its outcome
 * (a verdict, a NAT); `none` is the policy's. Disagreeing rules whose order is not known: unknown.
 */
function evaluate<T>(rules: RuleEntry[], p: Pkt, effect: (r: Parsed) => T, none: T, key: (t: T) => string): Outcome<T> {
  const hits: Array<{ rule: RuleEntry; parsed: Parsed }> = [];
  for (const rule of rules) {
    const parsed = parseRule(rule);
    if ("outside" in parsed) return { unknown: parsed.outside };
    if (matches(parsed, p)) hits.push({ rule, parsed });
  }
  for (const group of [hits.filter((h) => h.rule.first), hits.filter((h) => !h.rule.first)]) {
    if (!group.length) continue;
    const outcomes = new Map(group.map((h) => [key(effect(h.parsed)), effect(h.parsed)]));
    if (outcomes.size > 1) {
      return { unknown: `${group.map((h) => ruleText(h.rule)).join(" and ")} all match and disagree, and their order in ${group[0].rule.chain} is not fixed by the stack` };
    }
    return { value: [...outcomes.values()][0], by: group.map((h) => h.rule.origin) };
  }
  return { value: none, by: [] };
}

export type Verdict = "ACCEPT" | "DROP";

/** The verdict of a filter chain (INPUT, FORWARD, OUTPUT) whose policy is ACCEPT. */
export function filterVerdict(rules: RuleEntry[], p: Pkt): Outcome<Verdict> {
  const verdict = (r: Parsed): Verdict => (r.target === "DROP" || r.target === "REJECT" ? "DROP" : "ACCEPT");
  return evaluate<Verdict>(rules, p, verdict, "ACCEPT", (v) => v);
}

/** What nat POSTROUTING does to a new connection's first packet: nothing, MASQUERADE, or SNAT to an address. */
export type Nat = { kind: "none" } | { kind: "masquerade" } | { kind: "snat"; to: bigint };

export function natEffect(rules: RuleEntry[], p: Pkt): Outcome<Nat> {
  const nat = (r: Parsed): Nat => (r.target === "MASQUERADE" ? { kind: "masquerade" } : r.target === "SNAT" ? { kind: "snat", to: r.toSource! } : { kind: "none" });
  return evaluate<Nat>(rules, p, nat, { kind: "none" }, (n) => `${n.kind}${n.kind === "snat" ? n.to : ""}`);
}

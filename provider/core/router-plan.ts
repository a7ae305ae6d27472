/**
 * What a router is made of (the Router component in sdk/router.ts composes it from Sysctl and
 * IptablesRule resources): forwarding switched on, FORWARD accept rules between its legs
 * (stateful return traffic where asked), MASQUERADE on named outputs: a router host between networks.
 * Pure data, so the full-kernel tier can build the very same router through the handlers.
 */
export interface ForwardSpec {
  from: string;
  to: string;
  /** Accept only new traffic from → to, and replies to it (conntrack RELATED,ESTABLISHED) back. */
  stateful?: boolean;
}

export interface RouterSpec {
  legs: string[];
  /** Default: every ordered pair of legs, accepted both ways. */
  forward?: ForwardSpec[];
  masquerade?: string[];
  ipv6?: boolean;
}

export interface PlannedSysctl {
  name: string;
  key: string;
  value: string;
}

export interface PlannedRule {
  name: string;
  family: "ipv4" | "ipv6";
  table: "filter" | "nat";
  chain: "FORWARD" | "POSTROUTING";
  rule: string[];
}

export function routerPlan(spec: RouterSpec): { sysctls: PlannedSysctl[]; rules: PlannedRule[] } {
  const families: Array<"ipv4" | "ipv6"> = spec.ipv6 ? ["ipv4", "ipv6"] : ["ipv4"];
  const sysctls: PlannedSysctl[] = [
    { name: "ip-forward", key: "net.ipv4.ip_forward", value: "1" },
    ...(spec.ipv6 ? [{ name: "ipv6-forwarding", key: "net.ipv6.conf.all.forwarding", value: "1" }] : []),
  ];
  const pairs: ForwardSpec[] = spec.forward ?? spec.legs.flatMap((from) => spec.legs.filter((to) => to !== from).map((to) => ({ from, to })));
  const rules: PlannedRule[] = [];
  for (const family of families) {
    const v = family === "ipv6" ? "-v6" : "";
    for (const { from, to, stateful } of pairs) {
      rules.push({ name: `fwd-${from}-${to}${v}`, family, table: "filter", chain: "FORWARD", rule: ["-i", from, "-o", to, "-j", "ACCEPT"] });
      if (stateful) {
        rules.push({ name: `ret-${to}-${from}${v}`, family, table: "filter", chain: "FORWARD", rule: ["-i", to, "-o", from, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"] });
      }
    }
    if (family === "ipv4") for (const out of spec.masquerade ?? []) rules.push({ name: `masq-${out}`, family, table: "nat", chain: "POSTROUTING", rule: ["-o", out, "-j", "MASQUERADE"] });
  }
  return { sysctls, rules };
}

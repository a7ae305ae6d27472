import { filterVerdict, natEffect, parseRule } from "../../../model/firewall";
import { v4 } from "../../../model/ip";
import type { RuleEntry } from "../../../model/model";

const entry = (chain: string, tokens: string[], table = chain === "POSTROUTING" ? "nat" : "filter", first = false): RuleEntry => ({
  ns: "|r",
  family: "ipv4",
  table,
  chain,
  tokens,
  first,
  origin: { urn: `urn:${tokens.join("_")}`, kind: "IptablesRule", name: tokens.join(" ") },
});
const pkt = { in: "eth0", out: "eth1", src: v4("10.0.0.2")!, dst: v4("10.9.0.2")!, state: "NEW" as const };
const verdict = (rules: RuleEntry[], p = pkt) => {
  const v = filterVerdict(rules, p);
  return "unknown" in v ? `unknown: ${v.unknown}` : v.value;
};

describe("the iptables subset", () => {
  it("takes the seed's router rules and Docker's, and says why it does not take others", () => {
    for (const tokens of [
      ["-i", "enp0s8", "-o", "enp0s9", "-j", "ACCEPT"],
      ["-i", "uplink0", "-o", "docker0", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
      ["-o", "docker+", "-m", "state", "--state", "ESTABLISHED", "-j", "ACCEPT"],
      ["!", "-s", "172.17.0.0/16", "-p", "icmp", "-j", "REJECT", "--reject-with", "icmp-host-prohibited"],
    ]) {
      expect(parseRule(entry("FORWARD", tokens))).not.toHaveProperty("outside");
    }
    expect(parseRule(entry("POSTROUTING", ["-s", "172.17.0.0/16", "!", "-o", "docker0", "-j", "MASQUERADE", "--random-fully"]))).not.toHaveProperty("outside");
    const outside = (chain: string, tokens: string[], table?: string) => (parseRule(entry(chain, tokens, table)) as { outside: string }).outside.replace(/^.*subset: /, "");
    expect(outside("FORWARD", ["-p", "icmp", "--icmp-type", "8", "-j", "ACCEPT"])).toBe("option --icmp-type");
    expect(outside("FORWARD", ["-m", "mark", "--mark", "1", "-j", "DROP"])).toBe("-m mark");
    expect(outside("FORWARD", ["-j", "DOCKER-USER"])).toBe("-j DOCKER-USER in the filter table");
    expect(outside("FORWARD", ["-s", "10.0.0.1,10.0.0.2", "-j", "DROP"])).toBe("-s 10.0.0.1,10.0.0.2 (one IPv4 address or network only)");
    expect(outside("FORWARD", ["-s", "10.0.0.1"])).toBe("no -j target (a rule that only counts is harmless, but the model does not take it)");
    expect(outside("POSTROUTING", ["-j", "DROP"])).toBe("-j DROP in the nat table");
    expect(outside("POSTROUTING", ["-j", "SNAT", "--to-source", "10.0.0.1:1000-2000"])).toBe("--to-source 10.0.0.1:1000-2000 (one IPv4 address only)");
  });

  it("matches interfaces (a trailing + is a prefix), networks, protocol and conntrack state, each negated with !", () => {
    expect(verdict([entry("FORWARD", ["-i", "eth+", "-j", "DROP"])])).toBe("DROP");
    expect(verdict([entry("FORWARD", ["-i", "eth1", "-j", "DROP"])])).toBe("ACCEPT");
    expect(verdict([entry("FORWARD", ["!", "-i", "eth1", "-j", "DROP"])])).toBe("DROP");
    expect(verdict([entry("FORWARD", ["-d", "10.9.0.0/24", "-j", "DROP"])])).toBe("DROP");
    expect(verdict([entry("FORWARD", ["-s", "10.9.0.0/24", "-j", "DROP"])])).toBe("ACCEPT");
    expect(verdict([entry("FORWARD", ["-p", "udp", "-j", "DROP"])])).toBe("ACCEPT");
    expect(verdict([entry("FORWARD", ["!", "-p", "udp", "-j", "DROP"])])).toBe("DROP");
    expect(verdict([entry("FORWARD", ["-m", "conntrack", "--ctstate", "ESTABLISHED", "-j", "DROP"])])).toBe("ACCEPT");
    expect(verdict([entry("FORWARD", ["-m", "conntrack", "--ctstate", "ESTABLISHED", "-j", "DROP"])], { ...pkt, state: "ESTABLISHED" as never })).toBe("DROP");
    expect(verdict([entry("FORWARD", ["-j", "RETURN"])])).toBe("ACCEPT");
  });

  it("rules that disagree decide only when their order is known: position 1 comes before every appended rule", () => {
    const both = [entry("FORWARD", ["-j", "DROP"]), entry("FORWARD", ["-i", "eth0", "-j", "ACCEPT"])];
    expect(verdict(both)).toMatch(/^unknown: .* all match and disagree, and their order in FORWARD is not fixed by the stack$/);
    expect(verdict([entry("FORWARD", ["-j", "DROP"]), entry("FORWARD", ["-i", "eth0", "-j", "ACCEPT"], "filter", true)])).toBe("ACCEPT");
    expect(verdict([entry("FORWARD", ["-j", "DROP"]), entry("FORWARD", ["-j", "REJECT"])])).toBe("DROP");
  });

  it("nat POSTROUTING: MASQUERADE, SNAT to an address, or nothing", () => {
    const nat = (rules: RuleEntry[]) => natEffect(rules, pkt);
    expect(nat([entry("POSTROUTING", ["-o", "eth1", "-j", "MASQUERADE"])])).toMatchObject({ value: { kind: "masquerade" } });
    expect(nat([entry("POSTROUTING", ["-o", "eth0", "-j", "MASQUERADE"])])).toMatchObject({ value: { kind: "none" } });
    expect(nat([entry("POSTROUTING", ["-j", "SNAT", "--to-source", "10.9.0.1"])])).toMatchObject({ value: { kind: "snat", to: v4("10.9.0.1") } });
    expect(nat([entry("POSTROUTING", ["-j", "SNAT", "--to-source", "10.9.0.1"]), entry("POSTROUTING", ["-j", "MASQUERADE"])])).toHaveProperty("unknown");
  });
});

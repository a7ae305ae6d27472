import { argv as iptArgv, findMarked, schema as ruleSchema, splitRuleLine } from "../../provider/kinds/iptables";
import { argv as routeArgv, schema as routeSchema } from "../../provider/kinds/route";
import { schema as sysctlSchema } from "../../provider/kinds/sysctl";
import { asInFreshNamespace, procPath, scopeProblem } from "../../provider/core/sysctl-scope";
import { checkWith } from "../../provider/core/validate";

describe("Sysctl inputs", () => {
  it("takes dotted keys, interface names with dots written as /, and numbers as values", () => {
    expect(checkWith(sysctlSchema, { key: "net.ipv4.ip_forward", value: 1 }).inputs).toMatchObject({ key: "net.ipv4.ip_forward", value: "1" });
    expect(checkWith(sysctlSchema, { key: "net.ipv4.conf.enp0s8/100.forwarding", value: " 1 " }).inputs?.value).toBe("1");
    expect(checkWith(sysctlSchema, { key: "net.ipv4.tcp_rmem", value: "4096\t87380   6291456" }).inputs?.value).toBe("4096 87380 6291456");
  });

  it.each([
    ["net..ipv4", "key"],
    ["ip_forward", "key"],
    ["net.ipv4.ip_forward=1", "key"],
    ["/proc/sys/net", "key"],
  ])("refuses the key %j, naming the rule", (key, property) => {
    const r = checkWith(sysctlSchema, { key, value: "1" });
    expect(r.failures).toEqual([{ property, reason: expect.stringContaining(`invalid key ${JSON.stringify(key)} (must be a dotted sysctl key like "net.ipv4.ip_forward"`) }]);
  });

  it("refuses an empty value or one holding = or a newline", () => {
    expect(checkWith(sysctlSchema, { key: "net.ipv4.ip_forward", value: "" }).failures[0].reason).toBe('invalid value "" (must not be empty, or hold "=" or a newline)');
    expect(checkWith(sysctlSchema, { key: "net.ipv4.ip_forward", value: "1\nkernel.x=1" }).failures[0].property).toBe("value");
    // whitespace is normalized to single spaces, but a newline is never taken for one
    expect(checkWith(sysctlSchema, { key: "net.ipv4.ip_forward", value: "1\n0" }).failures).toEqual([{ property: "value", reason: 'invalid value "1\\n0" (must not hold a newline: a setting\'s value is one line)' }]);
    expect(checkWith(sysctlSchema, { key: "net.ipv4.ip_forward", value: "1\r" }).failures[0].property).toBe("value");
  });

  it("refuses a key outside net.* unless it is asked for as host-wide, and then only without netns", () => {
    const rule = "is not per network namespace (only net.* keys are): it is one value for the whole machine, shared by every namespace; to change it for the whole machine anyway, set hostWide: true, without netns";
    expect(checkWith(sysctlSchema, { key: "vm.swappiness", value: 10 }).failures).toEqual([{ property: "key", reason: `invalid key "vm.swappiness" (${rule})` }]);
    expect(checkWith(sysctlSchema, { key: "kernel.panic", value: 5, netns: "r" }).failures).toEqual([{ property: "key", reason: `invalid key "kernel.panic" (${rule})` }]);
    expect(checkWith(sysctlSchema, { key: "vm.swappiness", value: 10, netns: "r", hostWide: true }).failures).toEqual([
      { property: "hostWide", reason: 'invalid hostWide true with netns "r" (a host-wide setting is set from the namespace pulumi runs in, where it is plain to see that it changes the whole machine: remove netns)' },
    ]);
    expect(checkWith(sysctlSchema, { key: "vm.swappiness", value: 10, hostWide: true }).inputs).toMatchObject({ key: "vm.swappiness", value: "10", hostWide: true });
    expect(checkWith(sysctlSchema, { key: "net.ipv4.ip_forward", value: 1, netns: "r" }).inputs?.hostWide).toBeUndefined();
  });

  it("looks at a key from a fresh namespace the way that namespace has it: interfaces as default, dotted names as files", () => {
    expect(asInFreshNamespace("net.ipv4.conf.eth0.forwarding")).toBe("net.ipv4.conf.default.forwarding");
    expect(asInFreshNamespace("net.ipv6.neigh.enp0s8/100.retrans_time_ms")).toBe("net.ipv6.neigh.default.retrans_time_ms");
    expect(asInFreshNamespace("net.ipv4.conf.all.rp_filter")).toBe("net.ipv4.conf.all.rp_filter");
    expect(asInFreshNamespace("net.core.somaxconn")).toBe("net.core.somaxconn");
    expect(procPath("net.ipv4.conf.enp0s8/100.forwarding")).toBe("/proc/sys/net/ipv4/conf/enp0s8.100/forwarding");
    expect(scopeProblem("netns")).toBeUndefined();
    expect(scopeProblem(undefined)).toBeUndefined();
    expect(scopeProblem("global")).toMatch(/^is not per network namespace: the kernel has it only in the initial network namespace/);
  });
});

const LOOPBACK_GATEWAY = "must not be a loopback address: a gateway is a neighbour on a link, and traffic sent via loopback never leaves this namespace";

describe("Route inputs and commands", () => {
  const route = (v: Record<string, unknown>) => checkWith(routeSchema, v);

  it("marks every route proto 148 and selects it by its key", () => {
    const i = route({ destination: "default", via: "172.16.10.1", netns: "d1" }).inputs!;
    expect(routeArgv.set("add", i)).toEqual(["-4", "route", "add", "default", "metric", "0", "table", "main", "via", "172.16.10.1", "proto", "148"]);
    const j = route({ destination: "fd00:20::/64", dev: "eth0", metric: 10, table: 100 }).inputs!;
    expect(j.family).toBe("ipv6");
    expect(routeArgv.del(j)).toEqual(["-6", "route", "del", "fd00:20::/64", "metric", "10", "table", "100", "proto", "148"]);
    expect(routeArgv.show(j)).toEqual(["-6", "route", "show", "table", "100", "exact", "fd00:20::/64"]);
    // no metric given: the kernel's own (IPv6 user routes: 1024), so a delete never hits a neighbour of another metric
    expect(routeArgv.del(route({ destination: "fd00:30::/64", dev: "eth0" }).inputs!)).toEqual(["-6", "route", "del", "fd00:30::/64", "metric", "1024", "table", "main", "proto", "148"]);
  });

  it.each([
    [{ destination: "10.0.0.1/24", via: "10.0.0.254" }, "destination", 'invalid destination "10.0.0.1/24" (must be a network address with its host bits zero, like 10.0.0.0/24)'],
    [{ destination: "default" }, "via", "invalid route (must have a gateway `via`, a device `dev`, or both)"],
    [{ destination: "10.0.0.0/24", via: "fd00::1" }, "via", 'invalid via "fd00::1" (must be of the destination\'s address family)'],
    [{ destination: "default", dev: "eth0", metric: -1 }, "metric", "invalid metric -1 (must be a whole number from 0 to 4294967295)"],
    [{ destination: "default", dev: "eth0", table: "mine" }, "table", 'invalid table "mine" (must be "main" or a number from 1 to 4294967295)'],
    [{ destination: "10.0.0.0/24", via: "127.0.0.1" }, "via", `invalid via "127.0.0.1" (${LOOPBACK_GATEWAY})`],
    [{ destination: "default", via: "127.3.2.1" }, "via", `invalid via "127.3.2.1" (${LOOPBACK_GATEWAY})`],
    [{ destination: "fd00::/64", via: "::1" }, "via", `invalid via "::1" (${LOOPBACK_GATEWAY})`],
    [{ destination: "default", via: "0.0.0.0" }, "via", 'invalid via "0.0.0.0" (must not be the unspecified address (it means "any"))'],
    [{ destination: "default", via: "224.0.0.9" }, "via", 'invalid via "224.0.0.9" (must not be a multicast address (a group, not a neighbour))'],
  ])("refuses %j", (v, property, reason) => {
    expect(route(v).failures).toEqual([{ property, reason }]);
  });
});

describe("IptablesRule inputs and commands", () => {
  const rule = (v: Record<string, unknown>) => checkWith(ruleSchema, { chain: "FORWARD", ...v });

  it("appends or inserts the rule with its mark as a comment, with -w", () => {
    const i = rule({ table: "nat", chain: "POSTROUTING", rule: ["-o", "enp0s8.100", "-j", "MASQUERADE"], owner: "lab/dev/IptablesRule/masq" }).inputs!;
    expect(iptArgv.add(i)).toEqual(["iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-o", "enp0s8.100", "-j", "MASQUERADE", "-m", "comment", "--comment", "linuxnet:lab/dev/IptablesRule/masq"]);
    const j = rule({ rule: ["-j", "ACCEPT"], position: 2, family: "ipv6" }).inputs!;
    expect(iptArgv.add(j)).toEqual(["ip6tables", "-w", "-t", "filter", "-I", "FORWARD", "2", "-j", "ACCEPT"]);
  });

  it.each([
    [{ rule: [] }, "rule", 'invalid rule [] (must not be empty: give at least a target, like ["-j", "ACCEPT"])'],
    [{ rule: ["-A", "INPUT", "-j", "ACCEPT"] }, "rule[0]", 'invalid rule token "-A" (must not be the option -A: the table, chain, position and the rule\'s comment (its ownership mark) are set by the resource)'],
    [{ rule: ["-m", "comment", "--comment", "x", "-j", "ACCEPT"] }, "rule[1]", 'invalid rule token "comment" (must not add a comment match: the comment is the rule\'s ownership mark)'],
    [{ rule: ["-j", "ACCEPT"], chain: "-X" }, "chain", 'invalid chain "-X" (must be 1–28 letters, digits or _ . -, not starting with "-", like FORWARD or POSTROUTING)'],
    [{ rule: ["-j", "ACCEPT"], table: "nats" }, "table", 'invalid table "nats" (must be one of "filter", "nat", "mangle", "raw", "security")'],
    [{ rule: ["-j", "ACCEPT"], position: 0 }, "position", 'invalid position 0 (must be "append" or a whole number from 1: insert at that place)'],
  ])("refuses %j", (v, property, reason) => {
    expect(rule(v).failures).toEqual([{ property, reason }]);
  });

  it("takes a token holding a space as one argv element, for iptables to judge", () => {
    const { inputs, failures } = rule({ rule: ["-j ACCEPT"], owner: "lab/dev/IptablesRule/r" });
    expect(failures).toEqual([]);
    expect(iptArgv.add(inputs!)).toEqual(["iptables", "-w", "-t", "filter", "-A", "FORWARD", "-j ACCEPT", "-m", "comment", "--comment", "linuxnet:lab/dev/IptablesRule/r"]);
  });

  it("parses iptables -S lines as iptables quotes them, and finds a rule by its exact mark", () => {
    expect(splitRuleLine('-A FORWARD -p tcp -m tcp --dport 80 -m comment --comment "x \\"y\\" z" -j LOG --log-prefix "a b"')).toEqual([
      "-A", "FORWARD", "-p", "tcp", "-m", "tcp", "--dport", "80", "-m", "comment", "--comment", 'x "y" z', "-j", "LOG", "--log-prefix", "a b",
    ]);
    const listing = ['-P FORWARD ACCEPT', '-A FORWARD -i a -m comment --comment "linuxnet:p/s/IptablesRule/fwd2" -j ACCEPT', '-A FORWARD -i b -m comment --comment "linuxnet:p/s/IptablesRule/fwd" -j DROP'].join("\n");
    expect(findMarked(listing, "FORWARD", "linuxnet:p/s/IptablesRule/fwd")).toEqual(["-i", "b", "-m", "comment", "--comment", "linuxnet:p/s/IptablesRule/fwd", "-j", "DROP"]);
    expect(findMarked(listing, "FORWARD", "linuxnet:p/s/IptablesRule/none")).toBeUndefined();
  });
});

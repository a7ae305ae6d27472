import { answer, bridge, endpoint, forwarding, macvlanNetwork, type Network, ns, ping, res, route, rule, sysctl, veth } from "./states";

/** a (10.0.0.1) and b (10.0.0.2) on one veth pair. */
const pair = (o: { aUp?: boolean; bUp?: boolean; loA?: boolean } = {}) => [
  ns("a", o.loA ?? true),
  ns("b"),
  veth("ab", { name: "eth0", netns: "a", addresses: ["10.0.0.1/24"], up: o.aUp ?? true }, { name: "eth0", netns: "b", addresses: ["10.0.0.2/24"], up: o.bUp ?? true }),
];

/** c (10.0.0.2) — r (10.0.0.1 | 10.9.0.1) — s (10.9.0.2): each end routes through r by default. */
const routed = (extra: ReturnType<typeof res>[] = [], o: { sRoute?: boolean } = {}) => [
  ns("c"),
  ns("r"),
  ns("s"),
  veth("c-r", { name: "eth0", netns: "c", addresses: ["10.0.0.2/24"] }, { name: "eth0", netns: "r", addresses: ["10.0.0.1/24"] }),
  veth("r-s", { name: "eth1", netns: "r", addresses: ["10.9.0.1/24"] }, { name: "eth0", netns: "s", addresses: ["10.9.0.2/24"] }),
  route("c-default", "c", "default", "10.0.0.1"),
  ...(o.sRoute === false ? [] : [route("s-default", "s", "default", "10.9.0.1")]),
  ...extra,
];

describe("the reachability model: layer 3", () => {
  it("a veth pair: each end reaches the other and its own address (TTL 64, no router)", () => {
    expect(answer(ping(pair(), "a", "10.0.0.2"))).toBe("reachable 64");
    expect(ping(pair(), "a", "10.0.0.2").reason).toBe("on one link with b");
    expect(answer(ping(pair(), "b", "10.0.0.1"))).toBe("reachable 64");
    expect(ping(pair(), "a", "10.0.0.1").reason).toBe("its own address, through lo");
  });

  it("with lo down a namespace does not reach even its own address", () => {
    const p = ping(pair({ loA: false }), "a", "10.0.0.1");
    expect(p.answer).toBe("unreachable");
    expect(p.reason).toBe("lo is down in a: a namespace reaches even its own addresses only through lo");
    expect(answer(ping(pair({ loA: false }), "a", "10.0.0.2"))).toBe("reachable 64");
  });

  it("an end set down: nothing reaches over the pair, but the address stays local to its namespace", () => {
    const p = ping(pair({ bUp: false }), "a", "10.0.0.2");
    expect(p.answer).toBe("unreachable");
    expect(p.reason).toBe("nobody answers for 10.0.0.2 on the link of a eth0: its peer b eth0 is down");
    expect(answer(ping(pair({ bUp: false }), "b", "10.0.0.2"))).toBe("reachable 64");
    expect(ping(pair({ bUp: false }), "b", "10.0.0.1").reason).toBe("b has no route to 10.0.0.1");
  });

  it("a namespace without forwarding is no router (ip_forward is 0 in a new namespace), though its own far address answers", () => {
    const p = ping(routed(), "c", "10.9.0.2");
    expect(p.answer).toBe("unreachable");
    expect(p.reason).toBe("r does not forward: net.ipv4.ip_forward is 0 (a new namespace's default)");
    expect(answer(ping(routed(), "c", "10.9.0.1"))).toBe("reachable 64");
  });

  it("through a router the reply comes back with TTL 63, through two with 62", () => {
    const p = ping(routed([forwarding("r")]), "c", "10.9.0.2");
    expect(answer(p)).toBe("reachable 63");
    expect(p.reason).toBe("through r; the reply crosses 1 router");
    expect(p.path).toEqual(["c eth0 → r eth0", "r forwards eth0 → eth1", "r eth1 → s eth0", "s replies from 10.9.0.2 to 10.0.0.2", "s eth0 → r eth1", "r forwards eth1 → eth0", "r eth0 → c eth0"]);
    const longer = [
      ...routed([forwarding("r"), forwarding("s"), route("r-far", "r", "10.8.0.0/24", "10.9.0.2")]),
      ns("t"),
      veth("s-t", { name: "eth1", netns: "s", addresses: ["10.8.0.1/24"] }, { name: "eth0", netns: "t", addresses: ["10.8.0.2/24"] }),
      route("t-default", "t", "default", "10.8.0.1"),
    ];
    expect(answer(ping(longer, "c", "10.8.0.2"))).toBe("reachable 62");
  });

  it("the reply's TTL starts at the answering namespace's ip_default_ttl; echo requests ignored are unreachable", () => {
    expect(answer(ping(routed([forwarding("r"), sysctl("s-ttl", "s", "net.ipv4.ip_default_ttl", "100")]), "c", "10.9.0.2"))).toBe("reachable 99");
    const p = ping(routed([forwarding("r"), sysctl("s-ignore", "s", "net.ipv4.icmp_echo_ignore_all", "1")]), "c", "10.9.0.2");
    expect([p.answer, p.reason]).toEqual(["unreachable", "s ignores echo requests (net.ipv4.icmp_echo_ignore_all)"]);
  });

  it("a FORWARD DROP rule that matches drops it, naming the rule; one that does not match changes nothing", () => {
    const p = ping(routed([forwarding("r"), rule("r-drop", "r", "FORWARD", ["-i", "eth0", "-o", "eth1", "-j", "DROP"])]), "c", "10.9.0.2");
    expect([p.answer, p.reason]).toEqual(["unreachable", "r drops it in FORWARD (IptablesRule r-drop)"]);
    expect(answer(ping(routed([forwarding("r"), rule("r-drop", "r", "FORWARD", ["-s", "10.7.0.0/16", "-j", "DROP"])]), "c", "10.9.0.2"))).toBe("reachable 63");
    expect(answer(ping(routed([forwarding("r"), rule("r-drop", "r", "FORWARD", ["-p", "tcp", "-j", "DROP"])]), "c", "10.9.0.2"))).toBe("reachable 63");
    expect(answer(ping(routed([forwarding("r"), rule("r-drop", "r", "FORWARD", ["-i", "eth0", "!", "-d", "10.9.0.2", "-j", "DROP"])]), "c", "10.9.0.2"))).toBe("reachable 63");
    // The reply is a packet too: one that matches it drops the reply.
    const back = ping(routed([forwarding("r"), rule("r-drop", "r", "FORWARD", ["!", "-d", "10.9.0.2", "-j", "DROP"])]), "c", "10.9.0.2");
    expect([back.answer, back.reason]).toEqual(["unreachable", "r drops the reply in FORWARD (IptablesRule r-drop)"]);
  });

  it("rules that match and disagree are unknown, unless one was inserted at position 1 (before every appended rule)", () => {
    const rules = (first: boolean) => [
      rule("r-drop", "r", "FORWARD", ["-j", "DROP"]),
      rule("r-accept", "r", "FORWARD", ["-i", "eth0", "-o", "eth1", "-j", "ACCEPT"], first ? { position: 1 } : {}),
    ];
    const p = ping(routed([forwarding("r"), ...rules(false)]), "c", "10.9.0.2");
    expect(p.answer).toBe("unknown");
    expect(p.reason).toContain("all match and disagree, and their order in FORWARD is not fixed by the stack");
    // The request (eth0 → eth1) meets the ACCEPT first; the reply (eth1 → eth0) only the DROP.
    const first = ping(routed([forwarding("r"), ...rules(true)]), "c", "10.9.0.2");
    expect([first.answer, first.reason]).toEqual(["unreachable", "r drops the reply in FORWARD (IptablesRule r-drop)"]);
    expect(first.path).toContain("s replies from 10.9.0.2 to 10.0.0.2");
    const both = [...rules(true), rule("r-back", "r", "FORWARD", ["-i", "eth1", "-o", "eth0", "-j", "ACCEPT"], { position: 1 })];
    expect(answer(ping(routed([forwarding("r"), ...both]), "c", "10.9.0.2"))).toBe("reachable 63");
  });

  it("stateful forwarding: new traffic one way only, replies back through conntrack RELATED,ESTABLISHED", () => {
    const stateful = [
      forwarding("r"),
      rule("fwd", "r", "FORWARD", ["-i", "eth0", "-o", "eth1", "-j", "ACCEPT"], { position: 1 }),
      rule("ret", "r", "FORWARD", ["-i", "eth1", "-o", "eth0", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"], { position: 1 }),
      rule("drop", "r", "FORWARD", ["-j", "DROP"]),
    ];
    expect(answer(ping(routed(stateful), "c", "10.9.0.2"))).toBe("reachable 63");
    const back = ping(routed(stateful), "s", "10.0.0.2");
    expect([back.answer, back.reason]).toEqual(["unreachable", "r drops it in FORWARD (IptablesRule drop)"]);
  });

  it("MASQUERADE brings the reply back where the far side has no route to the sender", () => {
    const p = ping(routed([forwarding("r")], { sRoute: false }), "c", "10.9.0.2");
    expect([p.answer, p.reason]).toEqual(["unreachable", "s has no route to 10.0.0.2"]);
    const masq = ping(routed([forwarding("r"), rule("masq", "r", "POSTROUTING", ["-o", "eth1", "-j", "MASQUERADE"])], { sRoute: false }), "c", "10.9.0.2");
    expect(answer(masq)).toBe("reachable 63");
    expect(masq.reason).toBe("through r, masqueraded by r; the reply crosses 1 router");
    expect(masq.path).toContain("r masquerades 10.0.0.2 as 10.9.0.1");
    expect(masq.path).toContain("s replies from 10.9.0.2 to 10.9.0.1");
    const snat = ping(routed([forwarding("r"), rule("snat", "r", "POSTROUTING", ["-o", "eth1", "-j", "SNAT", "--to-source", "10.9.0.1"])], { sRoute: false }), "c", "10.9.0.2");
    expect(answer(snat)).toBe("reachable 63");
  });

  it("the route with the longest prefix wins, then the lowest metric; two alike are unknown", () => {
    const twoWays = [
      ...routed([forwarding("r")]),
      ns("x"),
      veth("c-x", { name: "eth1", netns: "c", addresses: ["10.5.0.2/24"] }, { name: "eth0", netns: "x", addresses: ["10.5.0.1/24"] }),
    ];
    expect(answer(ping([...twoWays, route("c-via-x", "c", "10.9.0.0/24", "10.5.0.1")], "c", "10.9.0.2"))).toBe("unreachable"); // x does not forward
    expect(ping([...twoWays, route("c-via-x", "c", "10.9.0.0/16", "10.5.0.1")], "c", "10.9.0.2").reason).toBe("x does not forward: net.ipv4.ip_forward is 0 (a new namespace's default)"); // /16 beats default
    expect(answer(ping([...twoWays, route("c-via-x", "c", "default", "10.5.0.1", { metric: 5 })], "c", "10.9.0.2"))).toBe("reachable 63");
    expect(ping([...twoWays, route("c-via-x", "c", "default", "10.5.0.1")], "c", "10.9.0.2").reason).toBe("c has 2 routes to default with metric 0 (route default via 10.0.0.1; route default via 10.5.0.1)");
    expect(answer(ping([...twoWays, route("c-via-x", "c", "default", "10.5.0.1", { table: "100" })], "c", "10.9.0.2"))).toBe("reachable 63"); // no rule selects table 100
  });
});

describe("the reachability model: layer 2", () => {
  /** Bridge br0 (10.1.0.1) in h with c1 and c2 on it. */
  const lan = (o: { brUp?: boolean; stp?: boolean; c2Port?: boolean } = {}) => [
    ns("h"),
    ns("c1"),
    ns("c2"),
    bridge("br0", "h", ["10.1.0.1/24"], { up: o.brUp ?? true, stp: o.stp ?? false }),
    veth("c1-eth0", { name: "eth0", netns: "c1", addresses: ["10.1.0.11/24"] }, { name: "veth-c1", netns: "h", master: "br0" }),
    veth("c2-eth0", { name: "eth0", netns: "c2", addresses: ["10.1.0.12/24"] }, { name: "veth-c2", netns: "h", ...(o.c2Port === false ? {} : { master: "br0" }) }),
  ];

  it("ports of one bridge reach each other and the bridge's address; a port left off does not", () => {
    expect(answer(ping(lan(), "c1", "10.1.0.12"))).toBe("reachable 64");
    expect(answer(ping(lan(), "c1", "10.1.0.1"))).toBe("reachable 64");
    expect(answer(ping(lan(), "h", "10.1.0.11"))).toBe("reachable 64");
    expect(ping(lan({ c2Port: false }), "c1", "10.1.0.12").reason).toBe("nobody answers for 10.1.0.12 on the link of c1 eth0");
    expect(answer(ping(lan({ brUp: false }), "c1", "10.1.0.12"))).toBe("unreachable");
  });

  it("a bridge running STP is unknown: its ports forward only after the forward delay", () => {
    const p = ping(lan({ stp: true }), "c1", "10.1.0.12");
    expect([p.answer, p.reason]).toEqual(["unknown", "bridge h br0 runs STP: its ports forward only after the forward delay, if STP does not block them"]);
  });

  /** Two hosts with enp0s8 on bridge br-lan (namespace lan); mac1 on each; c1, c3 on host1, c2 on host2. */
  const macvlan = (mode = "bridge", shim = false) => {
    const net = (host: string): Network => ({ name: "mac1", parent: "enp0s8", netns: host, mode, subnet: "172.16.10.0/24", gateway: "172.16.10.1", ...(shim && host === "host1" && { hostAccess: { name: "mac1-shim", address: "172.16.10.254" } }) });
    return [
      ...["lan", "host1", "host2", "c1", "c2", "c3"].map((n) => ns(n)),
      bridge("br-lan", "lan"),
      veth("host1-enp0s8", { name: "enp0s8", netns: "host1", addresses: ["172.16.10.250/24"] }, { name: "lan1", netns: "lan", master: "br-lan" }),
      veth("host2-enp0s8", { name: "enp0s8", netns: "host2" }, { name: "lan2", netns: "lan", master: "br-lan" }),
      macvlanNetwork(net("host1")),
      macvlanNetwork(net("host2")),
      endpoint("c1", "c1", "172.16.10.2", net("host1")),
      endpoint("c2", "c2", "172.16.10.3", net("host2")),
      endpoint("c3", "c3", "172.16.10.4", net("host1")),
    ];
  };

  it("macvlan bridge mode: endpoints of one parent reach each other, and those of another parent across the LAN", () => {
    expect(answer(ping(macvlan(), "c1", "172.16.10.4"))).toBe("reachable 64");
    expect(answer(ping(macvlan(), "c1", "172.16.10.3"))).toBe("reachable 64");
    expect(answer(ping(macvlan(), "host1", "172.16.10.3"))).toBe("reachable 64");
  });

  it("the parent does not reach its own macvlan endpoints, unless the network has a host shim", () => {
    const p = ping(macvlan(), "host1", "172.16.10.2");
    expect([p.answer, p.reason]).toEqual([
      "unreachable",
      "nobody answers for 172.16.10.2 on the link of host1 enp0s8: host1 enp0s8 does not reach its own macvlan interface c1 eth0 (a host shim, hostAccess, does)",
    ]);
    expect(answer(ping(macvlan("bridge", true), "host1", "172.16.10.2"))).toBe("reachable 64");
    expect(ping(macvlan("bridge", true), "host1", "172.16.10.2").path[0]).toBe("host1 mac1-shim → c1 eth0");
    expect(answer(ping(macvlan("bridge", true), "c1", "172.16.10.254"))).toBe("reachable 64");
  });

  it("private mode keeps endpoints of one parent apart; vepa needs a hairpin no bridge here makes", () => {
    const p = ping(macvlan("private"), "c1", "172.16.10.4");
    expect([p.answer, p.reason]).toEqual(["unreachable", "nobody answers for 172.16.10.4 on the link of c1 eth0: c1 eth0 and c3 eth0 are macvlan interfaces of one parent in private mode, which keeps them apart"]);
    expect(answer(ping(macvlan("private"), "c1", "172.16.10.3"))).toBe("reachable 64");
    const v = ping(macvlan("vepa"), "c1", "172.16.10.4");
    expect(v.answer).toBe("unreachable");
    expect(v.reason).toContain("vepa mode: their frames go out to the link and no bridge of the stack sends them back (no hairpin)");
  });

  it("vepa on a parent the stack does not manage is unknown: the switch outside may send frames back", () => {
    const net: Network = { name: "mac1", parent: "eno1", netns: "host", mode: "vepa", subnet: "172.16.10.0/24", gateway: "172.16.10.1" };
    const state = [ns("host"), ns("c1"), ns("c3"), macvlanNetwork(net), endpoint("c1", "c1", "172.16.10.2", net), endpoint("c3", "c3", "172.16.10.4", net)];
    const p = ping(state, "c1", "172.16.10.4");
    expect([p.answer, p.reason]).toEqual(["unknown", "c1 eth0 sits on eno1 in host, which the stack does not manage"]);
  });

  it("VLAN sub-interfaces hear each other across the LAN by parent and id, not across ids", () => {
    const vlan = (host: string, id: number, address: string) =>
      res("VlanInterface", `${host}-enp0s8.${id}`, { name: `enp0s8.${id}`, parent: "enp0s8", vlanId: id, protocol: "802.1Q", netns: host, addresses: [address], up: true });
    const state = [
      ...["lan", "h1", "h2", "h3"].map((n) => ns(n)),
      bridge("br-lan", "lan"),
      ...["h1", "h2", "h3"].map((h) => veth(`${h}-nic`, { name: "enp0s8", netns: h }, { name: `lan-${h}`, netns: "lan", master: "br-lan" })),
      vlan("h1", 100, "10.100.0.1/24"),
      vlan("h2", 100, "10.100.0.2/24"),
      vlan("h3", 200, "10.100.0.3/24"),
    ];
    expect(answer(ping(state, "h1", "10.100.0.2"))).toBe("reachable 64");
    expect(ping(state, "h1", "10.100.0.3").reason).toBe("nobody answers for 10.100.0.3 on the link of h1 enp0s8.100");
  });
});

describe("the reachability model says unknown, with the reason, for what it does not cover", () => {
  it("pulumi's own namespace, unless taken as fresh", () => {
    const state = [ns("net1"), veth("v", { name: "veth1", netns: "net1", addresses: ["192.168.0.101/24"] }, { name: "veth1_p", addresses: ["192.168.0.100/24"] })];
    const p = ping(state, "net1", "192.168.0.100", false);
    expect([p.answer, p.reason]).toEqual([
      "unknown",
      "pulumi's own is not made by the stack: its routes, firewall and sysctls are not known (--own-netns fresh assumes it is a new namespace holding only what the stack declares)",
    ]);
    expect(answer(ping(state, "net1", "192.168.0.100", true))).toBe("reachable 64");
    expect(answer(ping(state, "pulumi's own", "192.168.0.101", true))).toBe("reachable 64");
  });

  it("a rule outside the iptables subset, a chain the model does not evaluate, a sysctl it does not read", () => {
    const tcp = ping(routed([forwarding("r"), rule("ssh", "r", "FORWARD", ["-p", "tcp", "--dport", "22", "-j", "ACCEPT"])]), "c", "10.9.0.2");
    expect([tcp.answer, tcp.reason]).toEqual(["unknown", "iptables -t filter -A FORWARD -p tcp --dport 22 -j ACCEPT (IptablesRule ssh) is outside the model's iptables subset: option --dport"]);
    const mangle = ping(routed([forwarding("r"), rule("ttl", "r", "PREROUTING", ["-j", "TTL", "--ttl-set", "9"], { table: "mangle" })]), "c", "10.9.0.2");
    expect(mangle.reason).toMatch(/^iptables -t mangle -A PREROUTING -j TTL --ttl-set 9 \(IptablesRule ttl\) is in a chain the model does not evaluate/);
    const rp = ping(routed([forwarding("r"), sysctl("rp", "r", "net.ipv4.conf.all.rp_filter", "1")]), "c", "10.9.0.2");
    expect(rp.reason).toMatch(/^sysctl net\.ipv4\.conf\.all\.rp_filter=1 \(Sysctl rp\) is outside the model/);
    // A rule in a namespace the packet never touches changes nothing.
    expect(answer(ping([...routed([forwarding("r")]), rule("ssh", "c", "INPUT", ["-p", "tcp", "--dport", "22", "-j", "ACCEPT"])], "r", "10.9.0.2"))).toBe("reachable 64");
  });

  it("a secret address, a kind the model does not know, an address not in the stack", () => {
    const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" };
    const hidden = [ns("a"), ns("b"), veth("ab", { name: "eth0", netns: "a", addresses: ["10.0.0.1/24"] }, { name: "eth0", netns: "b", addresses: secret as never })];
    expect(ping(hidden, "a", "10.0.0.1").answer).toBe("reachable");
    expect(ping(hidden, "b", "10.0.0.1").reason).toBe("VethPair ab's peer.addresses is a secret");
    const other = [...pair(), res("Tunnel", "tun", { name: "tun0", netns: "b" })];
    expect(ping(other, "a", "10.0.0.2").reason).toBe("Tunnel tun: a kind the reachability model does not cover");
    expect(ping(pair(), "a", "10.0.0.9").reason).toBe("10.0.0.9 is not an address of the stack");
    expect(ping(pair(), "a", "fd00::1").reason).toBe("fd00::1 is not an address of the stack");
    expect(ping(pair(), "a", "fd00::zz").reason).toBe("fd00::zz is not an address");
  });

  it("namespaces are told apart by machine: the same name on two hosts is two namespaces", () => {
    const on = (host: string) => ({ connection: { host, privateKey: "[secret]" } });
    const state = [ns("a", true, on("10.0.0.1")), ns("a", true, on("10.0.0.2")), res("Bridge", "br", { name: "br0", netns: "a", addresses: ["10.1.0.1/24"], up: true, ...on("10.0.0.2") })];
    expect(answer(ping(state, "a@10.0.0.2", "10.1.0.1"))).toBe("reachable 64");
    expect(ping(state, "a@10.0.0.1", "10.1.0.1").reason).toBe("a@10.0.0.1 has no route to 10.1.0.1");
  });
});

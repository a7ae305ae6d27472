import { entryFor, KINDS, whyReplaced } from "../../../cli/kinds";
import { COMPONENTS, KINDS as REGISTRY } from "../../../provider/registry";

describe("the kind table", () => {
  it("has an entry for every kind of the registry and every component, and no other", () => {
    const kinds = [...Object.values(REGISTRY).map((d) => d.kind), ...COMPONENTS];
    expect(kinds.length).toBeGreaterThanOrEqual(10);
    expect([...Object.keys(KINDS)].sort()).toEqual(kinds.sort());
  });

  it("says why an identity field replaces, by nested path or by its last part", () => {
    expect(whyReplaced("VethPair", "end.name")).toBe("the kernel name is the identity");
    expect(whyReplaced("VethPair", "peer.netns")).toMatch(/in another one it is a new link/);
    expect(whyReplaced("VlanInterface", "vlanId")).toBe("the kernel fixes a VLAN's id when it creates the link");
    expect(whyReplaced("MacvlanEndpoint", "network.parent")).toBe("a link is bound to its parent when the kernel creates it");
    expect(whyReplaced("Bridge", "addresses[0]")).toBeUndefined();
  });

  it("describes each kind in a few words, from its inputs", () => {
    expect(entryFor("VlanInterface").describe({ name: "eth0.10", parent: "eth0", vlanId: 10, protocol: "802.1Q", addresses: ["10.1.0.1/24"], netns: "r" }, "v")).toBe(
      "VLAN 10 eth0.10 10.1.0.1/24 on eth0 in r",
    );
    expect(entryFor("MacvlanEndpoint").describe({ name: "eth0", netns: "c1", address: "172.16.10.2", network: { parent: "enp0s8", netns: "host1", mode: "bridge" } }, "c1")).toBe(
      "macvlan endpoint eth0 172.16.10.2 in c1, on enp0s8 in host1",
    );
    expect(entryFor("Route").describe({ netns: "r", destination: "default", via: "10.0.0.1", table: "main", family: "ipv4" }, "x")).toBe("route default via 10.0.0.1 in r");
    expect(entryFor("VxlanInterface").describe({ name: "vxlan100", vni: 100, local: "10.77.0.1", remote: "10.77.0.2", port: 4789, dev: "mgmt0", master: "br0" }, "v")).toBe(
      "VXLAN 100 → 10.77.0.2:4789 vxlan100 from 10.77.0.1 over mgmt0, port of br0 in pulumi's own netns",
    );
    expect(entryFor("LinkShaping").describe({ dev: "eth0", netns: "near", delay: "50ms", jitter: "10ms", distribution: "normal", loss: 1, rate: "10mbit" }, "s")).toBe(
      "netem on eth0: delay 50ms ±10ms (normal), loss 1%, rate 10mbit in near",
    );
    expect(entryFor("LinkShaping").describe({ dev: "eth0", rate: "10mbit", limit: 50 }, "s")).toBe("tbf on eth0: rate 10mbit, limit 50 packets in pulumi's own netns");
    expect(whyReplaced("VxlanInterface", "vni")).toBe("the kernel fixes a VXLAN's VNI when it creates the link");
    expect(entryFor("Route").describe({ destination: "10.2.0.0/16", dev: "eth1", table: 100 }, "x")).toBe("route 10.2.0.0/16 dev eth1 table 100 in pulumi's own netns");
    expect(entryFor("Sysctl").describe({ netns: "r", key: "net.ipv4.ip_forward", value: "1" }, "x")).toBe("sysctl net.ipv4.ip_forward=1 in r");
    expect(entryFor("IptablesRule").describe({ table: "nat", chain: "POSTROUTING", rule: ["-o", "eth0", "-j", "MASQUERADE"], position: "append", family: "ipv4" }, "x")).toBe(
      "iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE in pulumi's own netns",
    );
    expect(entryFor("IptablesRule").describe({ table: "filter", chain: "FORWARD", rule: ["-j", "ACCEPT"], position: 1, family: "ipv6", netns: "r" }, "x")).toBe(
      "ip6tables -t filter -I FORWARD 1 -j ACCEPT in r",
    );
    expect(entryFor("Probe").describe({ netns: "d1", to: "172.16.20.10", expect: "reachable", ttl: 63, holds: true }, "x")).toBe("probe from d1 → 172.16.20.10: reachable, TTL 63");
    expect(entryFor("Probe").describe({ to: "10.0.0.2", port: 80, expect: "unreachable" }, "x")).toBe("probe from pulumi's own netns → 10.0.0.2 port 80: unreachable");
    expect(entryFor("Probe").describe({ netns: "d1", to: "172.16.20.10", expect: "reachable", ttl: 63, holds: false, seen: { reachable: true, ttl: 64 } }, "x")).toBe(
      "probe from d1 → 172.16.20.10: reachable, TTL 63 (last seen: reachable, TTL 64)",
    );
    expect(entryFor("Tunnel").describe({ name: "t0", netns: "n" }, "x")).toBe("Tunnel t0 in n");
  });
});

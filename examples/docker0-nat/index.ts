import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// docker0-style NAT, dual-stack: what Docker sets up so containers reach the world, with IPv6
// on (`"ipv6": true, "ip6tables": true`). Bridge docker0 (172.17.0.1/16, fd00:172:17::1/64 and
// Docker's link-local fe80::1/64) in the namespace pulumi runs in (the "host"), containers ns0
// and ns1 on it with default routes via docker0; an uplink veth (uplink0, 198.51.100.2/24,
// fd00:198:51:100::2/64) to a namespace playing "the outside" (198.51.100.1/24,
// fd00:198:51:100::1/64); the host routes docker0 → uplink0 (replies back) for both families
// and masquerades on uplink0 (NAT66 for IPv6, as Docker does), so the outside sees the
// uplink's addresses as the source.
//   config ns0Gateway (default 172.17.0.1; docker0 also has .254), ns0Metric, ns1Route (default
//   true; false: ns1 has no default routes, so it reaches only its own bridge): exercised by the test.
const config = new pulumi.Config();

const docker0 = new linuxnet.Bridge("docker0", { name: "docker0", addresses: ["172.17.0.1/16", "172.17.0.254/16", "fd00:172:17::1/64", "fe80::1/64"] });
const outside = new linuxnet.Namespace("outside", { name: "outside" });
const uplink = new linuxnet.VethPair("uplink", {
  end: { name: "uplink0", addresses: ["198.51.100.2/24", "fd00:198:51:100::2/64"] },
  peer: { name: "eth0", netns: outside, addresses: ["198.51.100.1/24", "fd00:198:51:100::1/64"] },
});

const containers = [0, 1].map((i) => {
  const ns = new linuxnet.Namespace(`ns${i}`, { name: `ns${i}` });
  const eth0 = new linuxnet.VethPair(`ns${i}-eth0`, {
    end: { name: "eth0", netns: ns, addresses: [`172.17.0.${101 + i}/16`, `fd00:172:17::${101 + i}/64`] },
    peer: { name: `veth${i}`, master: docker0 },
  });
  const metric = i === 0 ? config.getNumber("ns0Metric") : undefined;
  const gateway = (i === 0 && config.get("ns0Gateway")) || "172.17.0.1";
  if (i === 0 || config.getBoolean("ns1Route") !== false) {
    new linuxnet.Route(`ns${i}-default`, { destination: "default", via: gateway, metric, netns: ns }, { dependsOn: eth0 });
    // IPv6: ns0 via docker0's global address (as Docker routes), ns1 via its link-local one (as a router advertises itself).
    const via6 = i === 0 ? { via: "fd00:172:17::1" } : { via: "fe80::1", dev: "eth0" };
    new linuxnet.Route(`ns${i}-default6`, { destination: "default", family: "ipv6", ...via6, netns: ns }, { dependsOn: eth0 });
  }
  return { namespace: ns.name, addresses: eth0.end.addresses };
});

// sysctl -w net.ipv4.ip_forward=1; iptables -A FORWARD -i docker0 -o uplink0 -j ACCEPT;
// iptables -A FORWARD -i uplink0 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT;
// iptables -t nat -A POSTROUTING -o uplink0 -j MASQUERADE; and with ipv6: sysctl -w
// net.ipv6.conf.all.forwarding=1 and the same two FORWARD rules with ip6tables.
const nat = new linuxnet.Router(
  "host",
  { legs: [docker0, "uplink0"], forward: [{ from: docker0, to: "uplink0", stateful: true }], masquerade: ["uplink0"], ipv6: true },
  { dependsOn: [uplink] },
);
// The Router masquerades IPv4 only; NAT66 is one rule: ip6tables -t nat -A POSTROUTING -o uplink0 -j MASQUERADE
const nat66 = new linuxnet.IptablesRule("host-masq-uplink0-v6", { family: "ipv6", table: "nat", chain: "POSTROUTING", rule: ["-o", "uplink0", "-j", "MASQUERADE"] }, { dependsOn: [uplink] });

export { containers };
export const made = pulumi.all([nat.made, nat66.table, nat66.chain, nat66.rule]).apply(([m, table, chain, rule]) => [...m, `ip6tables -t ${table} -A ${chain} ${rule.join(" ")}`]);

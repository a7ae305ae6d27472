import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// docker0-style NAT: what Docker sets up so containers reach the world. Bridge docker0
// (172.17.0.1/16) in the namespace pulumi runs in (the "host"), containers ns0 and ns1 on it
// with a default route via docker0; an uplink veth (uplink0, 198.51.100.2/24) to a namespace
// playing "the outside" (198.51.100.1/24); the host routes docker0 → uplink0 (replies back)
// and masquerades on uplink0, so the outside sees the uplink's address as the source.
//   config ns0Gateway (default 172.17.0.1; docker0 also has .254), ns0Metric, ns1Route (default
//   true; false: ns1 has no default route, so it reaches only its own bridge): exercised by the test.
const config = new pulumi.Config();

const docker0 = new linuxnet.Bridge("docker0", { name: "docker0", addresses: ["172.17.0.1/16", "172.17.0.254/16"] });
const outside = new linuxnet.Namespace("outside", { name: "outside" });
const uplink = new linuxnet.VethPair("uplink", {
  end: { name: "uplink0", addresses: ["198.51.100.2/24"] },
  peer: { name: "eth0", netns: outside, addresses: ["198.51.100.1/24"] },
});

const containers = [0, 1].map((i) => {
  const ns = new linuxnet.Namespace(`ns${i}`, { name: `ns${i}` });
  const eth0 = new linuxnet.VethPair(`ns${i}-eth0`, {
    end: { name: "eth0", netns: ns, addresses: [`172.17.0.${101 + i}/16`] },
    peer: { name: `veth${i}`, master: docker0 },
  });
  const metric = i === 0 ? config.getNumber("ns0Metric") : undefined;
  const gateway = (i === 0 && config.get("ns0Gateway")) || "172.17.0.1";
  if (i === 0 || config.getBoolean("ns1Route") !== false) new linuxnet.Route(`ns${i}-default`, { destination: "default", via: gateway, metric, netns: ns }, { dependsOn: eth0 });
  return { namespace: ns.name, address: eth0.end.addresses[0] };
});

// sysctl -w net.ipv4.ip_forward=1; iptables -A FORWARD -i docker0 -o uplink0 -j ACCEPT;
// iptables -A FORWARD -i uplink0 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT;
// iptables -t nat -A POSTROUTING -o uplink0 -j MASQUERADE
const nat = new linuxnet.Router(
  "host",
  { legs: [docker0, "uplink0"], forward: [{ from: docker0, to: "uplink0", stateful: true }], masquerade: ["uplink0"] },
  { dependsOn: [uplink] },
);

export { containers };
export const made = nat.made;

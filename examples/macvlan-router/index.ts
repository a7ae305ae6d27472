import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// Macvlan networks joined by a router host, on a kernel without 802.1Q: the two networks are kept
// apart at layer 2 by one LAN bridge each (lan10, lan20 in namespace "sw") instead of VLANs
// enp0s8.100/.200 (examples/vlan-macvlan and examples/vlan-router have the VLAN form). Each host
// has enp0s8 on lan10 and enp0s9 on lan20; mac10 (172.16.10.0/24) and mac20 (172.16.20.0/24) are
// macvlan networks on them; d1/d3 are on mac10, d2/d4 on mac20. host3 has 172.16.10.1 on lan10
// and 172.16.20.1 on lan20 and, with config `router` (default true), routes between them.
const config = new pulumi.Config();
const routing = config.getBoolean("router") ?? true;

const sw = new linuxnet.Namespace("sw", { name: "sw" });
const lans = { lan10: new linuxnet.Bridge("lan10", { name: "lan10", netns: sw }), lan20: new linuxnet.Bridge("lan20", { name: "lan20", netns: sw }) };

/** A host namespace with enp0s8 on lan10 and enp0s9 on lan20 (addressed for host3). */
function host(k: number, addresses: { enp0s8?: string; enp0s9?: string } = {}) {
  const ns = new linuxnet.Namespace(`host${k}`, { name: `host${k}` });
  const nics = (["enp0s8", "enp0s9"] as const).map(
    (nic, n) =>
      new linuxnet.VethPair(`host${k}-${nic}`, {
        end: { name: nic, netns: ns, addresses: addresses[nic] ? [addresses[nic]!] : [] },
        peer: { name: `h${k}-${nic}`, netns: sw, master: n === 0 ? lans.lan10 : lans.lan20 },
      }),
  );
  return { ns, nics };
}

const networks = [
  { name: "mac10", nic: 0, subnet: "172.16.10.0/24", gateway: "172.16.10.1" },
  { name: "mac20", nic: 1, subnet: "172.16.20.0/24", gateway: "172.16.20.1" },
];
const hosts = [1, 2].map((k) => {
  const h = host(k);
  const nets = networks.map(
    (n) =>
      new linuxnet.MacvlanNetwork(`host${k}-${n.name}`, { name: n.name, parent: h.nics[n.nic].end.name, netns: h.ns, subnet: n.subnet, gateway: n.gateway, promiscuous: true }),
  );
  return { ...h, nets };
});

const made = [
  { name: "d1", host: 0, net: 0, address: "172.16.10.10" },
  { name: "d2", host: 0, net: 1, address: "172.16.20.10" },
  { name: "d3", host: 1, net: 0, address: "172.16.10.11" },
  { name: "d4", host: 1, net: 1, address: "172.16.20.11" },
].map((c) => {
  const ns = new linuxnet.Namespace(c.name, { name: c.name });
  const ep = new linuxnet.MacvlanEndpoint(c.name, { network: hosts[c.host].nets[c.net], netns: ns, address: c.address });
  return { container: c.name, address: ep.address, ns, ep };
});

// host3: the gateways 172.16.10.1 and 172.16.20.1, then, as done by hand,
// sysctl -w net.ipv4.ip_forward=1 and the MASQUERADE / FORWARD rules.
const host3 = host(3, { enp0s8: "172.16.10.1/24", enp0s9: "172.16.20.1/24" });
const router = routing ? new linuxnet.Router("host3", { netns: host3.ns, legs: ["enp0s8", "enp0s9"], masquerade: ["enp0s8", "enp0s9"] }, { dependsOn: host3.nics }) : undefined;

// The by-hand pings, as probes. Same network: direct, reply TTL 64. Across networks: nothing
// without the router; through host3 one hop, reply TTL 63.
const [d1, d2, d3, d4] = made;
const probes = linuxnet.expectReachability(
  "ping",
  {
    from: { d1: d1.ns, d2: d2.ns, d4: d4.ns },
    to: { d1: d1.address, d2: d2.address, d3: d3.address, d4: d4.address },
    reachable: routing
      ? { d1: [{ to: "d3", ttl: 64 }, { to: "d2", ttl: 63 }, { to: "d4", ttl: 63 }], d4: [{ to: "d1", ttl: 63 }] }
      : { d1: [{ to: "d3", ttl: 64 }], d2: [{ to: "d4", ttl: 64 }] },
    unreachable: routing ? {} : { d1: ["d2"] },
  },
  { dependsOn: [...made.map((c) => c.ep), ...(router ? [router] : [])] },
);

export const containers = made.map((c) => ({ container: c.container, address: c.address }));
export const routerMade = router?.made ?? [];
export const seen = Object.fromEntries(Object.entries(probes).map(([pair, p]) => [pair, p.seen]));

import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// Macvlan networks joined by a router, on three machines, one stack, over SSH. host1 and host2
// each have enp0s8 on the LAN of network mac10 (172.16.10.0/24) and enp0s9 on that of mac20
// (172.16.20.0/24); d1, d2 run on host1 and d3, d4 on host2. host3 is the router: a namespace
// r3 whose legs on the two networks carry the gateways 172.16.10.1 and 172.16.20.1, forwarding
// and masquerading.
//   config hosts: [{ name, address, hostKey }] (three), privateKey (secret): how to reach them.
//   config d1Address: exercised by the end-to-end test.
const config = new pulumi.Config();
const privateKey = config.requireSecret("privateKey");
const hosts = config
  .requireObject<Array<{ name: string; address: string; hostKey: string }>>("hosts")
  .map((h) => new linuxnet.Host(h.name, { host: h.address, privateKey, hostKey: h.hostKey }));

const networks = [
  { name: "mac10", nic: "enp0s8", subnet: "172.16.10.0/24", gateway: "172.16.10.1", leg: "eth10" },
  { name: "mac20", nic: "enp0s9", subnet: "172.16.20.0/24", gateway: "172.16.20.1", leg: "eth20" },
];
// docker network create -d macvlan --subnet … --gateway … -o parent=enp0s8 mac10, on each host
const nets = hosts.map((host, k) =>
  networks.map((n) => new linuxnet.MacvlanNetwork(`host${k + 1}-${n.name}`, { name: n.name, parent: n.nic, subnet: n.subnet, gateway: n.gateway, promiscuous: true, connection: host })),
);

const containers = [
  { name: "d1", host: 0, net: 0, address: config.get("d1Address") ?? "172.16.10.10" },
  { name: "d2", host: 0, net: 1, address: "172.16.20.10" },
  { name: "d3", host: 1, net: 0, address: "172.16.10.11" },
  { name: "d4", host: 1, net: 1, address: "172.16.20.11" },
].map((c) => {
  const ns = new linuxnet.Namespace(c.name, { name: c.name, connection: hosts[c.host] });
  const ep = new linuxnet.MacvlanEndpoint(c.name, { network: nets[c.host][c.net], netns: ns, address: c.address });
  return { container: c.name, host: hosts[c.host].name, address: ep.address };
});

// host3: its legs on both networks are the gateways; then sysctl -w net.ipv4.ip_forward=1 and
// the MASQUERADE and FORWARD rules one adds by hand, in namespace r3.
const r3 = new linuxnet.Namespace("r3", { name: "r3", connection: hosts[2] });
const legs = networks.map((n, i) => new linuxnet.MacvlanEndpoint(`r3-${n.leg}`, { network: nets[2][i], netns: r3, name: n.leg, address: n.gateway, defaultRoute: false }));
const router = new linuxnet.Router("host3", { netns: r3, connection: hosts[2], legs: networks.map((n) => n.leg), masquerade: networks.map((n) => n.leg) }, { dependsOn: legs });

export { containers };
export const routerMade = router.made;

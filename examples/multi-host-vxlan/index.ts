import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// examples/multi-host without the shared LANs: the three machines only route to each other
// (over `underlay`, the NIC carrying their addresses). Each network's LAN segment is a bridge
// on every host (br10 for mac10, br20 for mac20), and host1's and host2's bridges are joined
// to host3's by VXLAN (host3 is the hub, and the router as before); the macvlan networks sit
// on the bridges. d1, d2 run on host1 and d3, d4 on host2; d1 reaches d3 across the hubs'
// bridge (reply TTL 64) and d2, d4 through r3 on host3 (TTL 63).
//   config hosts: [{ name, address, hostKey }] (three), privateKey (secret): how to reach them.
//   config underlay (default "eth0"), underlayMtu (default 1500).
const config = new pulumi.Config();
const privateKey = config.requireSecret("privateKey");
const hostList = config.requireObject<Array<{ name: string; address: string; hostKey: string }>>("hosts");
if (hostList.length !== 3) throw new Error("config hosts: three machines (host3 is the router and the VXLAN hub)");
const hosts = hostList.map((h) => new linuxnet.Host(h.name, { host: h.address, privateKey, hostKey: h.hostKey }));
const underlay = config.get("underlay") ?? "eth0";
const underlayMtu = config.getNumber("underlayMtu") ?? 1500;
// The overlay's MTU: every link of a joined LAN must fit in the tunnel (1450 on a 1500 underlay).
const mtu = underlayMtu - linuxnet.vxlanOverhead("ipv4");

const networks = [
  { name: "mac10", bridge: "br10", vni: 10, subnet: "172.16.10.0/24", gateway: "172.16.10.1", leg: "eth10" },
  { name: "mac20", bridge: "br20", vni: 20, subnet: "172.16.20.0/24", gateway: "172.16.20.1", leg: "eth20" },
];
const bridges = hosts.map((host, k) => networks.map((n) => new linuxnet.Bridge(`host${k + 1}-${n.bridge}`, { name: n.bridge, mtu, connection: host })));

// host1 and host2 to the hub: VNI 101/102 for mac10, 201/202 for mac20 (vxlanNNN on each end)
const tunnels = [0, 1].flatMap((k) =>
  networks.map(
    (n, i) =>
      new linuxnet.VxlanTunnel(`${n.name}-host${k + 1}`, {
        vni: n.vni * 10 + k + 1,
        underlayMtu,
        a: { connection: hosts[k], local: hostList[k].address, dev: underlay, bridge: bridges[k][i] },
        b: { connection: hosts[2], local: hostList[2].address, dev: underlay, bridge: bridges[2][i] },
      }),
  ),
);

// docker network create -d macvlan --subnet … --gateway … -o parent=br10 mac10, on each host
const nets = hosts.map((host, k) =>
  networks.map((n, i) => new linuxnet.MacvlanNetwork(`host${k + 1}-${n.name}`, { name: n.name, parent: bridges[k][i], subnet: n.subnet, gateway: n.gateway, connection: host })),
);

const containers = [
  { name: "d1", host: 0, net: 0, address: "172.16.10.10" },
  { name: "d2", host: 0, net: 1, address: "172.16.20.10" },
  { name: "d3", host: 1, net: 0, address: "172.16.10.11" },
  { name: "d4", host: 1, net: 1, address: "172.16.20.11" },
].map((c) => {
  const ns = new linuxnet.Namespace(c.name, { name: c.name, connection: hosts[c.host] });
  const ep = new linuxnet.MacvlanEndpoint(c.name, { network: nets[c.host][c.net], netns: ns, address: c.address });
  return { container: c.name, host: hosts[c.host].name, address: ep.address };
});

// host3: its legs on both networks are the gateways; ip_forward and the MASQUERADE/FORWARD
// rules in r3.
const r3 = new linuxnet.Namespace("r3", { name: "r3", connection: hosts[2] });
const legs = networks.map((n, i) => new linuxnet.MacvlanEndpoint(`r3-${n.leg}`, { network: nets[2][i], netns: r3, name: n.leg, address: n.gateway, defaultRoute: false }));
const router = new linuxnet.Router("host3", { netns: r3, connection: hosts[2], legs: networks.map((n) => n.leg), masquerade: networks.map((n) => n.leg) }, { dependsOn: legs });

export { containers };
export const overlayMtu = mtu;
export const vxlans = tunnels.map((t) => pulumi.interpolate`${t.a.name} ${t.a.local} ⟷ ${t.b.local} ${t.b.name}`);
export const routerMade = router.made;

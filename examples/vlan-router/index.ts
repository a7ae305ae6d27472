import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// VLAN-separated macvlan networks joined by a router host, as built by hand with vconfig,
// Docker's macvlan driver and iptables. Three hosts (namespaces host1, host2, host3) have enp0s8
// on one LAN (bridge br-lan in namespace lan). On host1 and host2: VLAN sub-interfaces enp0s8.100
// and enp0s8.200, macvlan network mac10 (172.16.10.0/24) on .100 and mac20 (172.16.20.0/24) on
// .200, containers d1 (mac10) and d2 (mac20) on host1, d3 and d4 on host2. host3 has the gateways
// on its own enp0s8.100/.200 and routes between the networks: d1 reaches d3 directly (reply TTL
// 64) and d2, d4 through host3 (TTL 63).
//
// It all lives on one machine: this one, or another over SSH when config `host` is set
// (`port`, default 22; `hostKey`, its public host key; secret `privateKey`). The machine's
// kernel needs 802.1Q (module 8021q).
//   config d1Address (default 172.16.10.10), d2Name (d2's interface, default eth0).
const config = new pulumi.Config();
const address = config.get("host");
const machine = address
  ? new linuxnet.Host("vm", { host: address, port: config.getNumber("port") ?? 22, privateKey: config.requireSecret("privateKey"), hostKey: config.require("hostKey") })
  : undefined;
const on = { connection: machine };

const lan = new linuxnet.Namespace("lan", { name: "lan", ...on });
const brLan = new linuxnet.Bridge("br-lan", { name: "br-lan", netns: lan, ...on });

/** hostK with enp0s8 on the LAN, and (vconfig add enp0s8 100; … 200) its VLAN sub-interfaces. */
function host(k: number, addresses: { 100?: string; 200?: string } = {}) {
  const ns = new linuxnet.Namespace(`host${k}`, { name: `host${k}`, ...on });
  const nic = new linuxnet.VethPair(`host${k}-enp0s8`, { end: { name: "enp0s8", netns: ns }, peer: { name: `lan${k}`, netns: lan, master: brLan }, ...on });
  const vlans = ([100, 200] as const).map(
    (id) => new linuxnet.VlanInterface(`host${k}-enp0s8.${id}`, { parent: nic.end.name, vlanId: id, netns: ns, addresses: addresses[id] ? [addresses[id]!] : [], ...on }),
  );
  return { ns, vlans };
}

// docker network create -d macvlan --subnet=172.16.10.0/24 --gateway=172.16.10.1 -o parent=enp0s8.100 mac10 (and mac20 on .200)
const networks = [
  { name: "mac10", subnet: "172.16.10.0/24", gateway: "172.16.10.1" },
  { name: "mac20", subnet: "172.16.20.0/24", gateway: "172.16.20.1" },
];
const nets = [1, 2].map((k) => {
  const h = host(k);
  return networks.map((n, i) => new linuxnet.MacvlanNetwork(`host${k}-${n.name}`, { name: n.name, parent: h.vlans[i], netns: h.ns, subnet: n.subnet, gateway: n.gateway, promiscuous: true, ...on }));
});

// docker run -itd --name d1 --ip=172.16.10.10 --network mac10 busybox, and so on
const containers = [
  { name: "d1", host: 0, net: 0, address: config.get("d1Address") ?? "172.16.10.10" },
  { name: "d2", host: 0, net: 1, address: "172.16.20.10", ifname: config.get("d2Name") },
  { name: "d3", host: 1, net: 0, address: "172.16.10.11" },
  { name: "d4", host: 1, net: 1, address: "172.16.20.11" },
].map((c) => {
  const ns = new linuxnet.Namespace(c.name, { name: c.name, ...on });
  // The endpoint is on its network's machine: it takes the connection from it.
  const ep = new linuxnet.MacvlanEndpoint(c.name, { network: nets[c.host][c.net], netns: ns, address: c.address, name: c.ifname });
  return { container: c.name, address: ep.address, ifname: ep.name };
});

// host3: 172.16.10.1 on enp0s8.100 and 172.16.20.1 on enp0s8.200; sysctl -w
// net.ipv4.ip_forward=1 and the MASQUERADE and FORWARD rules one adds by hand.
const host3 = host(3, { 100: "172.16.10.1/24", 200: "172.16.20.1/24" });
const legs = ["enp0s8.100", "enp0s8.200"];
const router = new linuxnet.Router("host3", { netns: host3.ns, legs, masquerade: legs, ...on }, { dependsOn: host3.vlans });

export { containers };
export const routerMade = router.made;

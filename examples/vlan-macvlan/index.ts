import * as linuxnet from "pulumi-linuxnet";

// VLAN-separated macvlan networks, no router yet: on each of two hosts, VLAN sub-interfaces
// enp0s8.100 and enp0s8.200 of enp0s8; macvlan networks mac10 (172.16.10.0/24) on .100 and
// mac20 (172.16.20.0/24) on .200; containers d1 (mac10) and d2 (mac20) on host1, d3 (mac10)
// and d4 (mac20) on host2. Same-network pairs reach each other, other pairs do not: the VLANs
// keep them apart at layer 2. Hosts and containers are namespaces; the LAN is bridge br-lan.
// Needs a kernel with 802.1Q (module 8021q).
const lan = new linuxnet.Namespace("lan", { name: "lan" });
const brLan = new linuxnet.Bridge("br-lan", { name: "br-lan", netns: lan });

const networks = { mac10: { vlanId: 100, subnet: "172.16.10.0/24", gateway: "172.16.10.1" }, mac20: { vlanId: 200, subnet: "172.16.20.0/24", gateway: "172.16.20.1" } };

const hosts = [1, 2].map((k) => {
  const host = new linuxnet.Namespace(`host${k}`, { name: `host${k}` });
  const nic = new linuxnet.VethPair(`host${k}-enp0s8`, {
    end: { name: "enp0s8", netns: host },
    peer: { name: `lan${k}`, netns: lan, master: brLan },
  });
  const nets = Object.fromEntries(
    Object.entries(networks).map(([name, n]) => {
      // vconfig add enp0s8 100; ifconfig enp0s8.100 up
      const vlan = new linuxnet.VlanInterface(`host${k}-enp0s8.${n.vlanId}`, { parent: nic.end.name, vlanId: n.vlanId, netns: host });
      // docker network create -d macvlan --subnet=… --gateway=… -o parent=enp0s8.100 mac10
      const net = new linuxnet.MacvlanNetwork(`host${k}-${name}`, { name, parent: vlan, netns: host, subnet: n.subnet, gateway: n.gateway });
      return [name, net];
    }),
  );
  return { host, nets };
});

// docker run --network mac10 --ip=172.16.10.10 … (d1 on host1), and so on
const containers = [
  { name: "d1", host: 0, network: "mac10", address: "172.16.10.10" },
  { name: "d2", host: 0, network: "mac20", address: "172.16.20.10" },
  { name: "d3", host: 1, network: "mac10", address: "172.16.10.11" },
  { name: "d4", host: 1, network: "mac20", address: "172.16.20.11" },
].map((c) => {
  const ns = new linuxnet.Namespace(c.name, { name: c.name });
  new linuxnet.MacvlanEndpoint(c.name, { network: hosts[c.host].nets[c.network], netns: ns, address: c.address });
  return { container: c.name, network: c.network, address: c.address };
});

export { containers };

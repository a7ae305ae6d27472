import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// Docker's macvlan driver across two hosts, without Docker: two hosts on one LAN, a macvlan
// network mac1 (172.16.10.0/24, gateway .1) on each host's enp0s8, container c1 (.2) on host1 and
// c2 (.3) on host2. The hosts and containers are namespaces; the LAN is bridge br-lan in
// namespace "lan", and each host's enp0s8 is a veth end whose peer is a port of it.
//   config hostAccess (default false): give host1 a shim so it reaches its own container c1.
//   config c1Address, c1Name: exercised by the end-to-end test (update vs replace).
const config = new pulumi.Config();
const hostAccess = config.getBoolean("hostAccess") ?? false;

const lan = new linuxnet.Namespace("lan", { name: "lan" });
const brLan = new linuxnet.Bridge("br-lan", { name: "br-lan", netns: lan });

const hosts = [1, 2].map((k) => {
  const host = new linuxnet.Namespace(`host${k}`, { name: `host${k}` });
  const nic = new linuxnet.VethPair(`host${k}-enp0s8`, {
    // host1 is also on the macvlan subnet (172.16.10.250), like a Docker host whose NIC shares
    // the LAN with its containers: without a shim it still cannot reach its own container.
    end: { name: "enp0s8", netns: host, addresses: [`192.168.56.1${k}/24`, ...(k === 1 ? ["172.16.10.250/24"] : [])] },
    peer: { name: `lan${k}`, netns: lan, master: brLan },
  });
  // docker network create -d macvlan --subnet=172.16.10.0/24 --gateway=172.16.10.1 -o parent=enp0s8 mac1
  const mac1 = new linuxnet.MacvlanNetwork(`host${k}-mac1`, {
    name: "mac1",
    parent: nic.end.name, // enp0s8, once it exists
    netns: host,
    subnet: "172.16.10.0/24",
    gateway: "172.16.10.1",
    promiscuous: true, // ip link set enp0s8 promisc on
    ...(k === 1 && hostAccess && { hostAccess: { address: "172.16.10.254" } }),
  });
  return { host, mac1 };
});
const endpoints: linuxnet.MacvlanEndpoint[] = [];

// docker run --network mac1 --ip=172.16.10.2 busybox (on host1), --ip=172.16.10.3 (on host2)
const containers = [
  { name: "c1", host: hosts[0], address: config.get("c1Address") ?? "172.16.10.2", ifname: config.get("c1Name") ?? "eth0" },
  { name: "c2", host: hosts[1], address: "172.16.10.3", ifname: "eth0" },
].map((c) => {
  const ns = new linuxnet.Namespace(c.name, { name: c.name });
  const ep = new linuxnet.MacvlanEndpoint(c.name, { network: c.host.mac1, netns: ns, name: c.ifname, address: c.address });
  endpoints.push(ep);
  return { namespace: ns.name, address: ep.address, ifindex: ep.ifindex, mac: ep.actualMac };
});

// What must hold, as probes: c1 and c2 reach each other across the LAN (no router: TTL 64);
// host1 reaches c2 on the other host, but its own container c1 only through the shim
// (hostAccess): without it, a parent cannot talk to its own macvlan endpoints.
const probes = linuxnet.expectReachability(
  "ping",
  {
    from: { c1: containers[0].namespace, c2: containers[1].namespace, host1: hosts[0].host },
    to: { c1: containers[0].address, c2: containers[1].address },
    reachable: { c1: [{ to: "c2", ttl: 64 }], c2: [{ to: "c1", ttl: 64 }], host1: hostAccess ? ["c2", "c1"] : ["c2"] },
    unreachable: hostAccess ? {} : { host1: ["c1"] },
  },
  { dependsOn: [...endpoints, ...hosts.map((h) => h.mac1)] },
);

export { containers };
export const shim = hosts[0].mac1.hostAccess;
export const seen = Object.fromEntries(Object.entries(probes).map(([pair, p]) => [pair, p.seen]));

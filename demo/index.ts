import * as linuxnet from "pulumi-linuxnet";

// The demo lab. demo-host plays the machine, so nothing here touches the real one:
//   - a veth pair into a namespace: demo-p2p is joined to demo-host by one veth pair
//     (192.168.0.0/24);
//   - a docker0-style bridge: demo-c1 and demo-c2 are "containers" whose eth0 peers are ports
//     of bridge br0 in demo-host (10.10.0.0/24);
//   - Docker's macvlan driver: demo-host's enp0s8 is on a LAN (bridge br-lan in demo-lan);
//     macvlan network mac1 (172.16.10.0/24) on it, containers demo-m1 and demo-m2, and a host
//     shim so demo-host reaches its own macvlan containers;
//   - a router host: demo-host routes between the bridge network (10.10.0.0/24) and the
//     point-to-point one (192.168.0.0/24): demo-c1 reaches demo-p2p through it, one hop;
//   - what must hold is stated as probes at the end (a matrix of pairs).
const host = new linuxnet.Namespace("host", { name: "demo-host" });

const p2p = new linuxnet.Namespace("p2p", { name: "demo-p2p" });
const link = new linuxnet.VethPair("p2p-link", {
  end: { name: "veth1", netns: p2p.name, addresses: ["192.168.0.101/24"] },
  peer: { name: "veth1_p", netns: host.name, addresses: ["192.168.0.100/24"] },
});

const br0 = new linuxnet.Bridge("br0", { name: "br0", netns: host.name, addresses: ["10.10.0.1/24"] });
const ports: linuxnet.VethPair[] = [];
const containers = [1, 2].map((i) => {
  const ns = new linuxnet.Namespace(`c${i}`, { name: `demo-c${i}` });
  const pair = new linuxnet.VethPair(`c${i}-eth0`, {
    end: { name: "eth0", netns: ns.name, addresses: [`10.10.0.1${i}/24`] },
    peer: { name: `veth-c${i}`, netns: host.name, master: br0.name },
  });
  ports.push(pair);
  return { namespace: ns.name, address: pair.end.addresses[0], ifindex: pair.endIfindex, hostPort: pair.peer.name, hostIfindex: pair.peerIfindex };
});

const lan = new linuxnet.Namespace("lan", { name: "demo-lan" });
const brLan = new linuxnet.Bridge("br-lan", { name: "br-lan", netns: lan });
const nic = new linuxnet.VethPair("host-enp0s8", { end: { name: "enp0s8", netns: host }, peer: { name: "lan0", netns: lan, master: brLan } });
const mac1 = new linuxnet.MacvlanNetwork("mac1", {
  parent: nic.end.name,
  netns: host,
  subnet: "172.16.10.0/24",
  gateway: "172.16.10.1",
  promiscuous: true,
  hostAccess: { address: "172.16.10.254" }, // mac1-shim
});
const endpoints: linuxnet.MacvlanEndpoint[] = [];
const macvlanContainers = [1, 2].map((i) => {
  const ns = new linuxnet.Namespace(`m${i}`, { name: `demo-m${i}` });
  const ep = new linuxnet.MacvlanEndpoint(`m${i}-eth0`, { network: mac1, netns: ns, address: `172.16.10.${i + 1}` });
  endpoints.push(ep);
  return { namespace: ns.name, address: ep.address, ifindex: ep.ifindex };
});

// demo-host as a router between its two networks: forwarding on, FORWARD accepted both ways.
// The containers and demo-p2p route to the other network through demo-host.
const router = new linuxnet.Router("demo-host", { netns: host, legs: [br0, "veth1_p"] }, { dependsOn: [link] });
const routes = [
  ...containers.map((c, i) => new linuxnet.Route(`c${i + 1}-to-p2p`, { destination: "192.168.0.0/24", via: "10.10.0.1", netns: c.namespace }, { dependsOn: [ports[i]] })),
  new linuxnet.Route("p2p-to-bridge", { destination: "10.10.0.0/24", via: "192.168.0.100", netns: p2p }, { dependsOn: [link] }),
];

export const namespaces = [host.name, p2p.name, ...containers.map((c) => c.namespace), lan.name, ...macvlanContainers.map((c) => c.namespace)];
export const pointToPoint = { end: link.end.name, endIfindex: link.endIfindex, peer: link.peer.name, peerIfindex: link.peerIfindex };
export const bridge = { name: br0.name, netns: br0.netns, ifindex: br0.ifindex, mac: br0.actualMac };
export { containers, macvlanContainers };
export const routing = { made: router.made, routes: routes.map((r) => r.destination) };
export const macvlan = { network: mac1.name, parent: mac1.parent, subnet: mac1.subnet, shim: mac1.hostAccess };
// What must hold, as probes (checked by `up`, looked at again by `refresh`): neighbours reach
// each other directly (reply TTL 64), demo-c1 reaches demo-p2p through demo-host (one hop: 63),
// and the macvlan containers do not reach the bridge network (their gateway 172.16.10.1 is not
// in this lab).
const probes = linuxnet.expectReachability(
  "demo",
  {
    from: { p2p, host, c1: containers[0].namespace, c2: containers[1].namespace, m1: macvlanContainers[0].namespace },
    to: { veth1_p: "192.168.0.100", p2p: "192.168.0.101", c1: "10.10.0.11", c2: "10.10.0.12", br0: "10.10.0.1", m1: "172.16.10.2", m2: "172.16.10.3" },
    reachable: {
      p2p: [{ to: "veth1_p", ttl: 64 }],
      host: [{ to: "p2p", ttl: 64 }, { to: "m1", ttl: 64 }],
      c1: [{ to: "c2", ttl: 64 }, { to: "br0", ttl: 64 }, { to: "p2p", ttl: 63 }],
      c2: [{ to: "c1", ttl: 64 }],
      m1: [{ to: "m2", ttl: 64 }],
    },
    unreachable: { m1: [{ to: "c1", timeout: 2 }] },
  },
  { dependsOn: [link, ...ports, ...endpoints, router, ...routes] },
);
export const reachability = Object.fromEntries(Object.entries(probes).map(([pair, p]) => [pair, p.seen]));

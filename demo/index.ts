import * as linuxnet from "pulumi-linuxnet";

// The demo lab. demo-host plays the machine, so nothing here touches the real one:
//   - scenario 1: demo-p2p is joined to demo-host by one veth pair (192.168.0.0/24);
//   - scenarios 2/3: demo-c1 and demo-c2 are "containers" whose eth0 peers are ports of
//     bridge br0 in demo-host (10.10.0.0/24).
const host = new linuxnet.Namespace("host", { name: "demo-host" });

const p2p = new linuxnet.Namespace("p2p", { name: "demo-p2p" });
const link = new linuxnet.VethPair("p2p-link", {
  end: { name: "veth1", netns: p2p.name, addresses: ["192.168.0.101/24"] },
  peer: { name: "veth1_p", netns: host.name, addresses: ["192.168.0.100/24"] },
});

const br0 = new linuxnet.Bridge("br0", { name: "br0", netns: host.name, addresses: ["10.10.0.1/24"] });
const containers = [1, 2].map((i) => {
  const ns = new linuxnet.Namespace(`c${i}`, { name: `demo-c${i}` });
  const pair = new linuxnet.VethPair(`c${i}-eth0`, {
    end: { name: "eth0", netns: ns.name, addresses: [`10.10.0.1${i}/24`] },
    peer: { name: `veth-c${i}`, netns: host.name, master: br0.name },
  });
  return { namespace: ns.name, address: pair.end.addresses[0], ifindex: pair.endIfindex, hostPort: pair.peer.name, hostIfindex: pair.peerIfindex };
});

export const namespaces = [host.name, p2p.name, ...containers.map((c) => c.namespace)];
export const pointToPoint = { end: link.end.name, endIfindex: link.endIfindex, peer: link.peer.name, peerIfindex: link.peerIfindex };
export const bridge = { name: br0.name, netns: br0.netns, ifindex: br0.ifindex, mac: br0.actualMac };
export { containers };
// Pairs that must reach each other: [from namespace, to address].
export const reachability = [
  ["demo-p2p", "192.168.0.100"],
  ["demo-host", "192.168.0.101"],
  ["demo-c1", "10.10.0.12"],
  ["demo-c2", "10.10.0.11"],
  ["demo-c1", "10.10.0.1"],
];

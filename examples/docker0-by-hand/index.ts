import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// docker0 built by hand: what Docker builds for its default network. Bridge docker0
// 172.17.0.1/16; namespaces ns0..ns2 each get an interface named eth0 (172.17.0.101-103/16)
// whose peer is a port of docker0.
const config = new pulumi.Config();
const hostNetns = config.get("hostNetns"); // omitted: the namespace pulumi runs in

const docker0 = new linuxnet.Bridge("docker0", { name: "docker0", netns: hostNetns, addresses: ["172.17.0.1/16"] });

const pairs: linuxnet.VethPair[] = [];
const containers = [0, 1, 2].map((i) => {
  const ns = new linuxnet.Namespace(`ns${i}`, { name: `ns${i}` });
  const address = config.get(`address${i}`) ?? `172.17.0.${101 + i}/16`;
  const pair = new linuxnet.VethPair(`ns${i}-eth0`, {
    end: { name: "eth0", netns: ns.name, addresses: [address] },
    peer: { name: `veth${i}`, netns: hostNetns, master: docker0.name },
  });
  pairs.push(pair);
  return { namespace: ns.name, address, ifindex: pair.endIfindex, hostPort: pair.peer.name, hostIfindex: pair.peerIfindex };
});

// The by-hand check, as probes: every container reaches docker0 and the other two, directly
// (a reply TTL of 64), once its eth0 is a port of the bridge.
const addressOf = (i: number) => containers[i].address;
const probes = linuxnet.expectReachability("ping", {
  from: { ns0: containers[0].namespace, ns1: containers[1].namespace, ns2: containers[2].namespace },
  to: { docker0: docker0.addresses[0], ns0: addressOf(0), ns1: addressOf(1), ns2: addressOf(2) },
  reachable: Object.fromEntries([0, 1, 2].map((i) => [`ns${i}`, ["docker0", ...[0, 1, 2].filter((j) => j !== i).map((j) => `ns${j}`)].map((to) => ({ to, ttl: 64 }))])),
}, { dependsOn: pairs });

export const bridge = { name: docker0.name, ifindex: docker0.ifindex, mac: docker0.actualMac };
export { containers };
export const seen = Object.fromEntries(Object.entries(probes).map(([pair, p]) => [pair, p.seen]));

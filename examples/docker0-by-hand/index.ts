import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// Scenario 3: what Docker builds for its default network, by hand. Bridge docker0
// 172.17.0.1/16; namespaces ns0..ns2 each get an interface named eth0 (172.17.0.101-103/16)
// whose peer is a port of docker0.
const config = new pulumi.Config();
const hostNetns = config.get("hostNetns"); // omitted: the namespace pulumi runs in

const docker0 = new linuxnet.Bridge("docker0", { name: "docker0", netns: hostNetns, addresses: ["172.17.0.1/16"] });

const containers = [0, 1, 2].map((i) => {
  const ns = new linuxnet.Namespace(`ns${i}`, { name: `ns${i}` });
  const address = config.get(`address${i}`) ?? `172.17.0.${101 + i}/16`;
  const pair = new linuxnet.VethPair(`ns${i}-eth0`, {
    end: { name: "eth0", netns: ns.name, addresses: [address] },
    peer: { name: `veth${i}`, netns: hostNetns, master: docker0.name },
  });
  return { namespace: ns.name, address, ifindex: pair.endIfindex, hostPort: pair.peer.name, hostIfindex: pair.peerIfindex };
});

export const bridge = { name: docker0.name, ifindex: docker0.ifindex, mac: docker0.actualMac };
export { containers };

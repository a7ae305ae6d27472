import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// One veth pair into a network namespace, the classic first `ip netns` experiment: namespace
// net1; veth1 inside it, its peer veth1_p in the root namespace.
// Config (all optional) lets the end-to-end test exercise updates and renames.
const config = new pulumi.Config();

const net1 = new linuxnet.Namespace("net1", { name: "net1" });

const veth = new linuxnet.VethPair("veth1", {
  end: { name: config.get("endName") ?? "veth1", netns: net1.name, addresses: [config.get("endAddress") ?? "192.168.0.101/24"] },
  peer: { name: "veth1_p", addresses: ["192.168.0.100/24"] },
});

// `ethtool -S veth1` would show peer_ifindex = veth.peerIfindex, and the other way round.
export const veth1 = { ifindex: veth.endIfindex, peerIfindex: veth.peerIfindex, mac: veth.endMac };
export const veth1_p = { ifindex: veth.peerIfindex, peerIfindex: veth.endIfindex, mac: veth.peerMac };

// What one checks by hand with ping, stated as probes (checked by `up`, looked at again by
// `refresh`): each side pings the other directly (a reply TTL of 64: no router between them).
const probes = linuxnet.expectReachability("ping", {
  from: { net1, root: {} }, // {}: the namespace pulumi runs in
  to: { veth1_p: veth.peer.addresses[0], veth1: veth.end.addresses[0] },
  reachable: { net1: [{ to: "veth1_p", ttl: 64 }], root: [{ to: "veth1", ttl: 64 }] },
});
export const seen = Object.fromEntries(Object.entries(probes).map(([pair, p]) => [pair, p.seen]));

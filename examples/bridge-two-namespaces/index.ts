import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// Two namespaces on a bridge, the classic ip netns/brctl experiment: net1 and net2, each with a
// veth end; the peers are ports of bridge br0. Dual-stack: each address has an IPv6 twin
// (fd00:192:168::101/64 beside 192.168.0.101/24).
// With `withBridge: false` the bridge does not exist yet and the two cannot reach each other.
const config = new pulumi.Config();
const withBridge = config.getBoolean("withBridge") ?? true;

const br0 = withBridge ? new linuxnet.Bridge("br0", { name: "br0", addresses: ["192.168.0.100/24", "fd00:192:168::100/64"] }) : undefined;

const namespaces = [1, 2].map((i) => new linuxnet.Namespace(`net${i}`, { name: `net${i}` }));
const ends = namespaces.map(
  (ns, k) =>
    new linuxnet.VethPair(`veth${k + 1}`, {
      end: { name: `veth${k + 1}`, netns: ns.name, addresses: [`192.168.0.10${k + 1}/24`, `fd00:192:168::10${k + 1}/64`] },
      peer: { name: `veth${k + 1}_p`, master: br0?.name },
    }),
);

// The by-hand pings as probes: without the bridge net1 and net2 do not reach each other; with
// it they do, directly (TTL 64), and reach the bridge's address too. The probes run after the
// links (and the bridge) are in place.
const probes = linuxnet.expectReachability(
  "ping",
  {
    from: { net1: namespaces[0], net2: namespaces[1] },
    to: { net1: "192.168.0.101", net2: "192.168.0.102", br0: "192.168.0.100" },
    ...(withBridge
      ? { reachable: { net1: [{ to: "net2", ttl: 64 }, { to: "br0", ttl: 64 }], net2: [{ to: "net1", ttl: 64 }] } }
      : { unreachable: { net1: ["net2"], net2: ["net1"] } }),
  },
  { dependsOn: [...ends, ...(br0 ? [br0] : [])] },
);

export const bridge = br0 ? { name: br0.name, ifindex: br0.ifindex, mac: br0.actualMac } : null;
export const ports = ends.map((v) => v.peer.name);
export const seen = Object.fromEntries(Object.entries(probes).map(([pair, p]) => [pair, p.seen]));

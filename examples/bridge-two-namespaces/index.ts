import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// Scenario 2: net1 and net2, each with a veth end; the peers are ports of bridge br0.
// With `withBridge: false` the bridge does not exist yet and the two cannot reach each other.
const config = new pulumi.Config();
const withBridge = config.getBoolean("withBridge") ?? true;

const br0 = withBridge ? new linuxnet.Bridge("br0", { name: "br0", addresses: ["192.168.0.100/24"] }) : undefined;

const ends = [1, 2].map((i) => {
  const ns = new linuxnet.Namespace(`net${i}`, { name: `net${i}` });
  return new linuxnet.VethPair(`veth${i}`, {
    end: { name: `veth${i}`, netns: ns.name, addresses: [`192.168.0.10${i}/24`] },
    peer: { name: `veth${i}_p`, master: br0?.name },
  });
});

export const bridge = br0 ? { name: br0.name, ifindex: br0.ifindex, mac: br0.actualMac } : null;
export const ports = ends.map((v) => v.peer.name);

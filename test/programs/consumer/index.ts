import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// A small lab of most kinds, named after config `prefix` so stacks can share one machine:
// two namespaces joined by a veth pair, a bridge holding one end's twin, a route, a sysctl
// and a firewall rule in the first namespace.
const prefix = new pulumi.Config().require("prefix");
const a = new linuxnet.Namespace("a", { name: `${prefix}a` });
const b = new linuxnet.Namespace("b", { name: `${prefix}b` });
const br = new linuxnet.Bridge("br", { name: "br0", netns: a, addresses: ["10.77.0.1/24"] });
const link = new linuxnet.VethPair("ab", {
  end: { name: "to-b", netns: a, addresses: ["10.78.0.1/30"] },
  peer: { name: "to-a", netns: b, addresses: ["10.78.0.2/30"] },
});
new linuxnet.Route("back", { destination: "10.77.0.0/24", via: "10.78.0.1", netns: b }, { dependsOn: [link] });
new linuxnet.Sysctl("forward", { key: "net.ipv4.ip_forward", value: 1, netns: a });
new linuxnet.IptablesRule("accept", { chain: "FORWARD", rule: ["-i", "to-b", "-o", "br0", "-j", "ACCEPT"], netns: a }, { dependsOn: [br, link] });

export const peerIfindex = link.peerIfindex;

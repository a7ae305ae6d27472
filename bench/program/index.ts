import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// N namespaces bN, each with eth0 (10.200.x.y/16) whose peer bvN is a port of br0.
const n = new pulumi.Config().requireNumber("n");
const br0 = new linuxnet.Bridge("br0", { name: "br0", addresses: ["10.200.0.1/16"] });
for (let i = 0; i < n; i++) {
  const ns = new linuxnet.Namespace(`b${i}`, { name: `b${i}` });
  new linuxnet.VethPair(`v${i}`, {
    end: { name: "eth0", netns: ns.name, addresses: [`10.200.${(i + 2) >> 8}.${(i + 2) & 255}/16`] },
    peer: { name: `bv${i}`, master: br0.name },
  });
}

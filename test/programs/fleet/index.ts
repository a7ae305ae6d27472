import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// A host namespace with bridge br0 (10.250.0.1/16) and N namespaces PREFIXi, each with eth0
// (10.250.x.y/16) whose peer PREFIXvi is a port of br0. Config `ifname` renames every eth0:
// an update that replaces every pair (delete before create).
const config = new pulumi.Config();
const n = config.requireNumber("n");
const prefix = config.require("prefix");
const ifname = config.get("ifname") ?? "eth0";
const host = new linuxnet.Namespace("host", { name: `${prefix}h` });
const br0 = new linuxnet.Bridge("br0", { name: "br0", netns: host, addresses: ["10.250.0.1/16"] });
export const members = [...Array(n).keys()].map((i) => {
  const ns = new linuxnet.Namespace(`ns${i}`, { name: `${prefix}${i}` });
  const address = `10.250.${(i + 2) >> 8}.${(i + 2) & 255}`;
  new linuxnet.VethPair(`eth${i}`, {
    end: { name: ifname, netns: ns, addresses: [`${address}/16`] },
    peer: { name: `${prefix}v${i}`, netns: host, master: br0 },
  });
  return { netns: `${prefix}${i}`, address };
});

import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// N namespaces bN, each with eth0 (10.200.x.y/16) whose peer bvN is a port of br0. On this
// machine, or on another over SSH when config `host` is set (`port`, `hostKey`, secret `privateKey`).
const config = new pulumi.Config();
const n = config.requireNumber("n");
const host = config.get("host");
const connection = host ? new linuxnet.Host("bench", { host, port: config.getNumber("port") ?? 22, privateKey: config.requireSecret("privateKey"), hostKey: config.require("hostKey") }) : undefined;
const br0 = new linuxnet.Bridge("br0", { name: "br0", addresses: ["10.200.0.1/16"], connection });
for (let i = 0; i < n; i++) {
  const ns = new linuxnet.Namespace(`b${i}`, { name: `b${i}`, connection });
  new linuxnet.VethPair(`v${i}`, {
    end: { name: "eth0", netns: ns.name, addresses: [`10.200.${(i + 2) >> 8}.${(i + 2) & 255}/16`] },
    peer: { name: `bv${i}`, master: br0.name },
    connection,
  });
}

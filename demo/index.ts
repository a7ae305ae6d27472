import * as linuxnet from "pulumi-linuxnet";

// demo-host plays the machine; the others play containers attached to it.
const host = new linuxnet.Namespace("host", { name: "demo-host" });
const net1 = new linuxnet.Namespace("net1", { name: "demo-net1" });
const net2 = new linuxnet.Namespace("net2", { name: "demo-net2" });

export const namespaces = [host, net1, net2].map((ns) => ({ name: ns.name, inode: ns.inode, loopbackUp: ns.loopbackUp }));

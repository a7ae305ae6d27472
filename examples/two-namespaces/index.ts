import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// Names come from stack config so several stacks can share one machine:
//   pulumi config set nameA lab-a && pulumi config set nameB lab-b
const config = new pulumi.Config();
const a = new linuxnet.Namespace("a", { name: config.get("nameA") ?? "lab-a" });
const b = new linuxnet.Namespace("b", { name: config.get("nameB") ?? "lab-b", loopbackUp: config.getBoolean("loopbackB") ?? true });

export const namespaces = { a: { name: a.name, inode: a.inode }, b: { name: b.name, inode: b.inode, loopbackUp: b.loopbackUp } };

import * as linuxnet from "pulumi-linuxnet";

// A switch: bridge br0 in a namespace of its own.
const sw = new linuxnet.Namespace("hello-sw");
const br0 = new linuxnet.Bridge("br0", { netns: sw });

// Two machines, red and blue, each with an eth0 plugged into br0.
const red = new linuxnet.Namespace("hello-red");
const blue = new linuxnet.Namespace("hello-blue");
const redLink = new linuxnet.VethPair("red-eth0", {
  end: { name: "eth0", netns: red, addresses: ["10.99.0.1/24"] },
  peer: { name: "red", netns: sw, master: br0 },
});
const blueLink = new linuxnet.VethPair("blue-eth0", {
  end: { name: "eth0", netns: blue, addresses: ["10.99.0.2/24"] },
  peer: { name: "blue", netns: sw, master: br0 },
});

// Checked by the kernel at every `pulumi up`: red reaches blue.
const probe = new linuxnet.Probe("red-to-blue", { netns: red, to: "10.99.0.2" }, { dependsOn: [redLink, blueLink] });
export const seen = probe.seen;

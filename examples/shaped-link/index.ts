import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// Two namespaces, near (10.10.0.1/24) and far (10.10.0.2/24), joined by a veth, its near end
// shaped like a WAN uplink. Each end of a link shapes what it sends: near → far here, and far
// → near too with `both: true`.
//   config rate (default "10mbit"): the uplink's rate. Alone it is a tbf qdisc, which every
//     kernel with traffic control has.
//   config delay, jitter, loss (e.g. "50ms", "10ms", 1): a WAN's delay and loss. They need
//     the netem qdisc (kernel module sch_netem); on a kernel without it `up` fails saying so.
//   config shape (default true): false removes the shaping (the link gets the kernel's default qdisc).
//   config near, far: the namespaces' names (default "near", "far").
// On this machine, or on another over SSH when config `host` is set (`port`, default 22;
// `hostKey`, its public host key; secret `privateKey`).
const config = new pulumi.Config();
const address = config.get("host");
const machine = address
  ? new linuxnet.Host("remote", { host: address, port: config.getNumber("port") ?? 22, privateKey: config.requireSecret("privateKey"), hostKey: config.require("hostKey") })
  : undefined;
const on = { connection: machine };

const near = new linuxnet.Namespace("near", { name: config.get("near") ?? "near", ...on });
const far = new linuxnet.Namespace("far", { name: config.get("far") ?? "far", ...on });
const link = new linuxnet.VethPair("uplink", {
  end: { name: "eth0", netns: near, addresses: ["10.10.0.1/24"] },
  peer: { name: "eth0", netns: far, addresses: ["10.10.0.2/24"] },
  ...on,
});

// tc qdisc replace dev eth0 root handle 148: tbf rate 10mbit … (netem delay 50ms … loss random 1% … with delay/loss)
const wan = {
  rate: config.get("rate") ?? "10mbit",
  delay: config.get("delay"),
  jitter: config.get("jitter"),
  loss: config.getNumber("loss"),
};
const shaped =
  config.getBoolean("shape") === false
    ? []
    : [
        new linuxnet.LinkShaping("uplink-near", { link, side: "end", ...wan, ...on }),
        ...(config.getBoolean("both") ? [new linuxnet.LinkShaping("uplink-far", { link, side: "peer", ...wan, ...on })] : []),
      ];

export const qdiscs = shaped.map((s) => pulumi.interpolate`${s.qdisc} on ${s.dev} in ${s.netns}`);
export const addresses = { near: "10.10.0.1", far: "10.10.0.2" };

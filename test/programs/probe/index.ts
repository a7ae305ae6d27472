import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// probe-a (10.31.1.2) ── probe-r ── probe-b (10.31.2.2): probe-r forwards, a and b route
// through it. The probes state what must hold; config `ttl` (default 63) is the TTL expected
// from a → b, so a test can state a wrong one.
const config = new pulumi.Config();
const [a, r, b] = ["a", "r", "b"].map((n) => new linuxnet.Namespace(n, { name: `probe-${n}` }));
const legs = [
  new linuxnet.VethPair("a-r", { end: { name: "eth0", netns: a, addresses: ["10.31.1.2/24"] }, peer: { name: "toa", netns: r, addresses: ["10.31.1.1/24"] } }),
  new linuxnet.VethPair("b-r", { end: { name: "eth0", netns: b, addresses: ["10.31.2.2/24"] }, peer: { name: "tob", netns: r, addresses: ["10.31.2.1/24"] } }),
];
const forwarding = new linuxnet.Sysctl("r-forwarding", { key: "net.ipv4.ip_forward", value: 1, netns: r });
const routes = [
  new linuxnet.Route("a-default", { destination: "default", via: "10.31.1.1", netns: a }, { dependsOn: legs }),
  new linuxnet.Route("b-default", { destination: "default", via: "10.31.2.1", netns: b }, { dependsOn: legs }),
];

const probes = linuxnet.expectReachability(
  "lab",
  {
    from: { a, b },
    to: { b: legs[1].end.addresses[0], r: "10.31.1.1", a: "10.31.1.2", nobody: "10.31.1.77" },
    reachable: { a: [{ to: "b", ttl: config.getNumber("ttl") ?? 63 }, { to: "r", ttl: 64 }], b: ["a"] },
    unreachable: { a: [{ to: "nobody", timeout: 1 }] },
  },
  { dependsOn: [forwarding, ...routes] },
);

export const seen = Object.fromEntries(Object.entries(probes).map(([pair, p]) => [pair, { holds: p.holds, seen: p.seen }]));

import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// probe-a (10.31.1.2, fd00:31:1::2) ── probe-r ── probe-b (10.31.2.2, fd00:31:2::2), dual-stack:
// probe-r forwards both families, a and b route through it — IPv4 via its address, IPv6 via its
// link-local fe80::1 on each leg, as routers are used. The probes state what must hold, IPv6
// ones included (a global address from a link's output, and a link-local one with the
// interface it is reached through); config `ttl` (default 63) is the TTL expected from a → b,
// so a test can state a wrong one.
const config = new pulumi.Config();
const [a, r, b] = ["a", "r", "b"].map((n) => new linuxnet.Namespace(n, { name: `probe-${n}` }));
const legs = [
  new linuxnet.VethPair("a-r", {
    end: { name: "eth0", netns: a, addresses: ["10.31.1.2/24", "fd00:31:1::2/64"] },
    peer: { name: "toa", netns: r, addresses: ["10.31.1.1/24", "fd00:31:1::1/64", "fe80::1/64"] },
  }),
  new linuxnet.VethPair("b-r", {
    end: { name: "eth0", netns: b, addresses: ["10.31.2.2/24", "fd00:31:2::2/64"] },
    peer: { name: "tob", netns: r, addresses: ["10.31.2.1/24", "fd00:31:2::1/64", "fe80::1/64"] },
  }),
];
const forwarding = [
  new linuxnet.Sysctl("r-forwarding", { key: "net.ipv4.ip_forward", value: 1, netns: r }),
  new linuxnet.Sysctl("r-forwarding6", { key: "net.ipv6.conf.all.forwarding", value: 1, netns: r }),
];
const routes = [
  new linuxnet.Route("a-default", { destination: "default", via: "10.31.1.1", netns: a }, { dependsOn: legs }),
  new linuxnet.Route("b-default", { destination: "default", via: "10.31.2.1", netns: b }, { dependsOn: legs }),
  new linuxnet.Route("a-default6", { destination: "default", family: "ipv6", via: "fe80::1", dev: "eth0", netns: a }, { dependsOn: legs }),
  new linuxnet.Route("b-default6", { destination: "default", family: "ipv6", via: "fe80::1", dev: "eth0", netns: b }, { dependsOn: legs }),
];

const probes = linuxnet.expectReachability(
  "lab",
  {
    from: { a, b },
    to: { b: legs[1].end.addresses[0], r: "10.31.1.1", a: "10.31.1.2", nobody: "10.31.1.77", b6: legs[1].end.addresses[1], rll: "fe80::1%eth0" },
    reachable: {
      a: [{ to: "b", ttl: config.getNumber("ttl") ?? 63 }, { to: "r", ttl: 64 }, { to: "b6", ttl: 63 }, { to: "rll", ttl: 64 }],
      b: ["a"],
    },
    unreachable: { a: [{ to: "nobody", timeout: 1 }] },
  },
  { dependsOn: [...forwarding, ...routes] },
);

export const seen = Object.fromEntries(Object.entries(probes).map(([pair, p]) => [pair, { holds: p.holds, seen: p.seen, to: p.to }]));

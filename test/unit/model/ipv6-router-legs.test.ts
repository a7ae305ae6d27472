/**
 * A router with the same link-local address on every leg (fe80::1, as routers are configured)
 * and hosts routing IPv6 via it (`default via fe80::1 dev eth0`): neighbour discovery answers
 * for fe80::1 on each leg, not only on the first one the namespace holds it on. The kernel
 * judged the model wrong here (test/programs/probe: b → a "unreachable: nobody answers for
 * fe80::1 on the link of probe-b eth0", a reply with hop limit 63 measured).
 */
import { answer, forwarding, ns, ping, route, sysctl, veth } from "./states";

const legs = [
  ns("a"),
  ns("r"),
  ns("b"),
  veth("a-r", { name: "eth0", netns: "a", addresses: ["fd00:31:1::2/64"] }, { name: "toa", netns: "r", addresses: ["fd00:31:1::1/64", "fe80::1/64"] }),
  veth("b-r", { name: "eth0", netns: "b", addresses: ["fd00:31:2::2/64"] }, { name: "tob", netns: "r", addresses: ["fd00:31:2::1/64", "fe80::1/64"] }),
  route("a-default6", "a", "default", "fe80::1", { family: "ipv6", dev: "eth0" }),
  route("b-default6", "b", "default", "fe80::1", { family: "ipv6", dev: "eth0" }),
  sysctl("r-forward6", "r", "net.ipv6.conf.all.forwarding", "1"),
  forwarding("r"),
];

describe("the reachability model: one link-local address on two legs of a router", () => {
  it("answers on both legs: a and b reach each other through r with hop limit 63, and each reaches fe80::1 on its own link", () => {
    expect([answer(ping(legs, "a", "fd00:31:2::2")), answer(ping(legs, "b", "fd00:31:1::2"))]).toEqual(["reachable 63", "reachable 63"]);
    expect([answer(ping(legs, "b", "fd00:31:1::1")), answer(ping(legs, "a", "fe80::1%eth0")), answer(ping(legs, "b", "fe80::1%eth0"))]).toEqual(["reachable 64", "reachable 64", "reachable 64"]);
  });
});

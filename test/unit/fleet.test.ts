/**
 * NamespaceFleet without a kernel: how members are named and addressed (core/fleet-plan.ts),
 * the batches a member is made and changed with (core/members.ts), how the CLI describes and
 * draws a fleet (one group with its count), and the preview's whole-program claims under
 * Pulumi's resource mocks (a member's name claimed elsewhere in the program is refused).
 * The kernel side is test/kernel/fleet.test.ts; the real CLI, test/e2e/fleet.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { expand, nthHost } from "../../provider/core/fleet-plan";
import { argv } from "../../provider/core/members";
import { entryFor } from "../../cli/kinds";

// As the provider answers: a fleet's state names every member (its check expands count and namePrefix).
const withMembers = (t: string, i: Record<string, unknown>) =>
  t.endsWith(":NamespaceFleet") ? { ...i, members: Array.from({ length: Number(i.count) }, (_, k) => ({ name: `${i.namePrefix}${k}`, addresses: [] })) } : i;
pulumi.runtime.setMocks({ newResource: (args) => ({ id: `${args.name}-id`, state: withMembers(args.type, args.inputs) }), call: (args) => args.inputs }, "fleet", "unit", false);
// Loaded after the mocks are set: the SDK registers resources through them.
const sdk = require("../../sdk") as typeof import("../../sdk");
const { resetClaims } = require("../../sdk/topology") as typeof import("../../sdk/topology");

const plan = (over: Record<string, unknown>) => expand({ start: 0, firstHost: 2, ...over } as Parameters<typeof expand>[0]);

describe("a fleet's members (fleet-plan)", () => {
  it("numbers hosts from firstHost, across octets, and keeps IPv4's network and broadcast addresses out", () => {
    expect(nthHost("10.1.0.0/16", 2, 0)).toBe("10.1.0.2/16");
    expect(nthHost("10.1.0.0/16", 2, 300)).toBe("10.1.1.46/16");
    expect(nthHost("10.1.0.0/24", 2, 252)).toBe("10.1.0.254/24");
    expect(nthHost("10.1.0.0/24", 2, 253)).toBeUndefined(); // .255: the broadcast address
    expect(nthHost("fd00:1::/64", 2, 4095)).toBe("fd00:1::1001/64");
  });

  it("names and addresses every member from count and namePrefix, or from a list", () => {
    expect(plan({ count: 3, namePrefix: "c", start: 7, subnet: "10.1.0.0/24", subnet6: "fd00:1::/64" })).toEqual([
      { name: "c7", addresses: ["10.1.0.2/24", "fd00:1::2/64"] },
      { name: "c8", addresses: ["10.1.0.3/24", "fd00:1::3/64"] },
      { name: "c9", addresses: ["10.1.0.4/24", "fd00:1::4/64"] },
    ]);
    expect(plan({ members: [{ name: "a" }, { name: "b", addresses: ["10.1.0.99/24"] }], subnet: "10.1.0.0/24" })).toEqual([
      { name: "a", addresses: ["10.1.0.2/24"] },
      { name: "b", addresses: ["10.1.0.99/24"] },
    ]);
  });

  it.each([
    [{ count: 2 }, "namePrefix", "invalid namePrefix (must be given with count"],
    [{ count: 2, namePrefix: "c", members: [{ name: "a" }] }, "count", "give count with namePrefix, or members: one of them"],
    [{ count: 2000, namePrefix: "averylongnam" }, "namePrefix", 'its members\' names, up to "averylongnam1999", must be at most 15 bytes'],
    [{ count: 3, namePrefix: "c", subnet: "10.1.0.0/30" }, "subnet", 'invalid subnet "10.1.0.0/30" (too small for 3 members from host 2 on)'],
    [{ count: 2, namePrefix: "c", subnet: "10.1.0.0/24", gateway: "10.1.0.3" }, "gateway", "it is members[1]'s own address"],
    [{ count: 2, namePrefix: "c", subnet: "10.1.0.0/24", gateway: "10.2.0.1" }, "gateway", "must be on the members' subnet: members[0] (c0)"],
    [{ count: 2, namePrefix: "c", netns: "c1" }, "netns", 'invalid netns "c1" (it is a member\'s name'],
    [{ members: [{ name: "a" }, { name: "a" }] }, "members", 'invalid members[1].name "a" (must not be listed twice)'],
    [{ count: 1024, namePrefix: "c", bridge: "br0" }, "count", "a Linux bridge takes at most 1023 ports (BR_MAX_PORTS)"],
  ])("refuses %j at %s, naming the rule", (inputs, field, message) => {
    const r = plan(inputs);
    expect(Array.isArray(r) ? r : [r.path[0], r.message]).toEqual([field, expect.stringContaining(message)]);
  });
});

describe("a member's batches (members.ts argv)", () => {
  const fleet = { members: [], netns: "lab", bridge: "br0", ifname: "eth0", loopbackUp: true, linkLocal: false, mcastFlood: false, gateway: "10.1.0.1", owner: "p/s/NamespaceFleet/f", adopt: false };
  const m = { name: "c3", addresses: ["10.1.0.5/24"] };

  it("makes the pair with each end directly in its namespace, the port silent on IPv6, marked, on the bridge", () => {
    expect(argv.make(fleet, m, false)).toEqual([
      ["netns", "add", "c3"],
      ["link", "add", "name", "c3", "netns", "lab", "type", "veth", "peer", "name", "eth0", "netns", "c3"],
    ]);
    expect(argv.port(fleet, m)).toEqual([
      ["link", "set", "dev", "c3", "addrgenmode", "none"],
      ["link", "set", "dev", "c3", "alias", "linuxnet:p/s/NamespaceFleet/f:peer", "master", "br0", "up"],
      ["link", "set", "dev", "c3", "type", "bridge_slave", "mcast_flood", "off"],
    ]);
  });

  it("marks a new member's lo first and gives it no IPv6 link-local address; changes only what differs from what it had", () => {
    expect(argv.inside(fleet, m)).toEqual([
      ["link", "set", "dev", "lo", "alias", "linuxnet:p/s/NamespaceFleet/f", "up"],
      ["link", "set", "dev", "eth0", "addrgenmode", "none"],
      ["link", "set", "dev", "eth0", "alias", "linuxnet:p/s/NamespaceFleet/f:end", "up"],
      ["addr", "add", "10.1.0.5/24", "dev", "eth0"],
      ["route", "replace", "default", "via", "10.1.0.1", "dev", "eth0"],
    ]);
    const had = { inode: 1, loAlias: "linuxnet:p/s/NamespaceFleet/f", loopbackUp: true, alias: "linuxnet:p/s/NamespaceFleet/f:end", up: true, addresses: ["10.1.0.9/24"], gateway: "10.1.0.1" };
    expect(argv.inside(fleet, m, had)).toEqual([
      ["addr", "del", "10.1.0.9/24", "dev", "eth0"],
      ["addr", "add", "10.1.0.5/24", "dev", "eth0"],
      ["route", "replace", "default", "via", "10.1.0.1", "dev", "eth0"], // gone with the link's last IPv4 address
    ]);
    expect(argv.inside(fleet, m, { ...had, addresses: m.addresses })).toEqual([]);
  });
});

describe("the CLI's view of a fleet", () => {
  const props = { members: [{ name: "c0" }, { name: "c1" }, { name: "c2" }], netns: "lab", bridge: "br0", subnet: "10.1.0.0/24", ifname: "eth0" };

  it("describes it as one group with its count, first and last member", () => {
    expect(entryFor("NamespaceFleet").describe(props, "clients")).toBe("fleet of 3 netns c0…c2, eth0 on 10.1.0.0/24, ports of br0 in lab");
  });

  it("draws it as one node with its count, joined to its bridge by one edge", () => {
    const nodes: Array<{ netns: string; name: string; details: string[] }> = [];
    const edges: Array<{ label: string; kind: string }> = [];
    const d = {
      node: (netns: string, name: string, _shape: string, details: string[]) => (nodes.push({ netns, name, details }), `n${nodes.length}`),
      ref: () => "bridge",
      edge: (_a: string, _b: string, label: string, kind: string) => void edges.push({ label, kind }),
    };
    entryFor("NamespaceFleet").draw(props, d as never, "clients");
    expect(nodes).toEqual([{ netns: "lab", name: "fleet clients", details: ["3 namespaces c0…c2", "10.1.0.0/24"] }]);
    expect(edges).toEqual([{ label: "3 veth pairs", kind: "port" }]);
  });
});

describe("the preview's claims", () => {
  beforeEach(() => resetClaims());

  it("refuses a member's name claimed by a Namespace of the program, naming both and the member", () => {
    new sdk.Namespace("n", { name: "c2" });
    expect(() => new sdk.NamespaceFleet("clients", { count: 3, namePrefix: "c", netns: "lab", bridge: "br0" })).toThrow(
      /namespace "c2" is claimed twice: by Namespace "n" \(name\) and by NamespaceFleet "clients" \(members\[2\]\)/,
    );
  });

  it("refuses a member's port name taken by another link in the ports' namespace", () => {
    new sdk.Bridge("b", { name: "c1", netns: "lab" });
    expect(() => new sdk.NamespaceFleet("clients", { count: 2, namePrefix: "c", netns: "lab" })).toThrow(/interface "c1" in netns "lab" is claimed twice: by Bridge "b" \(name\) and by NamespaceFleet "clients" \(members\[1\] \(its port\)\)/);
  });

  it("takes the ports' namespace from a Bridge resource, and gives a member's name as an output of the fleet", async () => {
    const br = new sdk.Bridge("br", { name: "br0", netns: "lab" });
    const f = new sdk.NamespaceFleet("clients", { count: 2, namePrefix: "m", bridge: br });
    expect(() => new sdk.Namespace("x", { name: "m1" })).toThrow(/namespace "m1" is claimed twice/);
    expect(await new Promise((done) => f.member(1).apply(done))).toBe("m1");
  });
});

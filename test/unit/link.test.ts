import { observedConfig, reconcileArgv } from "../../provider/core/link";
import { argv as bridgeArgv } from "../../provider/kinds/bridge";
import { firstRole, argv as vethArgv } from "../../provider/kinds/veth";
import { normalizeCidr } from "../../provider/core/net";
import { linkLines, markLine } from "../../provider/core/link-engine";

const want = { name: "eth0", addresses: ["10.0.0.1/24"], up: true };

describe("reconcileArgv", () => {
  it("configures a fresh link: settings first, then addresses, then up", () => {
    expect(reconcileArgv({ ...want, mtu: 9000, mac: "02:00:00:00:00:01", master: "br0" }, { addresses: [], up: false })).toEqual([
      ["link", "set", "dev", "eth0", "mtu", "9000", "address", "02:00:00:00:00:01", "master", "br0"],
      ["addr", "add", "10.0.0.1/24", "dev", "eth0"],
      ["link", "set", "dev", "eth0", "up"],
    ]);
  });

  it("emits nothing when the kernel already matches", () => {
    expect(reconcileArgv(want, { addresses: ["10.0.0.1/24"], up: true, mtu: 1500, mac: "02:00:00:00:00:09" })).toEqual([]);
  });

  it("deletes the old address before adding the new one (a primary's deletion takes its secondaries along)", () => {
    expect(reconcileArgv({ ...want, addresses: ["10.0.0.2/24"] }, { addresses: ["10.0.0.1/24"], up: true })).toEqual([
      ["addr", "del", "10.0.0.1/24", "dev", "eth0"],
      ["addr", "add", "10.0.0.2/24", "dev", "eth0"],
    ]);
  });

  it("leaves undeclared MTU, MAC and master alone, but detaches from a master that is no longer declared", () => {
    const current = { addresses: ["10.0.0.1/24"], up: true, mtu: 1400, mac: "02:00:00:00:00:09", master: "br0" };
    expect(reconcileArgv(want, current)).toEqual([]);
    expect(reconcileArgv(want, current, { master: "br0" })).toEqual([["link", "set", "dev", "eth0", "nomaster"]]);
  });
});

describe("reconcileArgv, kernel quirks", () => {
  it("puts back kept addresses of a subnet whose primary it deletes (the kernel flushes secondaries with it)", () => {
    expect(reconcileArgv({ ...want, addresses: ["10.0.0.2/24", "10.9.0.1/16"] }, { addresses: ["10.0.0.1/24", "10.0.0.2/24", "10.9.0.1/16"], up: true })).toEqual([
      ["addr", "del", "10.0.0.1/24", "dev", "eth0"],
      ["addr", "replace", "10.0.0.2/24", "dev", "eth0"],
    ]);
  });

  it("deletes, then goes down, then adds, and puts back the IPv6 addresses down drops", () => {
    expect(reconcileArgv({ ...want, addresses: ["fd00::1/64", "fd00::2/64", "10.0.0.1/24"], up: false }, { addresses: ["fd00::1/64", "10.0.0.1/24", "fd00::9/64"], up: true })).toEqual([
      ["addr", "del", "fd00::9/64", "dev", "eth0"],
      ["link", "set", "dev", "eth0", "down"],
      ["addr", "replace", "fd00::1/64", "dev", "eth0"],
      ["addr", "add", "fd00::2/64", "dev", "eth0"],
    ]);
  });

  it("manages an IPv6 link-local address only when it is declared", () => {
    const current = { addresses: [], linkLocal: ["fe80::1/64", "fe80::a8c1:abff:fe00:1/64"], up: true };
    expect(reconcileArgv({ ...want, addresses: ["fe80::1/64"] }, current)).toEqual([]);
    expect(reconcileArgv({ ...want, addresses: [] }, current)).toEqual([]);
  });
});

describe("observedConfig", () => {
  const seen = { ifindex: 3, name: "eth0", mtu: 1500, mac: "02:00:00:00:00:01", up: true, flags: ["UP"], addresses: ["10.0.0.1/24"], linkLocal: ["fe80::5/64"], info: {} };
  it("does not report a master the program did not declare (someone else's business)", () => {
    expect(observedConfig({ ...want }, { ...seen, master: "br9" })).not.toHaveProperty("master");
    expect(observedConfig({ ...want, master: "br0" }, { ...seen, master: "br9" })).toMatchObject({ master: "br9" });
  });

  it("reports a declared link-local address and keeps the declared order when the sets match", () => {
    expect(observedConfig({ ...want, addresses: ["fe80::5/64", "10.0.0.1/24"] }, seen).addresses).toEqual(["fe80::5/64", "10.0.0.1/24"]);
    expect(observedConfig({ ...want, addresses: [] }, seen).addresses).toEqual(["10.0.0.1/24"]);
  });
});

describe("argv builders", () => {
  const pair = (endNs?: string, peerNs?: string) => ({
    end: { name: "veth1", netns: endNs, addresses: [], up: true },
    peer: { name: "veth1_p", netns: peerNs, addresses: [], up: true },
    adopt: false,
  });

  it("creates a veth pair from the end in a named namespace, the other end directly in its own", () => {
    expect(vethArgv.add(pair("net1", "net2"))).toEqual(["link", "add", "name", "veth1", "type", "veth", "peer", "name", "veth1_p", "netns", "net2"]);
    expect(firstRole(pair("net1", "net2"))).toBe("end");
  });

  it("starts from the end in the provider's own namespace, which has no name to give", () => {
    expect(firstRole(pair("net1", undefined))).toBe("peer");
    expect(vethArgv.add(pair("net1", undefined))).toEqual(["link", "add", "name", "veth1_p", "type", "veth", "peer", "name", "veth1", "netns", "net1"]);
    expect(vethArgv.add(pair(undefined, "net2"))).toEqual(["link", "add", "name", "veth1", "type", "veth", "peer", "name", "veth1_p", "netns", "net2"]);
  });

  it("names no namespace when both ends share one", () => {
    expect(vethArgv.add(pair("net1", "net1"))).toEqual(["link", "add", "name", "veth1", "type", "veth", "peer", "name", "veth1_p"]);
  });

  it("marks a just-created end before configuring it", () => {
    const i = { ...pair("net1", "net2"), owner: "lab/dev/VethPair/c1" };
    const peer = { role: "peer", config: i.peer, infoKind: "veth" };
    expect(linkLines(i.owner, peer, { addresses: [], up: false })[0]).toEqual(["link", "set", "dev", "veth1_p", "alias", "linuxnet:lab/dev/VethPair/c1:peer"]);
    expect(linkLines(undefined, peer, { addresses: [], up: false }).flat()).not.toContain("alias");
    expect(markLine("veth1", i.owner, "end")).toEqual([["link", "set", "dev", "veth1", "alias", "linuxnet:lab/dev/VethPair/c1:end"]]);
  });

  it("creates a bridge with its STP state, and toggles STP in place", () => {
    const b = { name: "br0", addresses: [], up: true, stp: false, adopt: false };
    expect(bridgeArgv.add(b)).toEqual(["link", "add", "name", "br0", "type", "bridge", "stp_state", "0"]);
    expect(bridgeArgv.stp({ ...b, stp: true }, { info: { stp_state: 0 } })).toEqual([
      ["link", "set", "dev", "br0", "type", "bridge", "stp_state", "1"],
    ]);
  });
});

describe("normalizeCidr", () => {
  it.each([
    ["192.168.0.101/24", "192.168.0.101/24"],
    ["FD00:0:0:0::1/64", "fd00::1/64"],
    ["2001:db8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128"],
    ["::1/128", "::1/128"],
  ])("spells %s as the kernel prints it: %s", (input, out) => {
    expect(normalizeCidr(input)).toBe(out);
  });

  it.each(["10.0.0.1", "10.0.0.1/33", "::ffff:0102:0304/128", "::102:304/96", "10.0.0.256/24", "fd00::1/129", "010.0.0.1/8", "fe80::1%eth0/64", " 10.0.0.1/24", "::ffff:1.2.3.4/128", "::1.2.3.4/96"])("rejects %j", (bad) => {
    expect(normalizeCidr(bad)).toBeUndefined();
  });
});

describe("parseLink", () => {
  const { parseLink } = require("../../provider/core/link");
  const sample = {
    ifindex: 4,
    link_index: 2,
    ifname: "veth1",
    flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
    mtu: 1500,
    address: "26:bb:a0:0e:aa:67",
    master: "br0",
    linkinfo: { info_kind: "veth", info_slave_kind: "bridge" },
    addr_info: [
      { family: "inet", local: "192.168.0.101", prefixlen: 24, scope: "global" },
      { family: "inet6", local: "fe80::24bb:a0ff:fe0e:aa67", prefixlen: 64, scope: "link" },
    ],
  };

  it("reads what ip -json -details addr show prints", () => {
    expect(parseLink([sample])).toEqual({
      ifindex: 4,
      name: "veth1",
      mtu: 1500,
      mac: "26:bb:a0:0e:aa:67",
      master: "br0",
      up: true,
      flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
      addresses: ["192.168.0.101/24"],
      linkLocal: ["fe80::24bb:a0ff:fe0e:aa67/64"],
      linkIndex: 2,
      kind: "veth",
      info: {},
    });
    expect(parseLink([])).toBeUndefined();
  });

  it("refuses output that lacks what the provider relies on, saying which field", () => {
    expect(() => parseLink([{ ifname: "veth1", mtu: 1500 }])).toThrow(/unexpected output from `ip -json addr show`: ifindex: /);
    expect(() => parseLink([{ ...sample, addr_info: [{ family: "inet", prefixlen: 24 }] }])).toThrow(/unexpected output from `ip -json addr show`: local: /);
  });
});

describe("interface addresses", () => {
  const { addresses } = require("../../provider/core/net");
  const check = (list: string[]) => addresses("addresses").safeParse(list);

  it.each([
    ["0.0.0.0/0", "the unspecified address"],
    ["::/0", "the unspecified address"],
    ["127.0.0.1/8", "a loopback address"],
    ["::1/128", "a loopback address"],
    ["224.0.0.1/24", "a multicast address"],
    ["ff02::1/64", "a multicast address"],
    ["255.255.255.255/32", "the limited broadcast address"],
    ["192.168.0.255/24", "the broadcast address of its /24 subnet"],
  ])("refuses %s on an interface: %s", (bad, rule) => {
    const r = check([bad]);
    expect(r.success).toBe(false);
    expect(r.error.issues[0].message).toContain(`invalid addresses "${bad}" (must not be ${rule}`);
  });

  it.each(["192.168.0.101/24", "10.0.0.0/8", "192.168.0.255/23", "10.0.0.1/31", "10.0.0.1/32", "fe80::1/64", "fd00::1/64"])("accepts %s", (good) => {
    expect(check([good]).success).toBe(true);
  });
});

import { reconcileArgv } from "../../provider/link";
import { argv as bridgeArgv } from "../../provider/bridge";
import { argv as vethArgv } from "../../provider/veth";
import { normalizeCidr } from "../../provider/net";

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

describe("argv builders", () => {
  it("creates a veth pair with each end directly in its namespace, names marked as names", () => {
    const i = { end: { name: "veth1", netns: "net1", addresses: [], up: true }, peer: { name: "veth1_p", addresses: [], up: true } };
    expect(vethArgv.add(i)).toEqual(["link", "add", "name", "veth1", "netns", "net1", "type", "veth", "peer", "name", "veth1_p"]);
  });

  it("creates a bridge with its STP state, and toggles STP in place", () => {
    const b = { name: "br0", addresses: [], up: true, stp: false };
    expect(bridgeArgv.add(b)).toEqual(["link", "add", "name", "br0", "type", "bridge", "stp_state", "0"]);
    expect(bridgeArgv.lines({ ...b, stp: true }, { addresses: [], up: true, info: { stp_state: 0 } })).toEqual([
      ["link", "set", "dev", "br0", "type", "bridge", "stp_state", "1"],
    ]);
  });
});

describe("normalizeCidr", () => {
  it.each([
    ["192.168.0.101/24", "192.168.0.101/24"],
    ["FD00:0:0:0::1/64", "fd00::1/64"],
    ["2001:db8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128"],
  ])("spells %s as the kernel prints it: %s", (input, out) => {
    expect(normalizeCidr(input)).toBe(out);
  });

  it.each(["10.0.0.1", "10.0.0.1/33", "10.0.0.256/24", "fd00::1/129", "010.0.0.1/8", "fe80::1%eth0/64", " 10.0.0.1/24"])("rejects %j", (bad) => {
    expect(normalizeCidr(bad)).toBeUndefined();
  });
});

import { argv, mtuProblem, schema, tunnelProblem, vxlanOf } from "../../provider/kinds/vxlan";
import { checkWith } from "../../provider/core/validate";

const check = (v: Record<string, unknown>) => checkWith(schema, v);
const inputs = (v: Record<string, unknown>) => {
  const c = check(v);
  if (!c.inputs) throw new Error(JSON.stringify(c.failures));
  return c.inputs;
};
// `ip -d -j link show dev vx0` info_data (iproute2 6.1)
const INFO = { id: 42, remote: "10.0.0.2", local: "10.0.0.1", link: "va", port_range: { low: 0, high: 0 }, port: 4789, learning: false, ttl: 10, df: "unset", ageing: 300, udp_csum: true };

describe("VxlanInterface inputs", () => {
  it("defaults to the IANA port 4789 and learning, and normalizes addresses", () => {
    expect(inputs({ name: "vx0", vni: 42, remote: "fd00:0::2", local: "fd00::1" })).toMatchObject({ port: 4789, learning: true, remote: "fd00::2", up: true, addresses: [] });
  });

  it.each([
    [{ name: "vx0", vni: 16777216 }, "vni", "invalid vni 16777216 (must be a whole number from 0 to 16777215: VXLAN network identifiers have 24 bits)"],
    [{ name: "vx0", vni: 1, remote: "239.1.1.1" }, "remote", 'invalid remote "239.1.1.1" (must be a unicast address; a multicast one goes in group)'],
    [{ name: "vx0", vni: 1, group: "239.1.1.1" }, "dev", "invalid dev undefined (must be given with group: the kernel joins the multicast group on that underlay device)"],
    [{ name: "vx0", vni: 1, group: "10.0.0.1", dev: "eth0" }, "group", 'invalid group "10.0.0.1" (must be a multicast address like 239.1.1.1; a unicast one goes in remote)'],
    [{ name: "vx0", vni: 1, remote: "10.0.0.2", local: "fd00::1" }, "local", 'invalid local "fd00::1" (must be of the same IP family as remote "10.0.0.2")'],
    [{ name: "vx0", vni: 1, remote: "0.0.0.0" }, "remote", 'invalid remote "0.0.0.0" (must not be the unspecified or a loopback address: omit it instead)'],
    [{ name: "vx0", vni: 1, port: 0 }, "port", "invalid port 0 (must be a whole number from 1 to 65535)"],
    [{ name: "vx0", vni: 1, ttl: 256 }, "ttl", "invalid ttl 256 (must be a whole number from 1 to 255)"],
    [{ name: "vx0", vni: 1, remote: "10.0.0.300" }, "remote", 'invalid remote "10.0.0.300" (must be an IPv4 or IPv6 address like 172.16.10.2, without a prefix length)'],
  ])("refuses %j, naming field, value and rule", (props, property, reason) => {
    expect(check(props).failures).toEqual([{ property, reason }]);
  });

  it("refuses remote and group together", () => {
    expect(check({ name: "vx0", vni: 1, remote: "10.0.0.2", group: "239.1.1.1", dev: "eth0" }).failures).toContainEqual({
      property: "group",
      reason: 'invalid group "239.1.1.1" (must not be given with remote: a VXLAN sends to one unicast remote or one multicast group)',
    });
  });
});

describe("VxlanInterface argv", () => {
  it("adds the tunnel end with its VNI, addresses, port, underlay, learning and TTL", () => {
    const i = inputs({ name: "vx0", vni: 42, local: "10.0.0.1", remote: "10.0.0.2", dev: "va", learning: false, ttl: 10 });
    expect(argv.add(i)).toEqual(["link", "add", "name", "vx0", "type", "vxlan", "id", "42", "local", "10.0.0.1", "remote", "10.0.0.2", "dstport", "4789", "dev", "va", "nolearning", "ttl", "10"]);
    expect(argv.add(inputs({ name: "vx1", vni: 7, group: "239.1.1.1", dev: "va" }))).toEqual(["link", "add", "name", "vx1", "type", "vxlan", "id", "7", "group", "239.1.1.1", "dstport", "4789", "dev", "va", "learning"]);
  });

  it("reads the kernel's tunnel settings and changes in place only what differs", () => {
    expect(vxlanOf(INFO)).toEqual({ vni: 42, port: 4789, local: "10.0.0.1", remote: "10.0.0.2", group: undefined, dev: "va", learning: false, ttl: 10 });
    const same = inputs({ name: "vx0", vni: 42, local: "10.0.0.1", remote: "10.0.0.2", dev: "va", learning: false, ttl: 10 });
    expect(argv.change(same, INFO)).toEqual([]);
    expect(tunnelProblem(same, INFO)).toBeUndefined();
    expect(argv.change(same, undefined)).toEqual([]); // at create the add has it all
    const moved = inputs({ name: "vx0", vni: 42, remote: "10.0.0.9", learning: true });
    expect(argv.change(moved, INFO)).toEqual([["link", "set", "dev", "vx0", "type", "vxlan", "remote", "10.0.0.9", "local", "0.0.0.0", "learning", "ttl", "auto"]]);
    expect(tunnelProblem(moved, INFO)).toBe("remote is 10.0.0.2; local is 10.0.0.1; learning is false; ttl is 10");
    expect(argv.change(inputs({ name: "vx0", vni: 42, local: "10.0.0.1", dev: "va", learning: false, ttl: 10 }), INFO)).toEqual([["link", "set", "dev", "vx0", "type", "vxlan", "remote", "0.0.0.0"]]);
  });
});

describe("VxlanInterface MTU against its underlay", () => {
  it("counts IPv6's 70-byte overhead for an IPv6 remote or group without local, IPv4's 50 otherwise", () => {
    const v6 = inputs({ name: "vx0", vni: 1, remote: "fd00::2", dev: "eth0", mtu: 1450 });
    expect(mtuProblem(v6, 1500)).toBe('mtu 1450 does not fit in its underlay "eth0" (mtu 1500) with VXLAN\'s 70-byte overhead: at most 1430');
    expect(mtuProblem({ ...v6, mtu: 1430 }, 1500)).toBeUndefined();
    expect(mtuProblem(inputs({ name: "vx0", vni: 1, group: "ff05::1", dev: "eth0", mtu: 1431 }), 1500)).toMatch(/70-byte overhead: at most 1430$/);
    expect(mtuProblem(inputs({ name: "vx0", vni: 1, local: "fd00::1", remote: "fd00::2", dev: "eth0", mtu: 1431 }), 1500)).toMatch(/70-byte overhead/);
    expect(mtuProblem(inputs({ name: "vx0", vni: 1, remote: "10.0.0.2", dev: "eth0", mtu: 1450 }), 1500)).toBeUndefined();
    expect(mtuProblem(inputs({ name: "vx0", vni: 1, remote: "10.0.0.2", dev: "eth0", mtu: 1451 }), 1500)).toMatch(/50-byte overhead: at most 1450$/);
    expect(mtuProblem(inputs({ name: "vx0", vni: 1, dev: "eth0" }), 1500)).toBeUndefined();
  });
});

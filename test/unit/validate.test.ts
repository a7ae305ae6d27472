import { z } from "zod";
import { checkWith, ifName, netnsName, UNKNOWN } from "../../provider/core/validate";

const schema = z.strictObject({ name: ifName("name"), netns: netnsName("netns").optional(), up: z.boolean().default(true) });

describe("interface and namespace names", () => {
  it.each([
    ["a/b", 'invalid name "a/b" (must not contain "/")'],
    ["has space", 'invalid name "has space" (must not contain whitespace)'],
    ["eth0:1", 'invalid name "eth0:1" (must not contain ":")'],
    ["x".repeat(16), `invalid name "${"x".repeat(16)}" (must be at most 15 bytes, the kernel's IFNAMSIZ limit; it has 16)`],
    ["", 'invalid name "" (must not be empty)'],
    ["..", 'invalid name ".." (must not be "." or "..")'],
    ["-help", 'invalid name "-help" (must not start with "-")'],
    ["quo\"te", 'invalid name "quo\\"te" (may contain only letters, digits and _ . + @ -)'],
    ["all", 'invalid name "all" (must not be "all": the kernel keeps it for /proc/sys/net/*/conf/all)'],
    ["default", 'invalid name "default" (must not be "default": the kernel keeps it for /proc/sys/net/*/conf/default)'],
    ["lo", 'invalid name "lo" (must not be "lo": every namespace has its own loopback interface by that name)'],
  ])("rejects %j with the field, the value and the rule", (bad, reason) => {
    expect(checkWith(schema, { name: bad })).toEqual({ failures: [{ property: "name", reason }] });
  });

  it("counts bytes, not characters, against the 15-byte limit", () => {
    const r = checkWith(schema, { name: "ééééééééé" }); // 9 characters, 18 bytes
    expect(r.failures[0].reason).toMatch(/at most 15 bytes.*it has 18/);
  });

  it.each(["eth0", "veth1_p", "enp0s8.100", "br-0a1b", "x".repeat(15)])("accepts %j", (good) => {
    expect(checkWith(schema, { name: good }).inputs).toEqual({ name: good, up: true });
  });

  it("refuses an all-digit namespace name, which iproute2 would read as a process id", () => {
    expect(checkWith(schema, { name: "a", netns: "1" }).failures).toEqual([
      { property: "netns", reason: 'invalid netns "1" (must not be all digits: iproute2 would read it as a process id)' },
    ]);
    expect(checkWith(schema, { name: "a", netns: "1a" }).failures).toEqual([]);
  });

  it("allows long namespace names but not a slash in them", () => {
    expect(checkWith(schema, { name: "a", netns: "n".repeat(40) }).failures).toEqual([]);
    expect(checkWith(schema, { name: "a", netns: "x/y" }).failures).toEqual([
      { property: "netns", reason: 'invalid netns "x/y" (must not contain "/")' },
    ]);
  });
});

describe("checkWith", () => {
  it("fills defaults and drops the provider's own __provider key", () => {
    expect(checkWith(schema, { name: "a", __provider: "serialized" })).toEqual({ inputs: { name: "a", up: true }, failures: [] });
  });

  it("reports every bad field at once", () => {
    const r = checkWith(schema, { name: "a/b", up: "yes" });
    expect(r.failures.map((f) => f.property).sort()).toEqual(["name", "up"]);
  });

  it("names unknown fields instead of ignoring a typo", () => {
    const r = checkWith(schema, { name: "a", loopbakUp: false });
    expect(r.failures).toEqual([{ property: "loopbakUp", reason: 'unknown field "loopbakUp" (must be one of "name", "netns", "up")' }]);
  });

  it("names a nested unknown field and a list element the way Pulumi spells property paths", () => {
    const nested = z.strictObject({ end: z.strictObject({ name: ifName("end.name"), addresses: z.array(z.string().min(2, { error: "too short" })) }) });
    expect(checkWith(nested, { end: { name: "a", addresses: ["ok", "x"], mcu: 1 } }).failures).toEqual([
      { property: "end.addresses[1]", reason: "too short" },
      { property: "end.mcu", reason: 'unknown field "mcu" (must be one of "name", "addresses")' },
    ]);
  });

  it("fills defaults and normalizes inside nested objects whose other fields are still unknown", () => {
    const { cidr } = require("../../provider/core/net");
    const nested = z.strictObject({ end: z.strictObject({ name: ifName("end.name"), addresses: z.array(cidr("end.addresses")).default([]), up: z.boolean().default(true) }) });
    expect(checkWith(nested, { end: { name: UNKNOWN, addresses: ["FD00::1/64"] } })).toEqual({
      inputs: { end: { name: UNKNOWN, addresses: ["fd00::1/64"], up: true } },
      failures: [],
    });
    expect(checkWith(nested, { end: { name: "e", addresses: [UNKNOWN, "FD00::2/64"] } }).inputs).toEqual({ end: { name: "e", addresses: [UNKNOWN, "fd00::2/64"], up: true } });
  });

  it("lets preview's unknown placeholder through and still checks the known fields", () => {
    expect(checkWith(schema, { name: UNKNOWN })).toEqual({ inputs: { name: UNKNOWN, up: true }, failures: [] });
    expect(checkWith(schema, { name: UNKNOWN, netns: "a b" }).failures).toEqual([
      { property: "netns", reason: 'invalid netns "a b" (must not contain whitespace)' },
    ]);
  });
});

describe("whole-program claims (sdk/topology.ts)", () => {
  const { claimAddresses, resetClaims } = require("../../sdk/topology");
  beforeEach(() => resetClaims());

  it("refuses one address on two links of a namespace, whatever its prefix", () => {
    claimAddresses("lab", ["10.0.0.1/24"], "Bridge \"a\" (addresses)");
    expect(() => claimAddresses("lab", ["10.0.0.1/16"], "Bridge \"b\" (addresses)")).toThrow(/address 10\.0\.0\.1 in netns "lab" is claimed twice/);
  });

  it("allows what the kernel takes on purpose: one IPv6 link-local address on many links, and host addresses (/32, /128) of unnumbered links", () => {
    claimAddresses("lab", ["fe80::1/64", "10.0.0.9/32", "fd00::9/128"], "VethPair \"a\" (end.addresses)");
    expect(() => claimAddresses("lab", ["fe80::1/64", "10.0.0.9/32", "fd00::9/128"], "VethPair \"b\" (end.addresses)")).not.toThrow();
  });
});

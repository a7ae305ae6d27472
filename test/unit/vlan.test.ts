import { argv, schema } from "../../provider/kinds/vlan";
import { checkWith } from "../../provider/core/validate";

const check = (v: Record<string, unknown>) => checkWith(schema, v);

describe("VlanInterface inputs", () => {
  it("names the sub-interface PARENT.ID by default, as vconfig and Docker do, with 802.1Q as the protocol", () => {
    expect(check({ parent: "enp0s8", vlanId: 100 }).inputs).toMatchObject({ name: "enp0s8.100", protocol: "802.1Q", up: true, addresses: [] });
    expect(check({ parent: "enp0s8", vlanId: 100, name: "v100" }).inputs?.name).toBe("v100");
  });

  it("refuses a default name over 15 bytes, suggesting one", () => {
    expect(check({ parent: "enp0s20f0u1u2", vlanId: 100 }).failures).toEqual([
      {
        property: "name",
        reason: `invalid name (the default PARENT.ID "enp0s20f0u1u2.100" must be at most 15 bytes, the kernel's IFNAMSIZ limit; it has 17: set name, e.g. "vlan100")`,
      },
    ]);
  });

  it.each([0, 4095, 5000, 1.5, -1])("refuses vlanId %p, naming the range", (id) => {
    expect(check({ parent: "eth0", vlanId: id }).failures).toEqual([
      { property: "vlanId", reason: `invalid vlanId ${id} (must be a whole number from 1 to 4094: 0 and 4095 are reserved by 802.1Q)` },
    ]);
  });

  it("refuses an unknown tag protocol and a bad parent name", () => {
    expect(check({ parent: "eth0", vlanId: 5, protocol: "802.1x" }).failures).toEqual([{ property: "protocol", reason: 'invalid protocol "802.1x" (must be "802.1Q" or "802.1ad")' }]);
    expect(check({ parent: "eth 0", vlanId: 5 }).failures).toEqual([{ property: "parent", reason: 'invalid parent "eth 0" (must not contain whitespace)' }]);
  });

  it("adds the sub-interface on its parent with the tag protocol and id", () => {
    const i = check({ parent: "enp0s8", vlanId: 200, protocol: "802.1ad" }).inputs!;
    expect(argv.add(i as never)).toEqual(["link", "add", "link", "enp0s8", "name", "enp0s8.200", "type", "vlan", "protocol", "802.1ad", "id", "200"]);
  });
});

import { changedFields, diffProps } from "../../provider/core/kind";
import { UNKNOWN } from "../../provider/core/validate";

const fields = ["name", "netns", "addresses", "mtu", "up"];
const replaceOn = ["name", "netns"];
const base = { name: "veth1", netns: "net1", addresses: ["10.0.0.1/24"], mtu: 1500, up: true };

describe("diffProps", () => {
  it("reports no change when only key order differs, or an optional is undefined on one side and absent on the other", () => {
    expect(diffProps(fields, replaceOn, { ...base, mac: undefined }, { up: true, mtu: 1500, addresses: ["10.0.0.1/24"], netns: "net1", name: "veth1" })).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("updates in place when a non-replacing field changes", () => {
    expect(diffProps(fields, replaceOn, base, { ...base, mtu: 9000 })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("replaces, deleting first, when the name changes", () => {
    expect(diffProps(fields, replaceOn, base, { ...base, name: "veth2", mtu: 9000 })).toEqual({
      changes: true,
      replaces: ["name"],
      deleteBeforeReplace: true,
    });
  });

  it("treats a value unknown at preview as a change of that field", () => {
    expect(diffProps(fields, replaceOn, base, { ...base, netns: UNKNOWN }).replaces).toEqual(["netns"]);
  });

  it("ignores outputs that are not input fields", () => {
    expect(changedFields(fields, { ...base, ifindex: 4 }, { ...base, ifindex: 9 })).toEqual([]);
  });
});

describe("defined", () => {
  it("drops undefined values at any depth (the engine cannot encode them)", () => {
    const { defined } = require("../../provider/core/kind");
    expect(defined({ a: 1, b: undefined, c: { d: undefined, e: [1, { f: undefined }] } })).toEqual({ a: 1, c: { e: [1, {}] } });
    expect(Object.keys(defined({ b: undefined }))).toEqual([]);
  });
});

import { at, differingPaths, isSecret, revealed, segments, str, text, UNKNOWN } from "../../../model/values";

const exportedSecret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" };
const shownSecret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: '["10.0.0.7/24"]' };

describe("values", () => {
  it("reveals a secret of an export made with --show-secrets (for orphans: the hosts' connections), and nothing else", () => {
    expect(revealed(shownSecret)).toEqual(["10.0.0.7/24"]);
    expect(revealed(exportedSecret)).toBe(exportedSecret);
    expect(revealed({ host: "h" })).toEqual({ host: "h" });
  });

  it("splits Pulumi property paths, list indexes included", () => {
    expect(segments("end.addresses[0]")).toEqual(["end", "addresses", 0]);
    expect(segments("name")).toEqual(["name"]);
  });

  it("recognises a secret in each shape the CLI writes it: preview's [secret], export's ciphertext and --show-secrets plaintext", () => {
    for (const s of ["[secret]", exportedSecret, shownSecret]) expect(isSecret(s)).toBe(true);
    expect(isSecret("10.0.0.1/24")).toBe(false);
  });

  it("never prints a secret, at any depth, and says so instead", () => {
    expect(text({ addresses: shownSecret, name: "up0" })).toBe("{addresses: [secret], name: up0}");
    expect(text([exportedSecret, "x"])).toBe("[secret], x");
    expect(text(shownSecret)).not.toContain("10.0.0.7");
  });

  it("stops a path at a secret or an unknown value: what lies below is not known", () => {
    expect(at({ end: { addresses: "[secret]" } }, "end.addresses[0]")).toBe("[secret]");
    expect(str({ end: { addresses: "[secret]" } }, "end.addresses[0]")).toBe("[secret]");
    expect(str({ end: UNKNOWN }, "end.name")).toBe("(known after up)");
  });

  it("shows lists as comma lists, an empty one as none, a missing value as unset", () => {
    expect(text(["10.0.0.1/24", "fd00::1/64"])).toBe("10.0.0.1/24, fd00::1/64");
    expect(text([])).toBe("none");
    expect(text(undefined)).toBe("(unset)");
    expect(text(1400)).toBe("1400");
  });

  it("finds the leaves that differ, lists whole, key order aside", () => {
    expect(differingPaths({ end: { name: "e0", addresses: ["a", "b"] }, x: 1 }, { x: 1, end: { addresses: ["a", "c"], name: "e0" } })).toEqual(["end.addresses"]);
    expect(differingPaths({ a: 1, __provider: "x" }, { a: 1, __provider: "y", b: 2 })).toEqual(["b"]);
  });
});

import { changes, replacementReasons } from "../../../cli/changes";
import { fromPreview, type Resource } from "../../../cli/resources";
import { fixture } from "./helpers";

const plan = (name: string) => {
  const rs = fromPreview(fixture(name), "stdin");
  return { get: (n: string) => rs.find((r) => r.name === n)!, all: new Map(rs.map((r) => [r.urn, r])) };
};

describe("what a step changes and why it replaces", () => {
  it("lists the engine's paths, lists whole, old → new", () => {
    const { get } = plan("resources-update");
    expect(changes(get("v"))).toEqual([
      { path: "end.addresses", old: "10.70.0.2/24", new: "10.70.0.3/24" },
      { path: "peer.mtu", old: "(unset)", new: "1400" },
    ]);
    expect(changes(get("a"))).toEqual([{ path: "loopbackUp", old: "true", new: "false" }]);
  });

  it("explains a replacement by the nested field behind the engine's top-level reason", () => {
    const { get, all } = plan("resources-replace-veth");
    expect(replacementReasons(get("v"), all)).toEqual(["end.name changed: the kernel name is the identity"]);
  });

  it("explains a replacement the engine gives no reason for by the replaced resource it depends on", () => {
    const { get, all } = plan("resources-replace-bridge");
    expect(changes(get("v"))).toEqual([{ path: "end.master", old: "br0", new: "br1" }]);
    expect(replacementReasons(get("v"), all)).toEqual(["it depends on Bridge br, which is replaced: the engine deletes that first and replaces what depends on it"]);
  });

  it("gives both its own identity change and the dependency, when a namespace is renamed under a pair", () => {
    const { get, all } = plan("resources-replace-namespace");
    expect(replacementReasons(get("v"), all)).toEqual([
      "peer.netns changed: a link is made in its namespace, so in another one it is a new link",
      "it depends on Namespace b, which is replaced: the engine deletes that first and replaces what depends on it",
    ]);
  });

  it("falls back to a plain reason for a field the kind's entry does not explain", () => {
    const r = { kind: "Unheard", urn: "u", name: "x", type: "t", props: {}, op: "replace", olds: { a: 1 }, news: { a: 2 }, replaceReasons: ["a"], dependencies: [] } as Resource;
    expect(replacementReasons(r, new Map())).toEqual(["a changed: the provider replaces the object when it changes"]);
  });

  it("keeps the index of a list of objects: a fleet's one member, not every member's addresses", () => {
    const m = (k: number, a: string) => ({ name: `c${k}`, addresses: [a, `fd00::${k}/64`] });
    const olds = { members: [m(0, "10.0.0.2/24"), m(1, "10.0.0.3/24")] };
    const news = { members: [m(0, "10.0.0.2/24"), m(1, "10.0.0.9/24"), m(2, "10.0.0.4/24")] };
    const detailedDiff = { "members[1].addresses[0]": { kind: "update" }, "members[2]": { kind: "add" } };
    const r = { kind: "NamespaceFleet", urn: "u", name: "f", type: "t", props: news, op: "update", olds, news, detailedDiff, dependencies: [] } as unknown as Resource;
    expect(changes(r)).toEqual([
      { path: "members[1].addresses", old: "10.0.0.3/24, fd00::1/64", new: "10.0.0.9/24, fd00::1/64" },
      { path: "members[2]", old: "(unset)", new: "{name: c2, addresses: 10.0.0.4/24, fd00::2/64}" },
    ]);
  });

  it("never shows a secret's value, old or new", () => {
    const { get } = plan("ci-update");
    expect(changes(get("uplink"))).toEqual([{ path: "end.addresses", old: "[secret]", new: "[secret]" }]);
  });
});

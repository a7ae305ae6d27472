import { fromPreview } from "../../../cli/resources";
import { summarize } from "../../../cli/summary";
import { fixture } from "./helpers";

const summary = (name: string, opts = {}) => summarize(fromPreview(fixture(name), "stdin"), opts);

describe("preview-summary", () => {
  it("counts by operation and puts the most destructive rows first", () => {
    const s = summary("ci-update", { unchanged: 4 });
    expect(s).toContain("**Plan:** 🟠 3 to replace · 🔵 1 to update · 🟢 2 to create · 4 unchanged");
    const ops = [...s.matchAll(/^\| (🟠 replace|🔵 update|🟢 create) \| (\w+) \| `([^`]+)`/gm)].map((m) => `${m[1].split(" ")[1]} ${m[2]} ${m[3]}`);
    expect(ops).toEqual(["replace Bridge lab-br0", "replace VethPair c1-eth0", "replace VethPair c2-eth0", "update VethPair uplink", "create Namespace c3", "create VethPair c3-eth0"]);
  });

  it("shows old → new per property and why each replacement happens", () => {
    const s = summary("resources-update");
    expect(s).toContain("| 🔵 update | Bridge | `br` | `e2e17x0a` | `addresses`: `10.70.0.1/24` → `10.70.0.9/24`<br>`stp`: `false` → `true` |");
    expect(summary("resources-replace-veth")).toContain("| 🟠 replace | VethPair | `v` | `e2e17x0a` ⟷ `e2e17x0b` | `end.name`: `e0` → `e1`<br>**replaced because** end.name changed: the kernel name is the identity |");
  });

  it("warns about every delete, and that replacements delete first", () => {
    const s = summary("resources-delete");
    expect(s.match(/^> ⚠️ \*\*deletes\*\* /gm)).toHaveLength(4);
    expect(s).toContain("> ⚠️ **deletes** Namespace `b`: netns e2e17x0c, with every link still in it");
    expect(summary("resources-replace-bridge")).toContain("> ⚠️ 2 replacements delete the old object before making the new one: traffic through it stops meanwhile");
  });

  it("never prints a secret", () => {
    const s = summary("ci-update");
    expect(s).toContain("`end.addresses`: `[secret]` → `[secret]`");
    expect(s).not.toMatch(/192\.168\.50\.[78]/);
  });

  it("stays within the limit it is given, saying how many rows it left out", () => {
    const s = summary("ci-update", { maxLength: 900 });
    expect(s.length).toBeLessThanOrEqual(900);
    expect(s).toMatch(/\n… and \d+ more resources? not shown: a comment holds at most 65,536 characters$/);
  });

  it("says so when nothing changes", () => {
    const rs = fromPreview(fixture("resources-update"), "stdin").map((r) => ({ ...r, op: "same" as const }));
    expect(summarize(rs)).toBe("### Network changes\n\n**No changes.** 4 resources unchanged.");
  });

  it("escapes its title", () => {
    expect(summary("resources-create", { title: "a <b> | c" })).toMatch(/^### a &lt;b&gt; \\\| c\n/);
  });
});

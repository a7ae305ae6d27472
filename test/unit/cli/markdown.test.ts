import { code, escapeText, fit, row } from "../../../cli/markdown";

describe("markdown", () => {
  it("keeps cells in their column and HTML out", () => {
    expect(escapeText("a|b <b>&\nc")).toBe("a\\|b &lt;b&gt;&amp; c");
    expect(code("x|`y`")).toBe("`x\\|'y'`");
    expect(row(["a", "b"])).toBe("| a | b |");
    expect(row(["x".repeat(5000)])).toHaveLength(4 + 4000 + 1);
  });

  it("fits lines into a limit, counting what it leaves out, with room for that line", () => {
    const items = Array.from({ length: 10 }, (_, i) => `${i}`.repeat(10));
    expect(fit(["h"], items, [], 1000, (n) => `+${n}`)).toBe(["h", ...items].join("\n"));
    const cut = fit(["h"], items, [], 50, (n) => `… and ${n} more`);
    expect(cut.length).toBeLessThanOrEqual(50);
    expect(cut).toBe(["h", items[0], items[1], items[2], "… and 7 more"].join("\n"));
  });
});

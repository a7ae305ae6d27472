import { XMLValidator } from "fast-xml-parser";
import { toDot } from "../../../cli/dot";
import { buildGraph } from "../../../cli/graph";
import { fromExport, fromPreview } from "../../../cli/resources";
import { toSvg } from "../../../cli/svg";
import { fixture } from "./helpers";

describe("SVG through Graphviz WebAssembly", () => {
  it("renders well-formed SVG holding every namespace and link label", async () => {
    const svg = await toSvg(toDot(buildGraph(fromExport(fixture("macvlan-export"), "stdin"), false)));
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toMatch(/^<\?xml [^>]*\?>\n<!DOCTYPE svg/);
    for (const text of ["netns host1", "netns lan", "eth0 172.16.10.2", "mac1"]) expect(svg).toContain(text);
  });

  it("renders a preview, legend included", async () => {
    const svg = await toSvg(toDot(buildGraph(fromPreview(fixture("resources-replace-namespace"), "stdin"), true)));
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain("green: create");
  });

  it("turns a Graphviz failure into one line", async () => {
    await expect(toSvg("digraph { a -> }")).rejects.toThrow(/^Graphviz could not lay out the diagram: /);
  });
});

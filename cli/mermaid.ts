/**
 * The graph as a Mermaid flowchart, which GitHub renders inside Markdown (a ```mermaid
 * block): namespaces are subgraphs, objects are nodes of their kind's shape, links are edges
 * to a bridge or to the namespace's box, coloured by operation in a preview.
 */
import type { Graph, GraphNode, Shape } from "./graph";
import { colourOf, EXTERNAL_COLOUR } from "./style";

/** Mermaid's own escapes: quotes and markup characters as entity codes. */
const esc = (s: string) => s.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");

const SHAPES: Record<Shape, [string, string]> = {
  bridge: ["[[", "]]"],
  vlan: ["[/", "/]"],
  macvlan: ["[\\", "/]"],
  router: ["{{", "}}"],
  interface: ["([", "])"],
  note: [">", "]"],
};

const nodeLine = (n: GraphNode) => {
  const [open, close] = SHAPES[n.shape];
  return `${n.id}${open}"${n.lines.map(esc).join("<br/>")}"${close}`;
};

export function toMermaid(g: Graph): string {
  const out = ["flowchart LR"];
  for (const c of g.clusters) {
    out.push(`  subgraph ${c.id}["${esc(c.label)}"]`);
    for (const n of g.nodes.filter((x) => x.cluster === c.id)) out.push(`    ${nodeLine(n)}`);
    out.push("  end");
  }
  for (const n of g.nodes.filter((x) => !x.cluster)) out.push(`  ${nodeLine(n)}`);
  g.edges.forEach((e) => out.push(`  ${e.from} ${e.kind === "veth" ? "---" : "-.-"}|"${esc(e.label)}"| ${e.to}`));

  const styled = [...g.clusters, ...g.nodes].flatMap((x) => {
    const colour = colourOf(x.op) ?? ("external" in x && x.external ? EXTERNAL_COLOUR : undefined);
    if (!colour) return [];
    const dashed = x.op === "delete" || ("external" in x && x.external);
    return [`  style ${x.id} stroke:${colour},stroke-width:2px${dashed ? ",stroke-dasharray:5 5" : ""}`];
  });
  const links = g.edges.flatMap((e, i) => {
    const colour = colourOf(e.op);
    return colour ? [`  linkStyle ${i} stroke:${colour},stroke-width:2px${e.op === "delete" ? ",stroke-dasharray:5 5" : ""}`] : [];
  });
  return [...out, ...styled, ...links].join("\n") + "\n";
}

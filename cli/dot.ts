/**
 * The graph in Graphviz's DOT language: namespaces are clusters, objects are nodes of their
 * kind's shape, and a link that ends at a namespace ends at the cluster's border (an
 * invisible anchor node with lhead/ltail). Rendered to SVG by svg.ts.
 */
import type { Graph, GraphNode, Shape } from "./graph";
import { colourOf, EXTERNAL_COLOUR, LEGEND } from "./style";

const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
const attrs = (a: Record<string, string | number | undefined>) =>
  `[${Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "number" ? v : quote(v!)}`)
    .join(", ")}]`;

const SHAPES: Record<Shape, string> = {
  bridge: "box3d",
  vlan: "cds",
  macvlan: "component",
  router: "hexagon",
  interface: "ellipse",
  note: "note",
};

function nodeAttrs(n: GraphNode) {
  const colour = colourOf(n.op) ?? (n.external ? EXTERNAL_COLOUR : undefined);
  const dashed = n.op === "delete" || n.external;
  return attrs({
    shape: SHAPES[n.shape],
    label: n.lines.join("\n"),
    color: colour,
    fontcolor: n.external ? EXTERNAL_COLOUR : undefined,
    penwidth: colourOf(n.op) ? 2 : undefined,
    style: dashed ? "dashed" : undefined,
  });
}

export function toDot(g: Graph): string {
  const out = [
    "digraph linuxnet {",
    `  graph ${attrs({ compound: "true", rankdir: "LR", fontname: "Helvetica", fontsize: 12, nodesep: 0.3, ranksep: 0.9, label: g.planned ? LEGEND : undefined, labelloc: g.planned ? "b" : undefined })};`,
    `  node ${attrs({ fontname: "Helvetica", fontsize: 11, margin: "0.2,0.08" })};`,
    `  edge ${attrs({ fontname: "Helvetica", fontsize: 10, dir: "none" })};`,
  ];
  const clusterOf = new Map<string, string | undefined>([...g.clusters.map((c) => [c.id, c.id] as const), ...g.nodes.map((n) => [n.id, n.cluster] as const)]);
  const isCluster = new Set(g.clusters.map((c) => c.id));
  for (const c of g.clusters) {
    const colour = colourOf(c.op);
    out.push(`  subgraph ${quote(`cluster_${c.id}`)} {`);
    out.push(`    graph ${attrs({ label: c.label, style: c.op === "delete" ? "rounded,dashed" : "rounded", color: colour ?? "#57606a", penwidth: colour ? 2 : 1, fontcolor: colour })};`);
    out.push(`    ${quote(c.id)} ${attrs({ shape: "point", style: "invis", width: 0.01, height: 0.01, label: "" })};`);
    for (const n of g.nodes.filter((x) => x.cluster === c.id)) out.push(`    ${quote(n.id)} ${nodeAttrs(n)};`);
    out.push("  }");
  }
  for (const n of g.nodes.filter((x) => !x.cluster)) out.push(`  ${quote(n.id)} ${nodeAttrs(n)};`);
  for (const e of g.edges) {
    const apart = clusterOf.get(e.from) !== clusterOf.get(e.to);
    const colour = colourOf(e.op);
    const style = [e.kind === "veth" ? "" : "dotted", e.op === "delete" ? "dashed" : ""].filter(Boolean).join(",");
    out.push(
      `  ${quote(e.from)} -> ${quote(e.to)} ${attrs({
        label: e.label,
        ltail: apart && isCluster.has(e.from) ? `cluster_${e.from}` : undefined,
        lhead: apart && isCluster.has(e.to) ? `cluster_${e.to}` : undefined,
        color: colour,
        fontcolor: colour,
        penwidth: colour ? 2 : undefined,
        style: style || undefined,
      })};`,
    );
  }
  out.push("}");
  return out.join("\n") + "\n";
}

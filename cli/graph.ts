/**
 * The topology as a graph, independent of how it is drawn: namespaces are boxes (clusters),
 * bridges, VLAN and macvlan interfaces and routers are nodes of their own shapes inside
 * them, and links (veth pairs, ports, parents) are edges. Each kind adds its part through
 * the `Drawing` calls (see kinds.ts); mermaid.ts and dot.ts render the result. In a preview
 * every part carries the operation of the resource that made it, for colouring.
 */
import type { Drawing, EdgeKind, Shape } from "./drawing";
import { byKindAndName, entryFor } from "./kinds";
import type { Op, Resource } from "./resources";

export type { EdgeKind, Shape } from "./drawing";

export interface Cluster {
  id: string;
  /** The namespace's name; "" is the namespace pulumi runs in. */
  netns: string;
  label: string;
  op?: Op;
}
export interface GraphNode {
  id: string;
  cluster?: string;
  shape: Shape;
  /** The object's name, then its details (addresses, VLAN id…), one per line. */
  lines: string[];
  op?: Op;
  /** Named by another object (a master, a parent) but not declared in this stack. */
  external?: boolean;
}
export interface GraphEdge {
  from: string;
  to: string;
  label: string;
  kind: EdgeKind;
  op?: Op;
}
export interface Graph {
  clusters: Cluster[];
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Whether it shows a plan (colours mean operations) or a deployed stack. */
  planned: boolean;
}

const ifKey = (netns: string, name: string) => `if:${netns}/${name}`;
const NOTES = "notes";

/** Builds the graph of the given resources (in their kinds' layers, then by kind and name: the same stack draws the same). */
export function buildGraph(resources: readonly Resource[], planned: boolean): Graph {
  const g: Graph = { clusters: [], nodes: [], edges: [], planned };
  const clusters = new Map<string, Cluster>();
  const nodes = new Map<string, GraphNode>();
  let op: Op | undefined;

  const cluster = (netns: string): Cluster => {
    let c = clusters.get(netns);
    if (!c) {
      c = { id: `ns${clusters.size}`, netns, label: netns ? `netns ${netns}` : "pulumi's own netns" };
      clusters.set(netns, c);
      g.clusters.push(c);
    }
    return c;
  };
  const place = (key: string, n: Omit<GraphNode, "id">): GraphNode => {
    const found = nodes.get(key);
    if (found) return found;
    const made = { id: `n${nodes.size}`, ...n };
    nodes.set(key, made);
    g.nodes.push(made);
    return made;
  };

  const drawing: Drawing = {
    namespace: (netns) => cluster(netns).id,
    declareNamespace: (netns) => void (cluster(netns).op = op),
    node(netns, name, shape, details, key = ifKey(netns, name)) {
      const n = place(key, { cluster: cluster(netns).id, shape, lines: [], op });
      Object.assign(n, { shape, lines: [name, ...details], op, external: undefined });
      return n.id;
    },
    isReferenced: (netns, name) => nodes.has(ifKey(netns, name)),
    ref: (netns, name, key = ifKey(netns, name)) => place(key, { cluster: cluster(netns).id, shape: "interface", lines: [name], external: true }).id,
    edge: (from, to, label, kind) => void g.edges.push({ from, to, label, kind, op }),
    note(netns, line) {
      const n = place(`${NOTES}:${netns}`, { cluster: cluster(netns).id, shape: "note", lines: [], op });
      n.lines.push(line);
    },
  };

  const ordered = resources.map((r) => ({ r, entry: entryFor(r.kind) })).sort((a, b) => a.entry.layer - b.entry.layer || byKindAndName(a.r, b.r));
  for (const { r, entry } of ordered) {
    op = planned ? r.op : undefined;
    entry.draw(r.props, drawing, r.name);
  }
  return g;
}

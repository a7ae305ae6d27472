/**
 * What a kind's entry (kinds.ts) may add to the diagram, and the shapes it draws with;
 * graph.ts implements it. Its own module so that graph.ts and kinds.ts do not import each other.
 */

export type Shape = "bridge" | "vlan" | "macvlan" | "router" | "interface" | "note";
/** veth: a veth pair; port: a link and its bridge; parent: a VLAN or macvlan and the link it sits on. */
export type EdgeKind = "veth" | "port" | "parent";

/** What a kind may add to the diagram. Namespaces are named by their kernel name ("" = pulumi's own). */
export interface Drawing {
  /** The box of a namespace (made on first use); returns its id, usable as an edge end. */
  namespace(netns: string): string;
  /** The namespace is declared by the resource being drawn (its colour is that resource's operation). */
  declareNamespace(netns: string): void;
  /** A node of an object in a namespace, found again by `key` (default: its interface name there). */
  node(netns: string, name: string, shape: Shape, details: string[], key?: string): string;
  /** The node another object names (a bridge by `master`, a link by `parent`): drawn as external until declared. */
  ref(netns: string, name: string, key?: string): string;
  /** Whether another object named this interface (so it gets a node instead of being only an edge's end). */
  isReferenced(netns: string, name: string): boolean;
  edge(from: string, to: string, label: string, kind: EdgeKind): void;
  /** A line in the namespace's notes (a route, a sysctl, a firewall rule). */
  note(netns: string, line: string): void;
}

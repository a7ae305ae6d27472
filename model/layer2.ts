/**
 * Layer 2 of the model: which interfaces hear each other's frames. A wire is what veth pairs
 * (both ends up) and bridges (up, with their up ports) join; a VLAN sub-interface sits on its
 * parent's wire under one more tag; a macvlan interface sits on its parent's wire, except that
 * it never talks with the parent itself, and with its siblings on that parent only as the
 * modes allow (bridge: directly; private: never; vepa, or bridge with vepa: only through a
 * switch that sends frames back out of the port they came in on, which no bridge here does;
 * passthru: the one macvlan of its parent, which it stands in for on the wire). A macvlan in
 * source mode takes frames only from MACs listed for it, which no resource declares: unknown.
 */
import { ipText } from "./ip";
import type { Iface, Model } from "./model";

/** Whether a VXLAN tunnel's UDP gets through the underlay both ways (the prediction's to say). */
export type Underlay = (a: Iface, b: Iface) => true | { no: string } | { unknown: string };

/** An interface that sends and receives frames itself (not a bridge port). */
export interface Neighbour {
  station: Iface;
  /** undefined: it hears the frames; else why that is not known. */
  unknown?: string;
}

export interface Wire {
  neighbours: Neighbour[];
  /** Interfaces on it that cannot hear this one, and why (for the reason of an unreachable pair). */
  excluded: Array<{ station: Iface; why: string }>;
  /** Why stations the stack does not know may be on it too (an answer missing is then unknown). */
  open?: string;
  /** Why the interface itself is on no known wire. */
  unknown?: string;
  /** Why nothing can be on it (its parent or its veth peer is down). */
  down?: string;
}

interface Segment {
  key: string;
  /** Why nothing is on it (a parent down). */
  down?: string;
  open?: string;
  unknown?: string;
  stp?: string;
}

const where = (m: Model, i: Iface) => `${m.namespaces.get(i.ns)!.label} ${i.name}`;

export class Layer2 {
  private readonly root = new Map<string, string>();
  private readonly segments = new Map<string, Segment>();
  private readonly traits = new Map<string, { open?: string; stp?: string; cut?: string }>();
  private readonly wires = new Map<string, Wire>();
  /** Stations by segment key, filled on first use. */
  private bySegment?: Map<string, Iface[]>;

  /** VXLAN ends whose tunnel is not joined: why (unknown: the wire is open; no: said when nobody answers). */
  private readonly tunnelNotes = new Map<string, { no?: string; unknown?: string }>();

  constructor(
    private readonly m: Model,
    underlay?: Underlay,
  ) {
    for (const i of m.ifaces.values()) {
      if ((i.kind !== "veth" && i.kind !== "vxlan") || !i.up) continue;
      const peer = i.peer ? m.ifaces.get(i.peer) : undefined;
      if (peer?.up) this.union(i.key, peer.key);
      const bridge = i.master ? m.ifaces.get(`${i.ns}/${i.master}`) : undefined;
      if (bridge?.kind === "bridge" && bridge.up) this.union(i.key, bridge.key);
    }
    this.tunnels(underlay);
  }

  /**
   * VXLAN: two up ends of one VNI and port join their wires when each one's `remote` is on the
   * other's side (its `local`, its machine, or an address of its namespace) and the underlay
   * carries the UDP both ways. An end with a multicast group, or one whose remote is no end of
   * the stack, may reach what the stack does not declare: its wire is open.
   */
  private tunnels(underlay?: Underlay): void {
    const ends = [...this.m.ifaces.values()].filter((i) => i.kind === "vxlan" && i.up && i.vxlan);
    if (!ends.length) return;
    const side = (b: Iface) => new Set([b.vxlan!.local, b.vxlan!.host, ...[...this.m.ifaces.values()].filter((j) => j.ns === b.ns).flatMap((j) => j.addresses.map((a) => ipText(a.ip)))].filter(Boolean));
    const sendsTo = (a: Iface, b: Iface) => a !== b && a.vxlan!.vni === b.vxlan!.vni && a.vxlan!.port === b.vxlan!.port && a.vxlan!.remote !== undefined && side(b).has(a.vxlan!.remote);
    for (const a of ends) {
      const e = a.vxlan!;
      const to = ends.filter((b) => sendsTo(a, b));
      const back = to.filter((b) => sendsTo(b, a));
      if (e.group !== undefined) this.tunnelNotes.set(a.key, { unknown: `${where(this.m, a)} sends to the multicast group ${e.group}: who else listens there is not declared` });
      else if (e.remote === undefined) this.tunnelNotes.set(a.key, { no: `${where(this.m, a)} has no remote: its frames go only where its FDB says, and the stack declares no entry` });
      else if (!to.length) this.tunnelNotes.set(a.key, { unknown: `${where(this.m, a)} sends to ${e.remote}, where no VXLAN end of the stack with VNI ${e.vni} and port ${e.port} is` });
      else if (!back.length) this.tunnelNotes.set(a.key, { unknown: `${where(this.m, a)} sends to ${to.map((b) => where(this.m, b)).join(", ")}, which does not send back to it (only what it learns${e.learning ? "" : ", and learning is off"})` });
      for (const b of back) {
        if (a.key > b.key) continue;
        const u = underlay ? underlay(a, b) : { unknown: "the VXLAN underlay is not known" };
        if (u === true) this.union(a.key, b.key);
        else for (const x of [a, b]) this.tunnelNotes.set(x.key, "no" in u ? { no: u.no } : { unknown: u.unknown });
      }
    }
  }


  private find(k: string): string {
    let r = k;
    while (this.root.has(r) && this.root.get(r) !== r) r = this.root.get(r)!;
    return r;
  }
  private union(a: string, b: string): void {
    const [x, y] = [this.find(a), this.find(b)];
    if (x !== y) this.root.set(x, y);
  }

  /** Everything joined on the base wire of `i` (before tags): why unknown stations may be there, STP. */
  private baseTraits(i: Iface): { open?: string; stp?: string; cut?: string } {
    const base = this.find(i.key);
    const known = this.traits.get(base);
    if (known) return known;
    let open: string | undefined;
    let stp: string | undefined;
    let cut: string | undefined;
    for (const j of this.m.ifaces.values()) {
      if (this.find(j.key) !== base) continue;
      const ns = this.m.namespaces.get(j.ns)!;
      if (j.kind === "bridge" && j.stp) stp ??= `bridge ${where(this.m, j)} runs STP: its ports forward only after the forward delay, if STP does not block them`;
      if (j.master && !this.m.ifaces.has(`${j.ns}/${j.master}`)) open ??= `${where(this.m, j)} is a port of ${j.master}, which the stack does not manage`;
      if (!ns.managed) open ??= `${ns.label} is not made by the stack: what else is on the link through ${j.name} is not known`;
      const note = this.tunnelNotes.get(j.key);
      if (note?.unknown) open ??= note.unknown;
      if (note?.no) cut ??= note.no;
    }
    const traits = { open, stp, cut };
    this.traits.set(base, traits);
    return traits;
  }

  /** The wire and tags an interface sends on (a station's, or a parent's for what sits on it). */
  private segment(i: Iface, depth = 0): Segment {
    const known = this.segments.get(i.key);
    if (known) return known;
    let s: Segment;
    if (depth > 8) s = { key: "", unknown: `${where(this.m, i)} sits on a chain of parents too deep for the model` };
    else if (i.master) s = { key: "", unknown: `${where(this.m, i)} is a bridge port: what sits on it is outside the model` };
    else if (i.kind === "veth" || i.kind === "bridge" || i.kind === "vxlan") {
      const { cut, ...traits } = this.baseTraits(i);
      s = { key: this.find(i.key), ...traits, ...(cut && { down: cut }) };
    }
    else {
      const parent = i.parent ? this.m.ifaces.get(i.parent) : undefined;
      const parentName = i.parent?.slice(i.parent.indexOf("/") + 1) ?? "?";
      const parentNs = i.parent ? this.m.namespaces.get(i.parent.slice(0, i.parent.indexOf("/"))) : undefined;
      if (!parent) s = { key: "", unknown: `${where(this.m, i)} sits on ${parentName} in ${parentNs?.label ?? "?"}, which the stack does not manage` };
      else if (!parent.up) s = { key: `down:${i.key}`, down: `its parent ${where(this.m, parent)} is down` };
      else if (parent.kind === "macvlan" && i.kind === "macvlan") s = { key: "", unknown: `${where(this.m, i)} is a macvlan on a macvlan: outside the model` };
      else {
        const p = this.segment(parent, depth + 1);
        s = i.kind === "vlan" ? { ...p, key: `${p.key}>${i.tag}` } : p;
        if (i.kind === "macvlan" && !parentNs?.managed) s = { ...s, open: s.open ?? `${parentNs?.label} is not made by the stack: other macvlan interfaces may sit on ${parentName}` };
      }
    }
    this.segments.set(i.key, s);
    return s;
  }

  /**
   * Whether an up link lets its IPv6 addresses pass duplicate address detection: a veth only
   * with its peer up (a carrier), a bridge always, a VLAN or macvlan as its parent (a parent the
   * stack does not manage is taken as up). Until then the link's IPv6 addresses stay tentative.
   */
  carrier(i: Iface, depth = 0): boolean {
    if (!i.up || depth > 8) return false;
    if (i.kind === "veth") return i.peer === undefined || this.m.ifaces.get(i.peer)?.up === true;
    if (i.kind === "vxlan") return true;
    // an up bridge's addresses pass DAD with or without ports (the kernel, measured: an empty bridge's IPv6 address answers)
    if (i.kind === "bridge") return true;
    const parent = i.parent ? this.m.ifaces.get(i.parent) : undefined;
    return parent === undefined || this.carrier(parent, depth + 1);
  }

  /** Whether the interface sends and receives frames itself: up, and not a bridge port. */
  isStation(i: Iface): boolean {
    return i.up && !i.master;
  }

  /** Who hears frames `a` sends. */
  wire(a: Iface): Wire {
    const known = this.wires.get(a.key);
    if (known) return known;
    const w = this.compute(a);
    this.wires.set(a.key, w);
    return w;
  }

  private compute(a: Iface): Wire {
    const sa = this.segment(a);
    if (sa.unknown) return { neighbours: [], excluded: [], unknown: sa.unknown };
    if (!this.bySegment) {
      this.bySegment = new Map();
      for (const b of this.m.ifaces.values()) {
        const sb = this.isStation(b) ? this.segment(b) : undefined;
        if (!sb || sb.unknown) continue;
        if (!this.bySegment.has(sb.key)) this.bySegment.set(sb.key, []);
        this.bySegment.get(sb.key)!.push(b);
      }
    }
    const neighbours: Neighbour[] = [];
    const excluded: Wire["excluded"] = [];
    for (const b of this.bySegment.get(sa.key) ?? []) {
      if (b === a) continue;
      const why = this.between(a, b, sa);
      if (why === true) neighbours.push({ station: b, ...(sa.stp && { unknown: sa.stp }) });
      else if (why.unknown) neighbours.push({ station: b, unknown: why.unknown });
      else excluded.push({ station: b, why: why.no! });
    }
    const peer = a.peer ? this.m.ifaces.get(a.peer) : undefined;
    const down = sa.down ?? (peer && !peer.up ? `its peer ${where(this.m, peer)} is down` : undefined);
    return { neighbours, excluded, open: sa.open, down };
  }

  /** Two interfaces on one segment: do frames pass between them? The macvlan rules. */
  private between(a: Iface, b: Iface, s: Segment): true | { no?: string; unknown?: string } {
    const m = this.m;
    if (a.parent === b.key || b.parent === a.key) {
      const [child, parent] = a.parent === b.key ? [a, b] : [b, a];
      if (child.kind === "macvlan") return { no: `${where(m, parent)} does not reach its own macvlan interface ${where(m, child)} (a host shim, hostAccess, does)` };
    }
    const source = [a, b].find((x) => x.kind === "macvlan" && x.mode === "source");
    if (source) return { unknown: `${where(m, source)} is a macvlan in source mode: it takes frames only from the MACs listed for it, which the stack does not declare` };
    if (a.kind !== "macvlan" || b.kind !== "macvlan" || a.parent !== b.parent) return true;
    const modes = [a.mode, b.mode];
    const pair = `${where(m, a)} and ${where(m, b)}`;
    if (modes.includes("private")) return { no: `${pair} are macvlan interfaces of one parent in private mode, which keeps them apart` };
    if (modes.every((x) => x === "bridge")) return true;
    if (modes.includes("passthru")) return { unknown: `${pair} are macvlan interfaces of one parent, one in passthru mode: the kernel refuses a second macvlan on a passthru parent` };
    if (s.open) return { unknown: `${pair} are macvlan interfaces of one parent in vepa mode: they reach each other only if the switch outside sends frames back (hairpin), and ${s.open}` };
    return { no: `${pair} are macvlan interfaces of one parent in vepa mode: their frames go out to the link and no bridge of the stack sends them back (no hairpin)` };
  }
}

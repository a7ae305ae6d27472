import * as pulumi from "@pulumi/pulumi";
import { placeholders } from "../provider/registry";
import { Bridge, netnsInput } from "./bridge";
import type { NetnsRef } from "./link";
import { type CommonArgs, connectionInput, MODULE, ownerFor, withSecretConnection } from "./provider";
import { claimAddresses, claimInterface, claimNamespace, hostOf, knownOf, netnsWords, place, placeOf, remember, who } from "./topology";
import provider = require("./providers/namespace-fleet");

/** One member, written out (instead of `count`). */
export interface FleetMemberArgs {
  /** Its namespace's name, which also names its port (so at most 15 bytes). */
  name: string;
  /** Its addresses (CIDR). Default: from `subnet` and `subnet6`, by the member's position. */
  addresses?: string[];
}

/** What every member reaches, checked from each member (as a `Probe` would), in parallel. */
export interface FleetExpectationArgs {
  /** The address (IPv4 or IPv6) every member probes. */
  to: pulumi.Input<string>;
  /** A TCP port to connect to instead of ICMP echo. */
  port?: pulumi.Input<number>;
  /** Default: "reachable". */
  expect?: pulumi.Input<"reachable" | "unreachable">;
  /** Echo replies each member needs. Default: 1. */
  count?: pulumi.Input<number>;
  /** Seconds each member waits. Default: 3. */
  timeout?: pulumi.Input<number>;
  /** Members probed at once. Default: 32. */
  parallel?: pulumi.Input<number>;
}

export interface NamespaceFleetArgs extends CommonArgs {
  /** How many members: named `namePrefix` + number, from `start` (default 0). Or give `members`. */
  count?: number;
  /** The members' names' beginning, with `count`: `c` gives c0, c1, … */
  namePrefix?: string;
  /** The first member's number. Default: 0. */
  start?: number;
  /** The members, written out (instead of `count`). */
  members?: FleetMemberArgs[];
  /** Where the members' ports are: a `Namespace` or its name (omitted: `bridge`'s namespace, else the one `pulumi` runs in). */
  netns?: NetnsRef;
  /** The bridge (in `netns`) whose ports the members' other ends become: a `Bridge` or its name. Omitted: plain links in `netns`. */
  bridge?: pulumi.Input<string> | Bridge;
  /** The name of each member's own end. Default: eth0. */
  ifname?: string;
  /** An IPv4 network the members' addresses come from: member k gets host `firstHost + k`. */
  subnet?: string;
  /** An IPv6 network, the same way. Members without IPv6 addresses have IPv6 silenced (no link-local, no multicast). */
  subnet6?: string;
  /** The host number of member 0 in the subnets. Default: 2 (1 is usually the gateway). */
  firstHost?: number;
  /** The IPv4 default route of every member, via this address. */
  gateway?: pulumi.Input<string>;
  /** The IPv6 default route of every member, via this address. */
  gateway6?: pulumi.Input<string>;
  /** The MTU of both ends of every member's veth. */
  mtu?: pulumi.Input<number>;
  /** Bring each member's `lo` up. Default: true. */
  loopbackUp?: pulumi.Input<boolean>;
  /**
   * An IPv6 link-local address on each member's own end. Default: false: a member's IPv6 uses
   * its `subnet6` address alone (no link-local, no duplicate address detection on it), as at a
   * thousand members on one bridge their link-local addresses' detection, router and listener
   * solicitations overflow the kernel's input backlog for minutes (bench/storm.sh). Changing it
   * applies to members made from then on.
   */
  linkLocal?: boolean;
  /** Flood multicast to the members' ports (the bridge's own default). Default: true. */
  mcastFlood?: pulumi.Input<boolean>;
  /** What every member reaches, checked at create, update and refresh. */
  expect?: pulumi.Input<FleetExpectationArgs>;
}

/** One member as the kernel has it. */
export interface FleetMemberState {
  name: string;
  /** Its namespace's inode: a member made again has another. */
  inode: number;
  /** Its own end's ifindex (in the member). */
  ifindex: number;
  /** Its port's ifindex (in `netns`). */
  portIfindex: number;
}

/** The members' names as the provider gives them (`namePrefix` + number, or as listed): for the preview's claims. */
function memberNames(args: NamespaceFleetArgs): string[] | undefined {
  if (args.members) return args.members.every((m) => typeof m?.name === "string") ? args.members.map((m) => m.name) : undefined;
  if (typeof args.count !== "number" || typeof args.namePrefix !== "string" || !Number.isInteger(args.count) || args.count < 0) return undefined;
  return Array.from({ length: Math.min(args.count, 100_000) }, (_, k) => `${args.namePrefix}${(args.start ?? 0) + k}`);
}

/**
 * A Bridge's namespace as the ports' namespace: its plain name where the program gave one (an
 * output whose value is undefined reads as unknown at preview, and `netns` replaces the fleet),
 * else its output.
 */
function bridgeNetns(bridge: Bridge): pulumi.Input<string> | undefined {
  const known = knownOf(bridge.name)?.netns;
  if (known === undefined) return bridge.netns as pulumi.Output<string>;
  const netns = known.includes("\x01") ? known.slice(known.indexOf("\x01") + 1) : known;
  return netns || undefined;
}

/**
 * Many like members as one resource: N namespaces, each with a veth whose own end (`ifname`)
 * holds its addresses and default routes and whose other end, named like the member, is a
 * port of `bridge`. Made and removed by batched `ip` (a thousand members in seconds); the
 * state names every member, so a preview shows each member that changes
 * (`members[17].addresses[0]`) and an update touches only those.
 */
export class NamespaceFleet extends pulumi.dynamic.Resource {
  /** Every member, named and addressed (as declared; after refresh: those the kernel has whole). */
  public declare readonly members: pulumi.Output<Array<{ name: string; addresses: string[] }>>;
  /** Per member: its namespace's inode and its ends' ifindexes. */
  public declare readonly memberStates: pulumi.Output<FleetMemberState[]>;
  /** The expectation's answer at the last create, update or refresh. */
  public declare readonly expectation: pulumi.Output<{ holds: boolean; checked: number; failing: string[] } | undefined>;
  public declare readonly netns: pulumi.Output<string | undefined>;
  public declare readonly bridge: pulumi.Output<string | undefined>;
  public declare readonly ifname: pulumi.Output<string>;
  /** The ownership mark's owner (`project/stack/NamespaceFleet/name`): every member's `lo` carries it, its ends with `:end`/`:peer`. */
  public declare readonly owner: pulumi.Output<string>;
  private readonly names: string[] | undefined;

  constructor(name: string, args: NamespaceFleetArgs, opts?: pulumi.CustomResourceOptions) {
    const bridge = args.bridge instanceof Bridge ? args.bridge.name : args.bridge;
    const netns = netnsInput(args.netns) ?? (args.bridge instanceof Bridge ? bridgeNetns(args.bridge) : undefined);
    const names = memberNames(args);
    const host = hostOf(args.connection);
    if (names && host !== undefined) {
      const ports = args.netns !== undefined ? placeOf(args.netns, args.connection) : args.bridge instanceof Bridge ? knownOf(args.bridge.name)?.netns : args.bridge === undefined ? place(host, "") : undefined;
      const known = knownOf(bridge);
      if (ports !== undefined && known?.kind === "Bridge" && known.netns !== undefined && known.netns !== ports) {
        throw new pulumi.RunError(`pulumi-linuxnet: NamespaceFleet "${name}": bridge "${known.value}" is in ${netnsWords(known.netns)}, but the ports are in ${netnsWords(ports)} (a port must be in its bridge's namespace)`);
      }
      for (const [k, member] of names.entries()) {
        claimNamespace(member, host, who("NamespaceFleet", name, `members[${k}]`));
        if (ports !== undefined) claimInterface(ports, member, who("NamespaceFleet", name, `members[${k}] (its port)`));
        if (args.members?.[k]?.addresses) claimAddresses(place(host, member), args.members[k].addresses, who("NamespaceFleet", name, `members[${k}].addresses`));
      }
    }
    const props = { ...placeholders("namespaceFleet"), ...args, netns, bridge, connection: connectionInput(args.connection), owner: ownerFor("NamespaceFleet", name) };
    super(provider, name, props, withSecretConnection(opts), MODULE, "NamespaceFleet");
    this.names = names;
  }

  /**
   * A member's namespace name, by its position or name, as an output of the fleet (so what
   * uses it, a `Probe`'s `netns` say, comes after the fleet).
   */
  member(which: number | string): pulumi.Output<string> {
    const wanted = typeof which === "number" ? this.names?.[which] : which;
    const out = this.members.apply((ms) => {
      const found = typeof which === "number" ? ms?.[which] : ms?.find((m) => m.name === which);
      if (!found && !pulumi.runtime.isDryRun()) throw new Error(`NamespaceFleet has no member ${JSON.stringify(which)}`);
      return found?.name ?? wanted ?? "";
    });
    if (wanted !== undefined) remember(out, "Namespace", wanted);
    return out;
  }
}


import * as pulumi from "@pulumi/pulumi";
import { placeholders, VXLAN_PORT, vxlanOverhead } from "../provider/registry";
import { Bridge, netnsInput } from "./bridge";
import { type LinkArgs, type NetnsRef, rememberPlace } from "./link";
import { type CommonArgs, connectionInput, MODULE, ownerFor, withSecretConnection } from "./provider";
import { claimAddresses, claimInterface, placeOf, plainOf, remember, who } from "./topology";
import provider = require("./providers/vxlan");

/** What VXLAN adds to each frame on the underlay: 50 bytes over IPv4, 70 over IPv6 (the overlay MTU is the underlay's less this). */
export { vxlanOverhead };


export interface VxlanInterfaceArgs extends Omit<LinkArgs, "name">, CommonArgs {
  /** Interface name (≤ 15 bytes). Default: the resource name. Changing it replaces the interface. */
  name?: pulumi.Input<string>;
  /** The VXLAN network identifier, 0–16777215; both ends of a tunnel use the same. Changing it replaces the interface. */
  vni: pulumi.Input<number>;
  /** This machine's underlay address the tunnel's UDP packets leave from (`local`). Omitted: none (the kernel picks the source by route). Changed in place. */
  local?: pulumi.Input<string>;
  /** The other end's underlay address (`remote`), unicast; not with `group`. Omitted: none (frames go only where the FDB says). Changed in place. */
  remote?: pulumi.Input<string>;
  /** A multicast group to flood to and learn from (`group`), instead of `remote`; needs `dev`. Changed in place. */
  group?: pulumi.Input<string>;
  /** UDP destination port. Default: 4789 (IANA; the kernel's own default is 8472). Changing it replaces the interface. */
  port?: pulumi.Input<number>;
  /** The underlay device (`dev`), in the same namespace: its MTU less VXLAN's overhead is the interface's default MTU. Omitted: left as it is. Changed in place. */
  dev?: pulumi.Input<string>;
  /** Learn remote MACs from received frames (`learning`/`nolearning`). Default: true. Changed in place. */
  learning?: pulumi.Input<boolean>;
  /** The outer packets' TTL, 1–255. Omitted: the kernel's default. Changed in place. */
  ttl?: pulumi.Input<number>;
  /** Bridge (in the same namespace) this interface is a port of: a `Bridge` or its name. Changed in place. */
  master?: pulumi.Input<string> | Bridge;
  /**
   * MTU, 68–65535. Omitted: the kernel's (the underlay's MTU less 50 bytes for an IPv4
   * underlay, 70 for IPv6, when `dev` is given; 1500 otherwise). Changed in place.
   */
  mtu?: pulumi.Input<number>;
}

/**
 * A VXLAN tunnel end (`ip link add vxlan42 type vxlan id 42 local A remote B dstport 4789 dev
 * eth0`): an Ethernet link whose frames travel in UDP to another machine that this one can
 * route to. Address it, or make it a bridge's port to join two LANs; `VxlanTunnel` makes both
 * ends at once.
 */
export class VxlanInterface extends pulumi.dynamic.Resource {
  public declare readonly name: pulumi.Output<string>;
  public declare readonly netns: pulumi.Output<string | undefined>;
  public declare readonly vni: pulumi.Output<number>;
  public declare readonly local: pulumi.Output<string | undefined>;
  public declare readonly remote: pulumi.Output<string | undefined>;
  public declare readonly group: pulumi.Output<string | undefined>;
  public declare readonly port: pulumi.Output<number>;
  public declare readonly dev: pulumi.Output<string | undefined>;
  public declare readonly learning: pulumi.Output<boolean>;
  public declare readonly ttl: pulumi.Output<number | undefined>;
  public declare readonly master: pulumi.Output<string | undefined>;
  public declare readonly addresses: pulumi.Output<string[]>;
  public declare readonly up: pulumi.Output<boolean>;
  public declare readonly mtu: pulumi.Output<number | undefined>;
  public declare readonly mac: pulumi.Output<string | undefined>;
  /** The interface's ifindex in its namespace. */
  public declare readonly ifindex: pulumi.Output<number>;
  /** The MAC the kernel uses now. */
  public declare readonly actualMac: pulumi.Output<string>;
  /** The MTU the kernel uses now. */
  public declare readonly actualMtu: pulumi.Output<number>;
  /** The ownership mark's owner (`project/stack/VxlanInterface/name`), carried as the alias. */
  public declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: VxlanInterfaceArgs, opts?: pulumi.CustomResourceOptions) {
    const ifname = args.name ?? name;
    const netns = netnsInput(args.netns);
    const master = args.master instanceof Bridge ? args.master.name : args.master;
    const plainNetns = placeOf(args.netns, args.connection);
    if (plainNetns !== undefined) {
      claimInterface(plainNetns, plainOf(ifname), who("VxlanInterface", name, "name"));
      claimAddresses(plainNetns, args.addresses, who("VxlanInterface", name, "addresses"));
    }
    super(
      provider,
      name,
      { ...placeholders("vxlan"), ...args, name: ifname, netns, master, connection: connectionInput(args.connection), owner: ownerFor("VxlanInterface", name) },
      { ...withSecretConnection(opts), dependsOn: [...(args.master instanceof Bridge ? [args.master] : []), ...(opts?.dependsOn ? ([] as pulumi.Input<pulumi.Resource>[]).concat(opts.dependsOn as never) : [])] },
      MODULE,
      "VxlanInterface",
    );
    remember(this.name, "VxlanInterface", plainOf(ifname), plainNetns, args.mtu);
    rememberPlace(this, { name: ifname, netns, connection: args.connection });
  }
}

/** One end of a `VxlanTunnel`: where it is and what it joins. */
export interface VxlanEndArgs {
  /** The machine: a `Host` or SSH settings. Omitted: the machine `pulumi` runs on. */
  connection?: CommonArgs["connection"];
  /** The namespace the tunnel end is made in (where its underlay is). Omitted: the one `pulumi` runs in. */
  netns?: NetnsRef;
  /** This end's underlay address: the other end's `remote`. */
  local: pulumi.Input<string>;
  /** The underlay device `local` is on. */
  dev?: pulumi.Input<string>;
  /** Interface name. Default: `vxlan<VNI>`. */
  name?: pulumi.Input<string>;
  /** The bridge this end joins as a port (two bridges on two machines become one LAN). */
  bridge?: pulumi.Input<string> | Bridge;
  /** Addresses on the tunnel end itself (to join two namespaces without bridges). */
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface VxlanTunnelArgs {
  /** The VXLAN network identifier both ends use. */
  vni: number;
  /** UDP port. Default: 4789. */
  port?: number;
  /** The MTU of the underlay path between the machines. Default: 1500. */
  underlayMtu?: number;
  /** Underlay family: "ipv4" (default, 50 bytes of overhead) or "ipv6" (70). Taken from `a.local` when it is a literal. */
  underlay?: "ipv4" | "ipv6";
  /** Learn remote MACs from received frames. Default: true (two ends need no FDB entries). */
  learning?: boolean;
  a: VxlanEndArgs;
  b: VxlanEndArgs;
}

/**
 * Two machines' bridges (or namespaces) joined over VXLAN: a `VxlanInterface` on each, each
 * end's `remote` the other's `local`, both with the overlay MTU (the underlay's less VXLAN's
 * overhead: 1450 on a 1500 underlay over IPv4). Links on the joined bridges must not exceed
 * `mtu` either (give it to their `mtu`): a bridge drops a frame larger than its port's MTU.
 */
export class VxlanTunnel extends pulumi.ComponentResource {
  /** The overlay MTU: what a frame's payload may be across the tunnel. */
  public readonly mtu: number;
  public readonly a: VxlanInterface;
  public readonly b: VxlanInterface;

  constructor(name: string, args: VxlanTunnelArgs, opts?: pulumi.ComponentResourceOptions) {
    super("linuxnet:index:VxlanTunnel", name, {}, opts);
    const plainLocal = plainOf(args.a.local);
    const underlay = args.underlay ?? (plainLocal?.includes(":") ? "ipv6" : "ipv4");
    this.mtu = (args.underlayMtu ?? 1500) - vxlanOverhead(underlay);
    const end = (side: "a" | "b", me: VxlanEndArgs, other: VxlanEndArgs) =>
      new VxlanInterface(
        `${name}-${side}`,
        {
          name: me.name ?? `vxlan${args.vni}`,
          vni: args.vni,
          port: args.port ?? VXLAN_PORT,
          local: me.local,
          remote: other.local,
          dev: me.dev,
          learning: args.learning,
          master: me.bridge,
          addresses: me.addresses,
          netns: me.netns,
          connection: me.connection,
          mtu: this.mtu,
        },
        { parent: this },
      );
    this.a = end("a", args.a, args.b);
    this.b = end("b", args.b, args.a);
    this.registerOutputs({ mtu: this.mtu });
  }
}

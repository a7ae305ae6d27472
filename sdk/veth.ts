import * as pulumi from "@pulumi/pulumi";
import type { LinkConfig } from "../provider/link";
import type { LinkArgs } from "./link";
import { MODULE } from "./provider";
import provider = require("./providers/veth");

export interface VethEndArgs extends LinkArgs {
  /**
   * Bridge (in the same namespace) this end is a port of, e.g. `bridge.name`. Changed in place;
   * removing it detaches the end. Omitted: a bridge the end was put on by hand is left alone.
   */
  master?: pulumi.Input<string>;
}

export interface VethPairArgs {
  /** One end, as in `ip link add <end> type veth peer name <peer>`. */
  end: pulumi.Input<VethEndArgs>;
  /** The other end. Both ends may not share a name within one namespace. */
  peer: pulumi.Input<VethEndArgs>;
}

/** The settings of one end as the kernel has them after create, update or refresh. */
export type VethEnd = LinkConfig;

/**
 * A veth pair: two linked interfaces, each created directly in its own namespace with one
 * kernel call (`ip link add A netns X type veth peer name B netns Y`), then addressed,
 * attached to a bridge and brought up. Deleting it (or either end's namespace) removes both ends.
 */
export class VethPair extends pulumi.dynamic.Resource {
  public declare readonly end: pulumi.Output<VethEnd>;
  public declare readonly peer: pulumi.Output<VethEnd>;
  /** ifindex of `end` in its namespace. */
  public declare readonly endIfindex: pulumi.Output<number>;
  /** ifindex of `peer` in its namespace: `end`'s peer_ifindex, as `ethtool -S <end>` shows it. */
  public declare readonly peerIfindex: pulumi.Output<number>;
  /** MAC of `end` as the kernel has it. */
  public declare readonly endMac: pulumi.Output<string>;
  /** MAC of `peer` as the kernel has it. */
  public declare readonly peerMac: pulumi.Output<string>;
  /** MTU of `end` as the kernel has it. */
  public declare readonly endMtu: pulumi.Output<number>;
  /** MTU of `peer` as the kernel has it. */
  public declare readonly peerMtu: pulumi.Output<number>;

  constructor(name: string, args: VethPairArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { endIfindex: undefined, peerIfindex: undefined, endMac: undefined, peerMac: undefined, endMtu: undefined, peerMtu: undefined };
    super(provider, name, { ...args, ...outputs }, opts, MODULE, "VethPair");
  }
}

import * as pulumi from "@pulumi/pulumi";
import { placeholders } from "../provider/registry";
import { type LinkArgs, rememberPlace } from "./link";
import { Namespace } from "./namespace";
import { type CommonArgs, connectionInput, MODULE, ownerFor, withSecretConnection } from "./provider";
import { claimAddresses, claimInterface, placeOf, plainOf, remember, who } from "./topology";
import provider = require("./providers/bridge");

export interface BridgeArgs extends Omit<LinkArgs, "name">, CommonArgs {
  /** Bridge name (≤ 15 bytes). Defaults to the resource name. Changing it replaces the bridge. */
  name?: pulumi.Input<string>;
  /** Spanning Tree Protocol (`stp_state`). Default: false, so ports forward at once. Changed in place. */
  stp?: pulumi.Input<boolean>;
}

/** A `Namespace` given where a name is expected becomes its name (and a dependency). */
export function netnsInput(netns: LinkArgs["netns"]): pulumi.Input<string> | undefined {
  return netns instanceof Namespace ? netns.name : netns;
}

/**
 * A Linux bridge (`ip link add NAME type bridge`), optionally addressed, in a namespace.
 * Ports join through a veth end's `master`; deleting the bridge detaches them.
 */
export class Bridge extends pulumi.dynamic.Resource {
  public declare readonly name: pulumi.Output<string>;
  public declare readonly netns: pulumi.Output<string | undefined>;
  public declare readonly addresses: pulumi.Output<string[]>;
  public declare readonly stp: pulumi.Output<boolean>;
  public declare readonly up: pulumi.Output<boolean>;
  public declare readonly mtu: pulumi.Output<number | undefined>;
  public declare readonly mac: pulumi.Output<string | undefined>;
  /** The bridge's ifindex in its namespace. */
  public declare readonly ifindex: pulumi.Output<number>;
  /** The MAC the kernel uses now (derived from the ports unless `mac` is set). */
  public declare readonly actualMac: pulumi.Output<string>;
  /** The MTU the kernel uses now (the smallest port MTU unless `mtu` is set). */
  public declare readonly actualMtu: pulumi.Output<number>;
  /** The ownership mark's owner (`project/stack/Bridge/name`), carried as the bridge's alias. */
  public declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: BridgeArgs = {}, opts?: pulumi.CustomResourceOptions) {
    const brName = args.name ?? name;
    const netns = netnsInput(args.netns);
    const plainNetns = placeOf(args.netns, args.connection);
    if (plainNetns !== undefined) {
      claimInterface(plainNetns, plainOf(brName), who("Bridge", name, "name"));
      claimAddresses(plainNetns, args.addresses, who("Bridge", name, "addresses"));
    }
    super(
      provider,
      name,
      { ...placeholders("bridge"), ...args, netns, name: brName, connection: connectionInput(args.connection), owner: ownerFor("Bridge", name) },
      withSecretConnection(opts),
      MODULE,
      "Bridge",
    );
    remember(this.name, "Bridge", plainOf(brName), plainNetns, args.mtu);
    rememberPlace(this, { name: brName, netns, connection: args.connection });
  }
}

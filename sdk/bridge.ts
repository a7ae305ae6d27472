import * as pulumi from "@pulumi/pulumi";
import type { LinkArgs } from "./link";
import { MODULE } from "./provider";
import provider = require("./providers/bridge");

export interface BridgeArgs extends Omit<LinkArgs, "name"> {
  /** Bridge name (≤ 15 bytes). Defaults to the resource name. Changing it replaces the bridge. */
  name?: pulumi.Input<string>;
  /** Spanning Tree Protocol (`stp_state`). Default: false, so ports forward at once. Changed in place. */
  stp?: pulumi.Input<boolean>;
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

  constructor(name: string, args: BridgeArgs = {}, opts?: pulumi.CustomResourceOptions) {
    const outputs = { netns: undefined, addresses: undefined, stp: undefined, up: undefined, mtu: undefined, mac: undefined, ifindex: undefined, actualMac: undefined, actualMtu: undefined };
    super(provider, name, { ...outputs, ...args, name: args.name ?? name, ifindex: undefined, actualMac: undefined, actualMtu: undefined }, opts, MODULE, "Bridge");
  }
}

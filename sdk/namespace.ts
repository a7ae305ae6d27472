import * as pulumi from "@pulumi/pulumi";
import { MODULE } from "./provider";
import provider = require("./providers/namespace");

export interface NamespaceArgs {
  /**
   * The namespace's name as `ip netns list` shows it (a file under /run/netns): 1–255 bytes of
   * letters, digits and `_ . + @ -`, not starting with "-", not all digits (iproute2 would read
   * it as a process id). Defaults to the resource name.
   * Changing it replaces the namespace (and everything in it).
   */
  name?: pulumi.Input<string>;
  /** Bring the loopback interface `lo` up. Default: true. Changed in place. */
  loopbackUp?: pulumi.Input<boolean>;
}

/**
 * A named network namespace: `ip netns add NAME` (+ `ip -n NAME link set lo up`).
 * Delete is `ip netns del NAME`; a namespace already deleted by hand is not an error.
 */
export class Namespace extends pulumi.dynamic.Resource {
  /** The namespace's name. */
  public declare readonly name: pulumi.Output<string>;
  /** Whether `lo` is up (after refresh: what the kernel has now). */
  public declare readonly loopbackUp: pulumi.Output<boolean>;
  /** The namespace's inode (`/proc/PID/ns/net -> net:[inode]`); changes when it is recreated. */
  public declare readonly inode: pulumi.Output<number>;

  constructor(name: string, args: NamespaceArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { loopbackUp: undefined, ...args, name: args.name ?? name, inode: undefined }, opts, MODULE, "Namespace");
  }
}

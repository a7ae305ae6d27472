import * as pulumi from "@pulumi/pulumi";
import { placeholders } from "../provider/registry";
import { type CommonArgs, connectionInput, MODULE, ownerFor, withSecretConnection } from "./provider";
import { claimNamespace, hostOf, plainOf, remember, who } from "./topology";
import provider = require("./providers/namespace");

export interface NamespaceArgs extends CommonArgs {
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
 * A named network namespace: `ip netns add NAME` (+ `ip -n NAME link set lo up`). Its
 * ownership mark is the alias of its `lo`. Delete is `ip netns del NAME`; a namespace already
 * deleted by hand is not an error.
 */
export class Namespace extends pulumi.dynamic.Resource {
  /** The namespace's name. */
  public declare readonly name: pulumi.Output<string>;
  /** Whether `lo` is up (after refresh: what the kernel has now). */
  public declare readonly loopbackUp: pulumi.Output<boolean>;
  /** The namespace's inode (`/proc/PID/ns/net -> net:[inode]`); changes when it is recreated. */
  public declare readonly inode: pulumi.Output<number>;
  /** The ownership mark's owner (`project/stack/Namespace/name`), carried as the alias of its `lo`. */
  public declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: NamespaceArgs = {}, opts?: pulumi.CustomResourceOptions) {
    const nsName = args.name ?? name;
    claimNamespace(plainOf(nsName), hostOf(args.connection), who("Namespace", name, "name"));
    const props = { ...placeholders("namespace"), ...args, name: nsName, connection: connectionInput(args.connection), owner: ownerFor("Namespace", name) };
    super(provider, name, props, withSecretConnection(opts), MODULE, "Namespace");
    remember(this.name, "Namespace", plainOf(nsName));
    remember(this, "Namespace", plainOf(nsName));
  }
}

import * as pulumi from "@pulumi/pulumi";
import { placeholders } from "../provider/registry";
import { Bridge, netnsInput } from "./bridge";
import { type LinkArgs, rememberPlace } from "./link";
import { type CommonArgs, connectionInput, MODULE, ownerFor, withSecretConnection } from "./provider";
import { claimAddresses, claimInterface, knownOf, netnsWords, placeOf, plainOf, who } from "./topology";
import provider = require("./providers/veth");

export interface VethEndArgs extends LinkArgs {
  /**
   * Bridge (in the same namespace) this end is a port of: a `Bridge` resource or its name
   * (`bridge` or `bridge.name`). Changed in place; removing it detaches the end. Omitted: a
   * bridge the end was put on by hand is left alone.
   */
  master?: pulumi.Input<string> | Bridge;
}

export interface VethPairArgs extends CommonArgs {
  /** One end, as in `ip link add <end> type veth peer name <peer>`. */
  end: pulumi.Input<VethEndArgs>;
  /** The other end. Both ends may not share a name within one namespace. */
  peer: pulumi.Input<VethEndArgs>;
}

/** The settings of one end as the kernel has them after create, update or refresh. */
export interface VethEnd {
  /** The interface's name. */
  name: string;
  /** Its namespace; undefined: the one `pulumi` runs in. */
  netns?: string;
  /** Its addresses (CIDR): as declared, or after a refresh as the kernel has them. */
  addresses: string[];
  /** Its MTU, where declared. */
  mtu?: number;
  /** Its MAC address, where declared. */
  mac?: string;
  /** The bridge it is a port of, where declared. */
  master?: string;
  /** Whether it is up. */
  up: boolean;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !pulumi.Output.isInstance(v) && !(v instanceof Promise);

/**
 * An end as the provider takes it (resources replaced by their names), after recording what
 * it claims: its name and addresses in its namespace, where those are known now.
 */
function endInput(resource: string, side: "end" | "peer", e: pulumi.Input<VethEndArgs>, connection: unknown): pulumi.Input<VethEndArgs> {
  if (!isPlainObject(e)) return e;
  const end = e as VethEndArgs;
  const netns = netnsInput(end.netns);
  const master = end.master instanceof Bridge ? end.master.name : end.master;
  const plainNetns = placeOf(end.netns, connection);
  if (plainNetns !== undefined) {
    claimInterface(plainNetns, plainOf(end.name), who("VethPair", resource, `${side}.name`));
    claimAddresses(plainNetns, end.addresses, who("VethPair", resource, `${side}.addresses`));
    const bridge = knownOf(master);
    if (bridge?.kind === "Bridge" && bridge.netns !== undefined && bridge.netns !== plainNetns) {
      const words = netnsWords;
      throw new pulumi.RunError(
        `pulumi-linuxnet: VethPair "${resource}": ${side}.master is bridge "${bridge.value}" in ${words(bridge.netns)}, but ${side} is in ${words(plainNetns)} (a port must be in its bridge's namespace)`,
      );
    }
  }
  return { ...end, netns, master };
}

/**
 * A veth pair: two linked interfaces, each created directly in its own namespace with one
 * kernel call (`ip link add A netns X type veth peer name B netns Y`), then marked, addressed,
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
  /** The ownership mark's owner (`project/stack/VethPair/name`), carried in each end's alias with `:end`/`:peer`. */
  public declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: VethPairArgs, opts?: pulumi.CustomResourceOptions) {
    const ends = { end: endInput(name, "end", args.end, args.connection), peer: endInput(name, "peer", args.peer, args.connection) };
    const props = { ...placeholders("veth"), ...args, ...ends, connection: connectionInput(args.connection), owner: ownerFor("VethPair", name) };
    super(provider, name, props, withSecretConnection(opts), MODULE, "VethPair");
    for (const side of ["end", "peer"] as const) {
      const e = ends[side];
      if (isPlainObject(e)) rememberPlace(this, { name: (e as VethEndArgs).name, netns: (e as VethEndArgs).netns as pulumi.Input<string> | undefined, connection: args.connection }, side);
    }
  }
}

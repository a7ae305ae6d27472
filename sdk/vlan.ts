import { vlanDefaultName } from "../provider/registry";
import * as pulumi from "@pulumi/pulumi";
import { placeholders } from "../provider/registry";
import { Bridge, netnsInput } from "./bridge";
import { type LinkArgs, rememberPlace } from "./link";
import { type CommonArgs, connectionInput, MODULE, ownerFor, withSecretConnection } from "./provider";
import { claimAddresses, claimInterface, knownOf, placeOf, plainOf, remember, who } from "./topology";
import provider = require("./providers/vlan");

export interface VlanInterfaceArgs extends Omit<LinkArgs, "name">, CommonArgs {
  /**
   * The link the sub-interface is made on (`ip link add link PARENT …`): a NIC's name, or a
   * `Bridge` or `VlanInterface` resource (802.1ad QinQ), or its name output. In the same
   * namespace as the sub-interface. Changing it replaces the sub-interface.
   */
  parent: pulumi.Input<string> | Bridge | VlanInterface;
  /** The VLAN id, 1–4094 (0 and 4095 are reserved by 802.1Q). Changing it replaces the sub-interface. */
  vlanId: pulumi.Input<number>;
  /** The tag protocol: "802.1Q" (default) or "802.1ad" (QinQ's outer tag). Changing it replaces the sub-interface. */
  protocol?: pulumi.Input<"802.1Q" | "802.1ad">;
  /**
   * Interface name. Default: `PARENT.ID` (`enp0s8.100`), as vconfig and Docker name it; where
   * that would exceed 15 bytes, preview fails and suggests one. Changing it replaces the sub-interface.
   */
  name?: pulumi.Input<string>;
  /** MTU, 68 up to the parent's MTU (checked at preview where both are known, else at create). Changed in place. */
  mtu?: pulumi.Input<number>;
}

/**
 * An 802.1Q VLAN sub-interface (`ip link add link enp0s8 name enp0s8.100 type vlan id 100`,
 * what `vconfig add enp0s8 100` makes), optionally addressed. Needs a kernel with 802.1Q
 * support (module 8021q); without it, create fails saying so.
 */
export class VlanInterface extends pulumi.dynamic.Resource {
  public declare readonly name: pulumi.Output<string>;
  public declare readonly parent: pulumi.Output<string>;
  public declare readonly vlanId: pulumi.Output<number>;
  public declare readonly protocol: pulumi.Output<"802.1Q" | "802.1ad">;
  public declare readonly netns: pulumi.Output<string | undefined>;
  public declare readonly addresses: pulumi.Output<string[]>;
  public declare readonly up: pulumi.Output<boolean>;
  public declare readonly mtu: pulumi.Output<number | undefined>;
  public declare readonly mac: pulumi.Output<string | undefined>;
  /** The sub-interface's ifindex in its namespace. */
  public declare readonly ifindex: pulumi.Output<number>;
  /** The MAC the kernel uses now (the parent's unless `mac` is set). */
  public declare readonly actualMac: pulumi.Output<string>;
  /** The MTU the kernel uses now. */
  public declare readonly actualMtu: pulumi.Output<number>;
  /** The ownership mark's owner (`project/stack/VlanInterface/name`), carried as the alias. */
  public declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: VlanInterfaceArgs, opts?: pulumi.CustomResourceOptions) {
    const parent = args.parent instanceof Bridge || args.parent instanceof VlanInterface ? args.parent.name : args.parent;
    const netns = netnsInput(args.netns);
    const plainNetns = placeOf(args.netns, args.connection);
    const plainParent = plainOf(parent);
    const vlanName = args.name ?? (plainParent !== undefined && typeof args.vlanId === "number" ? vlanDefaultName(plainParent, args.vlanId) : undefined);
    if (plainNetns !== undefined) {
      claimInterface(plainNetns, plainOf(vlanName), who("VlanInterface", name, "name"));
      claimAddresses(plainNetns, args.addresses, who("VlanInterface", name, "addresses"));
    }
    const parentMtu = knownOf(parent)?.mtu;
    if (typeof args.mtu === "number" && parentMtu !== undefined && args.mtu > parentMtu) {
      throw new pulumi.RunError(`pulumi-linuxnet: VlanInterface "${name}": mtu ${args.mtu} is above its parent "${plainParent}"'s mtu ${parentMtu} (a VLAN sub-interface cannot exceed its parent)`);
    }
    super(
      provider,
      name,
      // An omitted name stays omitted: the provider fills PARENT.ID, or refuses it with a suggestion.
      { ...placeholders("vlan"), ...args, parent, netns, connection: connectionInput(args.connection), owner: ownerFor("VlanInterface", name) },
      withSecretConnection(opts),
      MODULE,
      "VlanInterface",
    );
    remember(this.name, "VlanInterface", plainOf(vlanName), plainNetns, args.mtu);
    if (vlanName !== undefined) rememberPlace(this, { name: vlanName, netns, connection: args.connection });
  }
}

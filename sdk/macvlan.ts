import { shimDefaultName } from "../provider/registry";
import * as pulumi from "@pulumi/pulumi";
import { placeholders } from "../provider/registry";
import { Bridge, netnsInput } from "./bridge";
import { type LinkArgs, type NetnsRef, rememberPlace } from "./link";
import { type CommonArgs, connectionInput, MODULE, ownerFor, withSecretConnection } from "./provider";
import { claim, claimAddresses, claimInterface, placeOf, plainOf, who } from "./topology";
import { VlanInterface } from "./vlan";
import networkProvider = require("./providers/macvlan-network");
import endpointProvider = require("./providers/macvlan-endpoint");

export type MacvlanMode = "bridge" | "vepa" | "private" | "passthru" | "source";

export interface MacvlanNetworkArgs extends CommonArgs {
  /** The network's name, as `docker network create … mac1` names it. Default: the resource name. Changing it replaces the network. */
  name?: pulumi.Input<string>;
  /** The host's link the network's interfaces are made on: a NIC's name (`enp0s8`), a `VlanInterface` or a `Bridge`. Changing it replaces the network (and its endpoints). */
  parent: pulumi.Input<string> | VlanInterface | Bridge;
  /** Namespace of the parent (the "host"). Omitted: the namespace `pulumi` runs in. Changing it replaces the network. */
  netns?: NetnsRef;
  /** macvlan mode: "bridge" (default; endpoints of one parent reach each other), "vepa", "private", "passthru" or "source". Changing it replaces the network. */
  mode?: pulumi.Input<MacvlanMode>;
  /** The network's subnet, host bits zero: `172.16.10.0/24`. Endpoints' addresses must lie in it. */
  subnet: pulumi.Input<string>;
  /** The gateway endpoints route through (`default via`): inside the subnet, not its network or broadcast address. */
  gateway: pulumi.Input<string>;
  /**
   * Set the parent promiscuous (true) or not (false), as the macvlan tutorials do with `ip link set enp0s8
   * promisc on`. Delete puts back what it found, and only if it changed it. Omitted: left alone.
   */
  promiscuous?: pulumi.Input<boolean>;
  /**
   * A macvlan "shim" on the host so the host reaches its own endpoints (a parent cannot talk to
   * its macvlan children): `name` (default `NAME-shim`) with `address` (in the subnet, not the
   * gateway) as a host address; each endpoint of this network routes its /32 through it.
   * Needs mode "bridge".
   */
  hostAccess?: pulumi.Input<{ name?: pulumi.Input<string>; address: pulumi.Input<string> }>;
}

/** What an endpoint needs of its network, as inputs (known at preview where the network's args are). */
interface NetworkSpec {
  parent: pulumi.Input<string>;
  netns?: pulumi.Input<string>;
  mode?: pulumi.Input<MacvlanMode>;
  subnet: pulumi.Input<string>;
  gateway: pulumi.Input<string>;
  shim?: pulumi.Input<{ name: pulumi.Input<string>; address: pulumi.Input<string> }>;
}

/**
 * A Docker-style macvlan network on one host (`docker network create -d macvlan --subnet
 * 172.16.10.0/24 --gateway 172.16.10.1 -o parent=enp0s8 mac1`): the parent, mode, subnet and
 * gateway its `MacvlanEndpoint`s take, the parent's promiscuous flag, and an optional host shim.
 */
export class MacvlanNetwork extends pulumi.dynamic.Resource {
  public declare readonly name: pulumi.Output<string>;
  public declare readonly parent: pulumi.Output<string>;
  public declare readonly netns: pulumi.Output<string | undefined>;
  public declare readonly mode: pulumi.Output<MacvlanMode>;
  public declare readonly subnet: pulumi.Output<string>;
  public declare readonly gateway: pulumi.Output<string>;
  public declare readonly promiscuous: pulumi.Output<boolean | undefined>;
  public declare readonly hostAccess: pulumi.Output<{ name: string; address: string } | undefined>;
  /** The parent's ifindex and MTU. */
  public declare readonly parentIfindex: pulumi.Output<number>;
  public declare readonly parentMtu: pulumi.Output<number>;
  /** Whether the parent was promiscuous before this network set `promiscuous`. */
  public declare readonly promiscFound: pulumi.Output<boolean | undefined>;
  public declare readonly shimIfindex: pulumi.Output<number | undefined>;
  public declare readonly shimMac: pulumi.Output<string | undefined>;
  public declare readonly owner: pulumi.Output<string>;
  /** @internal What endpoints copy (inputs, so they are known at preview). */
  readonly spec: NetworkSpec;
  /** @internal The host it is on: its endpoints are made there too. */
  readonly host: CommonArgs["connection"];

  constructor(name: string, args: MacvlanNetworkArgs, opts?: pulumi.CustomResourceOptions) {
    const netName = args.name ?? name;
    const parent = args.parent instanceof VlanInterface || args.parent instanceof Bridge ? args.parent.name : args.parent;
    const netns = netnsInput(args.netns);
    const plainNetns = placeOf(args.netns, args.connection);
    const access = args.hostAccess;
    const shim =
      access === undefined
        ? undefined
        : pulumi.all([access, netName]).apply(([a, n]) => ({ name: a.name ?? shimDefaultName(n), address: a.address }));
    if (plainNetns !== undefined && access && typeof access === "object" && !pulumi.Output.isInstance(access) && !(access instanceof Promise)) {
      const plain = access as { name?: unknown; address?: unknown };
      const shimName = plain.name ?? (plainOf(netName) === undefined ? undefined : shimDefaultName(plainOf(netName)!));
      claimInterface(plainNetns, plainOf(shimName), who("MacvlanNetwork", name, "hostAccess.name"));
      claimAddresses(plainNetns, typeof plain.address === "string" ? [plain.address] : undefined, who("MacvlanNetwork", name, "hostAccess.address"));
    }
    const connection = connectionInput(args.connection);
    super(networkProvider, name, { ...placeholders("macvlanNetwork"), ...args, name: netName, parent, netns, connection, owner: ownerFor("MacvlanNetwork", name) }, withSecretConnection(opts), MODULE, "MacvlanNetwork");
    this.spec = { parent, netns, mode: args.mode, subnet: args.subnet, gateway: args.gateway, shim };
    this.host = args.connection;
  }
}

export interface MacvlanEndpointArgs extends Pick<LinkArgs, "mac" | "mtu" | "up">, CommonArgs {
  /** The network this endpoint joins (`docker run --network mac1`). Its parent, namespace or mode changing replaces the endpoint. */
  network: MacvlanNetwork;
  /** The "container": the namespace the interface is created in, directly. Changing it replaces the endpoint. */
  netns: NetnsRef;
  /**
   * The static address (`--ip 172.16.10.2`), inside the network's subnet, not the host shim's,
   * and not the gateway's — unless this endpoint is the gateway itself (a router's leg on the
   * network: `defaultRoute: false`). Unique per subnet across the program. Changed in place.
   */
  address: pulumi.Input<string>;
  /** Interface name in the namespace. Default: "eth0". Changing it replaces the endpoint. */
  name?: pulumi.Input<string>;
  /** A default route via the network's gateway. Default: true. Changed in place. */
  defaultRoute?: pulumi.Input<boolean>;
}

/**
 * One macvlan interface of a network, placed in a namespace as Docker places a container's:
 * `ip link add link enp0s8 name eth0 netns c1 type macvlan mode bridge`, the address with the
 * subnet's prefix, up, `default via GATEWAY`; and its /32 through the network's host shim.
 */
export class MacvlanEndpoint extends pulumi.dynamic.Resource {
  public declare readonly name: pulumi.Output<string>;
  public declare readonly netns: pulumi.Output<string>;
  public declare readonly address: pulumi.Output<string>;
  public declare readonly defaultRoute: pulumi.Output<boolean>;
  public declare readonly up: pulumi.Output<boolean>;
  public declare readonly mtu: pulumi.Output<number | undefined>;
  public declare readonly mac: pulumi.Output<string | undefined>;
  public declare readonly ifindex: pulumi.Output<number>;
  public declare readonly actualMac: pulumi.Output<string>;
  public declare readonly actualMtu: pulumi.Output<number>;
  public declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: MacvlanEndpointArgs, opts?: pulumi.CustomResourceOptions) {
    const ifname = args.name ?? "eth0";
    const netns = netnsInput(args.netns);
    const host = args.connection ?? args.network.host; // an endpoint lives on its network's host
    const plainNetns = placeOf(args.netns, host);
    if (plainNetns !== undefined) claimInterface(plainNetns, plainOf(ifname), who("MacvlanEndpoint", name, "name"));
    const subnet = plainOf(args.network.spec.subnet);
    if (subnet !== undefined && typeof args.address === "string") claim(`mvaddr\0${subnet}\0${args.address}`, `address ${args.address} in macvlan subnet ${subnet}`, who("MacvlanEndpoint", name, "address"));
    const { shim, ...network } = args.network.spec;
    super(
      endpointProvider,
      name,
      { ...placeholders("macvlanEndpoint"), ...args, name: ifname, netns, connection: connectionInput(host), network: { ...network, ...(shim && { shim }) }, owner: ownerFor("MacvlanEndpoint", name) },
      { ...withSecretConnection(opts), dependsOn: [args.network, ...(opts?.dependsOn ? ([] as pulumi.Input<pulumi.Resource>[]).concat(opts.dependsOn as never) : [])] },
      MODULE,
      "MacvlanEndpoint",
    );
    rememberPlace(this, { name: ifname, netns, connection: host });
  }
}

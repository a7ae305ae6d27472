import * as pulumi from "@pulumi/pulumi";
import { placeholders } from "../provider/registry";
import { netnsInput } from "./bridge";
import type { NetnsRef } from "./link";
import { type CommonArgs, connectionInput, MODULE, ownerFor, withSecretConnection } from "./provider";
import { claim, netnsWords, normalDestination, placeOf, who } from "./topology";
import sysctlProvider = require("./providers/sysctl");
import routeProvider = require("./providers/route");
import iptablesProvider = require("./providers/iptables");


export interface SysctlArgs extends CommonArgs {
  /** The key, dotted (`net.ipv4.ip_forward`); an interface name with dots is written with "/" (`net.ipv4.conf.enp0s8/100.forwarding`). Checked to exist at preview where the namespace exists. Changing it replaces the resource. */
  key: pulumi.Input<string>;
  /** The value to set (`1`); several numbers are separated by spaces. Changed in place. */
  value: pulumi.Input<string | number>;
  /** The namespace (a `Namespace` or its name). Omitted: the namespace `pulumi` runs in. Changing it replaces the resource. */
  netns?: NetnsRef;
  /**
   * Set a key that is not per network namespace, knowing that it changes the whole machine
   * (the connection's host), for every namespace on it: a key outside `net.*` (`vm.swappiness`,
   * `kernel.panic`), or a `net.*` key the kernel keeps only for the initial namespace. Only
   * without `netns`. Default: false, and such keys are refused at preview.
   */
  hostWide?: pulumi.Input<boolean>;
}

/**
 * A kernel setting in a namespace (`sysctl -w net.ipv4.ip_forward=1`). Delete puts back the
 * value it found before create (if the setting still holds the value the stack set). One key
 * of one namespace has one owner: a second resource or stack setting it is refused. `adopt`
 * has no effect (a setting always exists). Only keys of the namespace are taken: one that is
 * one value for the whole machine is refused at preview unless `hostWide`.
 */
export class Sysctl extends pulumi.dynamic.Resource {
  public declare readonly key: pulumi.Output<string>;
  public declare readonly value: pulumi.Output<string>;
  public declare readonly netns: pulumi.Output<string | undefined>;
  /** Whether the key was asked for as host-wide. */
  public declare readonly hostWide: pulumi.Output<boolean | undefined>;
  /** The value found before create: what delete puts back. */
  public declare readonly found: pulumi.Output<string>;
  public declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: SysctlArgs, opts?: pulumi.CustomResourceOptions) {
    const ns = placeOf(args.netns, args.connection);
    if (ns !== undefined && typeof args.key === "string") claim(`sysctl\0${ns}\0${args.key}`, `sysctl ${args.key} in ${netnsWords(ns)}`, who("Sysctl", name, "key"));
    const props = { ...placeholders("sysctl"), ...args, netns: netnsInput(args.netns), connection: connectionInput(args.connection), owner: ownerFor("Sysctl", name) };
    super(sysctlProvider, name, props, withSecretConnection(opts), MODULE, "Sysctl");
  }
}

export interface RouteArgs extends CommonArgs {
  /** `default` or a network (`10.0.0.0/24`, `fd00::/64`, a host as `/32`). Changing it replaces the route. */
  destination: pulumi.Input<string>;
  /** The gateway (`ip route … via`). At least one of `via` and `dev`. Changed in place (`ip route replace`). */
  via?: pulumi.Input<string>;
  /** The output device (`ip route … dev`). Changed in place. */
  dev?: pulumi.Input<string>;
  /** The metric (priority); part of the route's key: changing it replaces the route. */
  metric?: pulumi.Input<number>;
  /** Routing table: "main" (default) or a number. Changing it replaces the route. */
  table?: pulumi.Input<"main" | number>;
  /** "ipv4" or "ipv6"; default: the destination's (or the gateway's) family. */
  family?: pulumi.Input<"ipv4" | "ipv6">;
  /** The namespace (a `Namespace` or its name). Omitted: the namespace `pulumi` runs in. Changing it replaces the route. */
  netns?: NetnsRef;
}

/**
 * One route in a namespace (`ip route add DEST via GW dev DEV`), marked `proto 148` as made by
 * pulumi-linuxnet: only marked routes are changed or deleted. Two resources with one route key
 * (family, table, destination, metric) in a namespace fail at preview.
 */
export class Route extends pulumi.dynamic.Resource {
  public declare readonly destination: pulumi.Output<string>;
  public declare readonly via: pulumi.Output<string | undefined>;
  public declare readonly dev: pulumi.Output<string | undefined>;
  public declare readonly metric: pulumi.Output<number | undefined>;
  public declare readonly table: pulumi.Output<"main" | number>;
  public declare readonly family: pulumi.Output<"ipv4" | "ipv6">;
  public declare readonly netns: pulumi.Output<string | undefined>;
  /** The protocol the kernel reports ("148"). */
  public declare readonly protocol: pulumi.Output<string>;
  public declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: RouteArgs, opts?: pulumi.CustomResourceOptions) {
    const ns = placeOf(args.netns, args.connection);
    if (ns !== undefined && typeof args.destination === "string" && (args.table === undefined || typeof args.table !== "object") && (args.metric === undefined || typeof args.metric === "number")) {
      const family = args.family ?? (args.destination.includes(":") || (typeof args.via === "string" && args.via.includes(":")) ? "ipv6" : "ipv4");
      const where = netnsWords(ns);
      const table = args.table === undefined || args.table === 254 ? "main" : args.table;
      const metric = args.metric ?? (family === "ipv6" ? 1024 : 0);
      const dest = normalDestination(args.destination);
      claim(`route\0${ns}\0${family}\0${table}\0${dest}\0${metric}`, `route ${dest} (table ${table}, metric ${metric}) in ${where}`, who("Route", name, "destination"));
    }
    const props = { ...placeholders("route"), ...args, netns: netnsInput(args.netns), connection: connectionInput(args.connection), owner: ownerFor("Route", name) };
    super(routeProvider, name, props, withSecretConnection(opts), MODULE, "Route");
  }
}

export interface IptablesRuleArgs extends CommonArgs {
  /** The table: "filter" (default), "nat", "mangle", "raw" or "security". Changing it replaces the rule. */
  table?: pulumi.Input<"filter" | "nat" | "mangle" | "raw" | "security">;
  /** The chain: FORWARD, POSTROUTING, … or a chain of your own. Changing it replaces the rule. */
  chain: pulumi.Input<string>;
  /**
   * The rule as argv tokens, exactly as after `iptables -A CHAIN`: `["-o", "eth0", "-j",
   * "MASQUERADE"]`. No shell: a token is one argument. Not allowed: options that choose the
   * table, chain or command (-t, -A, -I, -D, …) and a comment match (the comment is the rule's
   * ownership mark). Changed in place (the old rule is removed, the new one added).
   */
  rule: pulumi.Input<pulumi.Input<string>[]>;
  /** "append" (default) or a whole number: insert at that place in the chain. Changed in place. */
  position?: pulumi.Input<"append" | number>;
  /** "ipv4" (iptables, default) or "ipv6" (ip6tables). Changing it replaces the rule. */
  family?: pulumi.Input<"ipv4" | "ipv6">;
  /** The namespace (a `Namespace` or its name). Omitted: the namespace `pulumi` runs in. Changing it replaces the rule. */
  netns?: NetnsRef;
}

/**
 * One iptables rule, carrying its ownership mark as a comment (`-m comment --comment
 * linuxnet:project/stack/IptablesRule/name`), so it is found (`-C`) and deleted exactly,
 * whatever else is in the chain. Uses the system's `iptables` (`-w` waits for the lock).
 */
export class IptablesRule extends pulumi.dynamic.Resource {
  public declare readonly table: pulumi.Output<string>;
  public declare readonly chain: pulumi.Output<string>;
  public declare readonly rule: pulumi.Output<string[]>;
  public declare readonly position: pulumi.Output<"append" | number>;
  public declare readonly family: pulumi.Output<"ipv4" | "ipv6">;
  public declare readonly netns: pulumi.Output<string | undefined>;
  /** The comment that marks the rule as this resource's. */
  public declare readonly comment: pulumi.Output<string>;
  public declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: IptablesRuleArgs, opts?: pulumi.CustomResourceOptions) {
    const props = { ...placeholders("iptables"), ...args, netns: netnsInput(args.netns), connection: connectionInput(args.connection), owner: ownerFor("IptablesRule", name) };
    super(iptablesProvider, name, props, withSecretConnection(opts), MODULE, "IptablesRule");
  }
}

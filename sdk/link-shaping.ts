import * as pulumi from "@pulumi/pulumi";
import { placeholders } from "../provider/registry";
import { Bridge, netnsInput } from "./bridge";
import { type NetnsRef, placeOf as placeOfLink } from "./link";
import { MacvlanEndpoint } from "./macvlan";
import { type CommonArgs, connectionInput, MODULE, ownerFor, withSecretConnection } from "./provider";
import { claim, netnsWords, placeOf, plainOf, who } from "./topology";
import { VethPair } from "./veth";
import { VlanInterface } from "./vlan";
import { VxlanInterface } from "./vxlan";
import provider = require("./providers/link-shaping");

/** A percentage, 0–100: `1` or `"1%"`. */
export type Percent = number | string;

export interface LinkShapingArgs extends CommonArgs {
  /**
   * The interface shaped, as a resource: a `Bridge`, `VlanInterface`, `VxlanInterface`,
   * `MacvlanEndpoint`, or a `VethPair` (with `side`). Its name, namespace and machine are taken
   * from it, and the shaping is made after it and removed before it. Or give `dev` (and `netns`).
   */
  link?: Bridge | VlanInterface | VxlanInterface | MacvlanEndpoint | VethPair;
  /** Which end of a `VethPair` `link` shapes: "end" (default) or "peer". Each end shapes what it sends. */
  side?: "end" | "peer";
  /** The interface's name, when not given as `link`. Changing it replaces the shaping. */
  dev?: pulumi.Input<string>;
  /** Its namespace, when not given as `link`. Omitted: the namespace `pulumi` runs in. Changing it replaces the shaping. */
  netns?: NetnsRef;
  /** Added delay of every packet sent, like "50ms", "100us" (netem). Changed in place, as every setting here. */
  delay?: pulumi.Input<string>;
  /**
   * Variation around `delay`, like "10ms" (netem; needs `delay`). Packets are sent in the order
   * of their delayed time, so jitter reorders them, unless `rate` is set too.
   */
  jitter?: pulumi.Input<string>;
  /** How the jitter is spread: "uniform" (default), "normal", "pareto" or "paretonormal" (netem; needs `jitter`). */
  distribution?: pulumi.Input<"uniform" | "normal" | "pareto" | "paretonormal">;
  /** Share of packets dropped at random, 0–100 (netem). */
  loss?: pulumi.Input<Percent>;
  /** Share of packets sent twice, 0–100 (netem). */
  duplicate?: pulumi.Input<Percent>;
  /** Share of packets with one bit flipped, 0–100 (netem). */
  corrupt?: pulumi.Input<Percent>;
  /** Share of packets sent at once, ahead of the delayed rest, 0–100 (netem; needs `delay`). */
  reorder?: pulumi.Input<Percent>;
  /**
   * The link's rate, like "10mbit", "500kbit", "1gbit" (`kbps`, `mbps`: bytes per second, as
   * in tc). Alone it is a tbf qdisc, which every kernel with traffic control has; with any
   * netem setting it is netem's own rate.
   */
  rate?: pulumi.Input<string>;
  /** tbf's bucket, in bytes or like "32kb" (only with `rate` alone). Default: 10 ms at the rate, at least two full frames. */
  burst?: pulumi.Input<number | string>;
  /** The queue, in packets: netem's limit (default 1000), or tbf's (in bytes: packets × (MTU + 14); default: 50 ms at the rate). */
  limit?: pulumi.Input<number>;
}

/**
 * What a link does to the packets it sends, as `tc` sets it on one interface: delay, jitter,
 * loss, duplication, corruption and reordering with the `netem` qdisc (whose kernel module,
 * sch_netem, some kernels lack: then create fails saying so), or a rate alone with `tbf`
 * (`tc qdisc replace dev eth0 root handle 148: …`). Changes are made in place; `refresh`
 * finds a qdisc changed or removed by hand; delete gives the interface the kernel's default
 * qdisc again. A root qdisc the stack did not make is refused unless `adopt`.
 */
export class LinkShaping extends pulumi.dynamic.Resource {
  public declare readonly dev: pulumi.Output<string>;
  public declare readonly netns: pulumi.Output<string | undefined>;
  public declare readonly delay: pulumi.Output<string | undefined>;
  public declare readonly jitter: pulumi.Output<string | undefined>;
  public declare readonly distribution: pulumi.Output<string | undefined>;
  public declare readonly loss: pulumi.Output<number | undefined>;
  public declare readonly duplicate: pulumi.Output<number | undefined>;
  public declare readonly corrupt: pulumi.Output<number | undefined>;
  public declare readonly reorder: pulumi.Output<number | undefined>;
  public declare readonly rate: pulumi.Output<string | undefined>;
  public declare readonly burst: pulumi.Output<number | undefined>;
  public declare readonly limit: pulumi.Output<number | undefined>;
  /** The qdisc made: "netem", or "tbf" for a rate alone. */
  public declare readonly qdisc: pulumi.Output<string>;
  /** The interface's ifindex. */
  public declare readonly ifindex: pulumi.Output<number>;
  /** The root qdisc found before (e.g. "noqueue 0:"). */
  public declare readonly found: pulumi.Output<string>;
  /** The owner (`project/stack/LinkShaping/name`) its record on the host names. */
  public declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: LinkShapingArgs, opts?: pulumi.CustomResourceOptions) {
    const { link, side, ...rest } = args;
    let dev: pulumi.Input<string> | undefined = args.dev;
    let netns: pulumi.Input<string> | undefined = netnsInput(args.netns);
    let connection = args.connection;
    if (link) {
      // Where its inputs put it (known at preview); else its outputs.
      const side = link instanceof VethPair ? (args.side ?? "end") : "link";
      const end = link instanceof VethPair ? (side === "peer" ? link.peer : link.end) : undefined;
      const place = placeOfLink(link, side) ?? (end ? { name: end.apply((e) => e.name), netns: end.apply((e) => e.netns as string) } : { name: (link as Bridge).name, netns: (link as Bridge).netns as pulumi.Output<string> });
      dev = place.name;
      netns = place.netns;
      connection = args.connection ?? (placeOfLink(link, side)?.connection as CommonArgs["connection"]);
    }
    if (dev === undefined) throw new pulumi.RunError(`pulumi-linuxnet: LinkShaping "${name}": give the interface as link (a resource) or dev (its name)`);
    const place = placeOf(link ? netns : args.netns, connection);
    if (place !== undefined && plainOf(dev) !== undefined) claim(`qdisc\0${place}\0${plainOf(dev)}`, `the root qdisc of "${plainOf(dev)}" in ${netnsWords(place)}`, who("LinkShaping", name, "dev"));
    super(
      provider,
      name,
      { ...placeholders("linkShaping"), ...rest, dev, netns, connection: connectionInput(connection), owner: ownerFor("LinkShaping", name) },
      { ...withSecretConnection(opts), dependsOn: [...(link ? [link] : []), ...(opts?.dependsOn ? ([] as pulumi.Input<pulumi.Resource>[]).concat(opts.dependsOn as never) : [])] },
      MODULE,
      "LinkShaping",
    );
  }
}

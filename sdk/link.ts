import type * as pulumi from "@pulumi/pulumi";
import type { Namespace } from "./namespace";

/** A namespace: its name, or the `Namespace` resource itself (the link then depends on it). */
export type NetnsRef = pulumi.Input<string> | Namespace;

/** Settings every link takes (a veth end, a bridge). */
export interface LinkArgs {
  /**
   * Interface name: 1–15 bytes of letters, digits and `_ . + @ -`, not starting with "-", and
   * not `lo`, `all` or `default`. Unique per namespace across the whole program: a second
   * resource claiming it fails `pulumi preview`. Changing it replaces the link.
   */
  name: pulumi.Input<string>;
  /**
   * Namespace the link lives in: a `Namespace` resource or its name (`ns` or `ns.name`), so
   * the link is made after it and deleted before it. Omitted: the namespace `pulumi` runs in.
   * Changing it replaces the link.
   */
  netns?: NetnsRef;
  /**
   * IPv4/IPv6 addresses with prefix length, e.g. `["192.168.0.101/24", "fd00::1/64"]`. The
   * complete set the stack manages on this link: other addresses found there are removed on
   * update, except IPv6 link-local ones not listed here (the kernel adds one itself). Refused:
   * IPv4 inside IPv6 (`::ffff:1.2.3.4`: give the IPv4 address), unspecified, loopback,
   * multicast and broadcast addresses, and an address another link of the namespace already
   * claims. Changed in place.
   */
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** MTU, 68–65535. Omitted: left as the kernel has it. Changed in place. */
  mtu?: pulumi.Input<number>;
  /** Unicast MAC address like `02:42:ac:11:00:02`. Omitted: left as the kernel has it (random at creation). Changed in place. */
  mac?: pulumi.Input<string>;
  /** Administrative state (`ip link set … up/down`). Default: true. Changed in place. */
  up?: pulumi.Input<boolean>;
}

/** Where a link resource's interface is: its name and namespace as its inputs give them. */
export interface LinkPlace {
  name: pulumi.Input<string>;
  netns?: pulumi.Input<string>;
  /** The machine (a `Host` or SSH settings), as the resource was given it. */
  connection?: unknown;
}
export type LinkSide = "link" | "end" | "peer";

const places = new WeakMap<object, Partial<Record<LinkSide, LinkPlace>>>();

/**
 * Records where a link resource's interface is, from its inputs, for resources that act on
 * it (LinkShaping): a namespace left out is no output of the provider, and an output it
 * leaves out would read as unknown at preview, so the inputs are what is known.
 */
export function rememberPlace(resource: object, place: LinkPlace, side: LinkSide = "link"): void {
  places.set(resource, { ...places.get(resource), [side]: place });
}

export function placeOf(resource: object, side: LinkSide = "link"): LinkPlace | undefined {
  return places.get(resource)?.[side];
}

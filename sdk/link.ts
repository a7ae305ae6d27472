import type * as pulumi from "@pulumi/pulumi";

/** Settings every link takes (a veth end, a bridge). */
export interface LinkArgs {
  /**
   * Interface name: at most 15 bytes, no "/", ":" or whitespace, not starting with "-".
   * Changing it replaces the link.
   */
  name: pulumi.Input<string>;
  /** Namespace the link lives in (e.g. `ns.name`). Omitted: the provider's own namespace. Changing it replaces the link. */
  netns?: pulumi.Input<string>;
  /**
   * IPv4/IPv6 addresses with prefix length, e.g. `["192.168.0.101/24", "fd00::1/64"]`. The
   * complete set the stack manages on this link: extra addresses found there are removed on
   * update (IPv6 link-local addresses the kernel adds itself are left alone). Changed in place.
   */
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** MTU, 68–65535. Omitted: the kernel's choice, left alone. Changed in place. */
  mtu?: pulumi.Input<number>;
  /** Unicast MAC address like `02:42:ac:11:00:02`. Omitted: the kernel's random one. Changed in place. */
  mac?: pulumi.Input<string>;
  /** Administrative state (`ip link set … up/down`). Default: true. Changed in place. */
  up?: pulumi.Input<boolean>;
}

import * as pulumi from "@pulumi/pulumi";
import { type ForwardSpec, routerPlan } from "../provider/core/router-plan";
import { Bridge } from "./bridge";
import type { NetnsRef } from "./link";
import type { CommonArgs } from "./provider";
import { IptablesRule, Sysctl } from "./router-kinds";
import { plainOf } from "./topology";
import { VlanInterface } from "./vlan";

/** A leg: an interface of the router's namespace, by name or as the link resource. */
export type Leg = string | VlanInterface | Bridge;

export interface RouterArgs {
  /** The namespace that routes (a router host between two networks): a `Namespace` or its name. Omitted: the namespace `pulumi` runs in. */
  netns?: NetnsRef;
  /** The machine it is on (a `Host`, or SSH settings); its sysctls and rules are made there. */
  connection?: CommonArgs["connection"];
  /**
   * The interfaces it routes between. Their gateway addresses (`172.16.10.1/24`) are the
   * links' own `addresses`; the router adds forwarding and rules, not addresses.
   */
  legs: Leg[];
  /**
   * Which traffic to forward: `{ from, to, stateful? }` per direction. `stateful` accepts new
   * traffic only from → to, and replies back (conntrack RELATED,ESTABLISHED). Default: every
   * pair of legs, both ways.
   */
  forward?: Array<{ from: Leg; to: Leg; stateful?: boolean }>;
  /** Outputs to MASQUERADE on (`-t nat -A POSTROUTING -o LEG -j MASQUERADE`). */
  masquerade?: Leg[];
  /** Forward IPv6 too (net.ipv6.conf.all.forwarding, and ip6tables FORWARD rules). Default: false. */
  ipv6?: boolean;
}

/**
 * A host that forwards between its interfaces (a router host between networks): `Sysctl`
 * net.ipv4.ip_forward=1, `IptablesRule`s accepting FORWARD traffic between the legs, and
 * MASQUERADE on named outputs. Each piece is its own resource (a child of this component):
 * destroy puts ip_forward back to what it found and removes exactly its own rules.
 */
export class Router extends pulumi.ComponentResource {
  /** What it made, one line each: `sysctl net.ipv4.ip_forward=1`, `iptables -t nat -A POSTROUTING -o … -j MASQUERADE`. */
  public readonly made: pulumi.Output<string[]>;
  public readonly sysctls: Sysctl[];
  public readonly rules: IptablesRule[];

  constructor(name: string, args: RouterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("linuxnet:index:Router", name, {}, opts);
    const legName = (l: Leg): string => {
      const plain = typeof l === "string" ? l : plainOf(l.name);
      if (plain === undefined) throw new pulumi.RunError(`pulumi-linuxnet: Router "${name}": a leg's name must be known while the program runs (a literal, or a link whose name is one)`);
      return plain;
    };
    const legs = args.legs.map(legName);
    const forward: ForwardSpec[] | undefined = args.forward?.map((f) => ({ from: legName(f.from), to: legName(f.to), stateful: f.stateful }));
    const plan = routerPlan({ legs, forward, masquerade: args.masquerade?.map(legName), ipv6: args.ipv6 });
    const links = args.legs.filter((l): l is VlanInterface | Bridge => typeof l !== "string");
    const child = { parent: this, dependsOn: links };
    const where = { netns: args.netns, connection: args.connection };
    this.sysctls = plan.sysctls.map((s) => new Sysctl(`${name}-${s.name}`, { key: s.key, value: s.value, ...where }, child));
    this.rules = plan.rules.map((r) => new IptablesRule(`${name}-${r.name}`, { table: r.table, chain: r.chain, rule: r.rule, family: r.family, ...where }, child));
    this.made = pulumi.output([
      ...plan.sysctls.map((s) => `sysctl ${s.key}=${s.value}`),
      ...plan.rules.map((r) => `${r.family === "ipv6" ? "ip6tables" : "iptables"} -t ${r.table} -A ${r.chain} ${r.rule.join(" ")}`),
    ]);
    this.registerOutputs({ made: this.made });
  }
}

import * as pulumi from "@pulumi/pulumi";
import { placeholders } from "../provider/registry";
import { netnsInput } from "./bridge";
import type { NetnsRef } from "./link";
import { Namespace } from "./namespace";
import { type CommonArgs, connectionInput, MODULE, withSecretConnection } from "./provider";
import provider = require("./providers/probe");

export interface ProbeArgs extends Omit<CommonArgs, "adopt"> {
  /**
   * Where the probe starts: a namespace (a `Namespace` or its name; the probe then runs after it
   * exists). Omitted: the namespace `pulumi` runs in. With `connection`: a namespace of that machine.
   */
  netns?: NetnsRef;
  /**
   * The address to reach: `172.16.20.2`, `fd00::2`, or a resource's address output — a link's
   * address with its prefix length (`veth.end.addresses[0]`, "10.0.0.2/24") is taken as the
   * address, and makes the probe run after that resource. An IPv6 link-local address names its
   * interface: `fe80::1%eth0`. IPv4 or IPv6 is chosen by the address.
   */
  to: pulumi.Input<string>;
  /** A TCP port: the probe then connects to it (`nc -z`; the host needs an nc with -z and -w, e.g. netcat-openbsd) instead of sending ICMP echo requests. */
  port?: pulumi.Input<number>;
  /** "reachable" (default: a reply, or an accepted connection, within `timeout`) or "unreachable" (none within `timeout`). */
  expect?: pulumi.Input<"reachable" | "unreachable">;
  /** The reply's TTL it must come back with (ICMP, expect "reachable"): 64 from a Linux host on the same network, one less for each router on the way (63 through one router). */
  ttl?: pulumi.Input<number>;
  /** The longest average round trip allowed, in ms (ICMP, expect "reachable"). */
  maxRtt?: pulumi.Input<number>;
  /** ICMP: how many replies to wait for, 1–100 (default 1); one suffices for "reachable", the others only measure (`seen.received` may count more: replies already on their way). */
  count?: pulumi.Input<number>;
  /**
   * Seconds to watch, 1–60 (default 3). Requests go out every 0.2 s until a reply (or a
   * connection) comes, so a reachable destination costs milliseconds and start-up (ARP, a bridge
   * port coming up, an IPv6 address still tentative) is absorbed; "unreachable" is concluded only
   * after the whole timeout, which is what an unreachable expectation always costs.
   */
  timeout?: pulumi.Input<number>;
  /** Values whose change runs the probe again at the next `up` (as `@pulumi/command`'s `triggers`), e.g. a router's `made`. */
  triggers?: pulumi.Input<unknown[]>;
}

/** What a probe saw: its `seen` output. */
export interface ProbeSeen {
  /** "icmp" (ping) or "tcp" (a connect to `port`). */
  via: "icmp" | "tcp";
  /** A reply came back (or the connection was accepted). */
  reachable: boolean;
  /** ICMP: the TTL of the last reply. */
  ttl?: number;
  /** ICMP: the average round trip, ms. */
  rttMs?: number;
  /** ICMP: echo requests sent and replies received. */
  sent?: number;
  received?: number;
  /** Why nothing came back, as the network or the tool said it ("From 10.0.1.1: Destination Host Unreachable", "connect: Network is unreachable", "Connection refused"). */
  error?: string;
  /** Why the probe could not look at all (after a refresh: its namespace is gone). */
  couldNotRun?: string;
  /** When it looked (ISO 8601). */
  at: string;
}

/**
 * An expectation of reachability, checked by the kernel: from a namespace to an address, by
 * ICMP echo (`ping`) or a TCP connect to a port (`nc -z`). It runs when created and whenever its
 * inputs change, after what it depends on, and fails `pulumi up` with one line when the
 * expectation does not hold (`probe d1 → 172.16.20.2: expected reachable with TTL 63, got no
 * reply in 3 s`). `pulumi refresh` looks again: a changed answer (a route deleted by hand) shows
 * as a change of `seen`, and the next `up` runs the probe again. It makes no kernel object, so it
 * carries no ownership mark and its delete does nothing.
 */
export class Probe extends pulumi.dynamic.Resource {
  public declare readonly netns: pulumi.Output<string | undefined>;
  /** The address, as the probe uses it (normalized; a prefix length dropped). */
  public declare readonly to: pulumi.Output<string>;
  public declare readonly port: pulumi.Output<number | undefined>;
  public declare readonly expect: pulumi.Output<"reachable" | "unreachable">;
  public declare readonly ttl: pulumi.Output<number | undefined>;
  public declare readonly maxRtt: pulumi.Output<number | undefined>;
  public declare readonly count: pulumi.Output<number>;
  public declare readonly timeout: pulumi.Output<number>;
  /** What the probe saw when it last ran (create, update), or when a refresh saw the answer change. */
  public declare readonly seen: pulumi.Output<ProbeSeen>;
  /** Whether `seen` is what was expected: false only after a refresh saw otherwise (the next `up` runs it again). */
  public declare readonly holds: pulumi.Output<boolean>;

  constructor(name: string, args: ProbeArgs, opts?: pulumi.CustomResourceOptions) {
    const props = { ...placeholders("probe"), ...args, netns: netnsInput(args.netns), connection: connectionInput(args.connection) };
    super(provider, name, props, withSecretConnection(opts), MODULE, "Probe");
  }
}

// ── a whole matrix in a few lines ─────────────────────────────────────────────────────
/** Where a matrix's probes start: a namespace, or a namespace of another machine. */
export type ProbeOrigin = NetnsRef | { netns?: NetnsRef; connection?: CommonArgs["connection"] };

/** One expected pair: a `to` name, with the pair's own settings. */
export interface ProbePair {
  /** A name of the matrix's `to`. */
  to: string;
  port?: number;
  /** Expected reply TTL (in `reachable` only). */
  ttl?: number;
  /** Longest average round trip, ms (in `reachable` only). */
  maxRtt?: number;
  count?: number;
  timeout?: number;
}

export interface ReachabilityArgs {
  /** The origins, each under a short name (it goes into resource names and keys): `{ c1: c1ns, d1: "d1" }`. */
  from: Record<string, ProbeOrigin>;
  /** The destinations, each under a short name: `{ c2: "172.16.10.3", gw: router.address }`. */
  to: Record<string, pulumi.Input<string>>;
  /** For each origin name, the destinations it must reach: `{ c1: ["c2", { to: "gw", ttl: 64 }] }`. */
  reachable?: Record<string, ReadonlyArray<string | ProbePair>>;
  /** For each origin name, the destinations it must not reach: `{ d1: ["c2"] }`. */
  unreachable?: Record<string, ReadonlyArray<string | Omit<ProbePair, "ttl" | "maxRtt">>>;
  /** Settings for every probe of the matrix (a pair's own settings win). */
  defaults?: Pick<ProbeArgs, "count" | "timeout" | "triggers">;
}

const isOrigin = (v: ProbeOrigin): v is { netns?: NetnsRef; connection?: CommonArgs["connection"] } =>
  typeof v === "object" && v !== null && !(v instanceof Namespace) && !pulumi.Output.isInstance(v) && !(v instanceof Promise);

/**
 * One `Probe` per stated pair, named `NAME-FROM-TO` (`-PORT` for a TCP pair) and returned by
 * `"FROM → TO"` (`"FROM → TO:PORT"`):
 *
 * ```ts
 * linuxnet.expectReachability("lab", {
 *   from: { d1: d1ns, d2: d2ns },
 *   to: { d3: "172.16.10.11", d2: "172.16.20.10" },
 *   reachable: { d1: [{ to: "d3", ttl: 64 }], d2: ["d3"] },
 *   unreachable: { d1: ["d2"] },
 * }, { dependsOn: [d1ep, d2ep, d3ep] });
 * ```
 *
 * A name not in `from`/`to`, or a pair stated twice, fails the program before anything runs.
 */
export function expectReachability(name: string, args: ReachabilityArgs, opts?: pulumi.CustomResourceOptions): Record<string, Probe> {
  const probes: Record<string, Probe> = {};
  const fail = (why: string): never => {
    throw new Error(`pulumi-linuxnet: expectReachability "${name}": ${why}`);
  };
  const names = (o: object) => Object.keys(o).map((k) => JSON.stringify(k)).join(", ") || "none";
  for (const expect of ["reachable", "unreachable"] as const) {
    for (const [from, pairs] of Object.entries(args[expect] ?? {})) {
      if (!(from in args.from)) fail(`${expect} names the origin "${from}", which is not in from (${names(args.from)})`);
      const origin = args.from[from];
      const where = isOrigin(origin) ? origin : { netns: origin };
      for (const entry of pairs) {
        const pair: ProbePair = typeof entry === "string" ? { to: entry } : entry;
        if (!(pair.to in args.to)) fail(`${expect}.${from} names the destination "${pair.to}", which is not in to (${names(args.to)})`);
        const key = `${from} → ${pair.to}${pair.port !== undefined ? `:${pair.port}` : ""}`;
        if (probes[key]) fail(`the pair ${key} is stated twice`);
        const { to, ...settings } = pair;
        probes[key] = new Probe(
          `${name}-${from}-${to}${pair.port !== undefined ? `-${pair.port}` : ""}`,
          { ...args.defaults, ...settings, netns: where.netns, connection: where.connection, to: args.to[to], expect },
          opts,
        );
      }
    }
  }
  return probes;
}

/**
 * MacvlanEndpoint: one interface of a macvlan network placed in a namespace, as
 * `docker run --network mac1 --ip 172.16.10.2` does for a container: a macvlan link on the
 * network's parent, created directly in the container's namespace (named eth0 by default),
 * with a static address in the subnet and a default route via the gateway. Where the network
 * has a host shim, the endpoint also routes its /32 through it on the host.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { CommandError, describe, objectError } from "../core/errors";
import { handlers, type KindSpec } from "../core/kind";
import { type LinkConfig, linkFields, type LinkOutputs, linkOutputs, reconcileArgv } from "../core/link";
import { linkLifecycle, type OwnedLink, type Seen } from "../core/link-engine";
import { macvlanMode } from "./macvlan-network";
import { hostPrefix, hostProblem, ipAddress, prefixOf, subnet } from "../core/net";
import { markOf, ROUTE_PROTO } from "../core/owner";
import { makeRoute, removeRoute, routeJson, type RouteInputs } from "./route";
import type { Host } from "../hosts";
import { transaction } from "../core/undo";
import { bool, ifName, netnsName, ownership } from "../core/validate";
import { KINDS } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
const { name: _name, netns: _netns, addresses: _addresses, ...settings } = linkFields();

export const schema = z
  .strictObject({
    name: ifName("name").default("eth0"),
    netns: netnsName("netns"),
    address: ipAddress("address"),
    /** The network, as the SDK copies it from a MacvlanNetwork. */
    network: z.strictObject({
      parent: ifName("network.parent"),
      netns: netnsName("network.netns").optional(),
      mode: macvlanMode("network.mode"),
      subnet: subnet("network.subnet"),
      gateway: ipAddress("network.gateway"),
      shim: z.strictObject({ name: ifName("network.shim.name"), address: ipAddress("network.shim.address") }).optional(),
    }),
    defaultRoute: bool("defaultRoute").default(true),
    ...settings,
    ...ownership(),
  })
  .superRefine((v, ctx) => {
    const problem =
      hostProblem(v.address, v.network.subnet) ??
      // The gateway's own leg (a router on the network) takes the gateway's address and no default route.
      (v.address === v.network.gateway && v.defaultRoute ? `must not be the gateway's address (unless this endpoint is the gateway: defaultRoute false)` : undefined) ??
      (v.address === v.network.shim?.address ? `must not be the host shim's address` : undefined);
    if (problem) ctx.addIssue({ code: "custom", path: ["address"], message: `invalid address "${v.address}" (${problem})` });
  });
export type EndpointInputs = z.output<typeof schema>;

/** ifindex, and the MAC and MTU the kernel uses now. */
export type EndpointOutputs = LinkOutputs;

// ── argv builders ───────────────────────────────────────────────────────────────────────
const cidrOf = (i: EndpointInputs) => `${i.address}/${prefixOf(i.network.subnet)}`;
const hostRoute = (i: EndpointInputs) => `${i.address}/${hostPrefix(i.address)}`;
const config = (i: EndpointInputs): LinkConfig => ({ ...i, addresses: [cidrOf(i)] });

export const argv = {
  /** In the parent's namespace; the link is made directly in the endpoint's. */
  add: (i: EndpointInputs) => ["link", "add", "link", i.network.parent, "name", i.name, "netns", i.netns, "type", "macvlan", "mode", i.network.mode],
  /** The mark, set from the parent's batch by an exec'd `ip` inside the endpoint's namespace. */
  mark: (i: EndpointInputs) => ["netns", "exec", i.netns, "ip", "link", "set", "dev", i.name, "alias", markOf(i.owner!)],
  defaultRoute: (i: EndpointInputs) => ["route", "replace", "default", "via", i.network.gateway, "dev", i.name, "proto", ROUTE_PROTO],
  showDefault: () => ["route", "show", "default"],
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: EndpointInputs) => ({ kind: "macvlan endpoint", name: i.name, netns: i.netns });
const attempt = (verb: string, i: EndpointInputs) => ({ verb, ...subject(i) });

/** The default route via the gateway on this link that the stack made (proto 148), from `route show default`. */
function defaultVia(i: EndpointInputs, s: Partial<Seen>): string | undefined {
  const routes = (s.shown?.[0] ?? []).map((r) => routeJson.safeParse(r)).filter((r) => r.success).map((r) => r.data);
  return routes.find((r) => r.dev === i.name && r.gateway && r.protocol === ROUTE_PROTO)?.gateway;
}

/** The link, and after its settings its default route: put back whenever the link changed (a deleted address takes it along). */
const link = (i: EndpointInputs): OwnedLink => ({
  config: config(i),
  infoKind: "macvlan",
  shows: [argv.showDefault()],
  extra(current, previous) {
    const via = defaultVia(i, current);
    const changed = reconcileArgv(config(i), { addresses: [], up: false, ...current }, previous?.config).length > 0;
    if (i.defaultRoute && (via !== i.network.gateway || changed)) return [argv.defaultRoute(i)];
    if (!i.defaultRoute && via) return [["route", "del", "default", "via", via, "dev", i.name, "proto", ROUTE_PROTO]];
    return [];
  },
  problem(s) {
    const via = defaultVia(i, s);
    return via !== (i.defaultRoute ? i.network.gateway : undefined) ? `the default route is ${via ? `via ${via}` : "missing"}` : undefined;
  },
});

// ── the host route through the network's shim: a route by Route's rules (route.ts) ───────
/** The host route as a Route: its key as Route records it, so ownership is decided one way for both. */
const hostRouteOf = (i: EndpointInputs): RouteInputs => ({
  destination: hostRoute(i),
  dev: i.network.shim!.name,
  table: "main",
  family: isIP(i.address) === 6 ? "ipv6" : "ipv4",
  netns: i.network.netns,
  owner: i.owner,
  adopt: i.adopt, // Route's rule: an unmarked route only with adopt, another owner's never
});
const hasHostRoute = (e?: EndpointInputs) => Boolean(e?.network.shim) && isIP(e!.address) !== 0; // a state read with its address gone has none

/** Makes the host route, or takes over this endpoint's own; another's (or one made by hand) fails the step naming it. */
async function makeHostRoute(host: Host, i: EndpointInputs, verb: string): Promise<void> {
  try {
    await makeRoute(host, hostRouteOf(i));
  } catch (e) {
    const cause = e instanceof CommandError && e.attempt ? e.message.slice(describe(e.attempt).length) : (e as Error).message;
    throw objectError(attempt(verb, i), `its host route ${hostRoute(i)} through "${i.network.shim!.name}": ${cause}`, e instanceof CommandError && e.kind !== "exists" ? e.kind : "failed");
  }
}

/** The host route moved from what `o` had to what `n` declares: the old one goes only if it is ours. */
async function moveHostRoute(host: Host, o: EndpointInputs | undefined, n: EndpointInputs | undefined, verb: string): Promise<void> {
  const same = hasHostRoute(o) && hasHostRoute(n) && hostRoute(o!) === hostRoute(n!) && o!.network.shim!.name === n!.network.shim!.name;
  if (hasHostRoute(o) && !same) await removeRoute(host, hostRouteOf(o!));
  if (hasHostRoute(n)) await makeHostRoute(host, n!, verb);
}

// In the parent's namespace the add and the mark (from inside: an exec'd ip), in one process; in
// the endpoint's namespace the address, up, the default route and the read-back. The host route after.
const lifecycle = linkLifecycle<EndpointInputs, EndpointOutputs>(
  {
    subject,
    links: (i) => [link(i)],
    add: (i) => ({ netns: i.network.netns, argv: argv.add(i), marks: i.owner === undefined ? [] : [argv.mark(i)] }),
    observed(i, [c], [s]) {
      const inSubnet = s.addresses.map((a) => a.split("/")[0]);
      return {
        address: inSubnet.includes(i.address) && s.addresses.length === 1 ? i.address : (inSubnet[0] ?? ""),
        defaultRoute: defaultVia(i, s) === i.network.gateway,
        up: c.up,
        ...(i.mtu !== undefined && { mtu: c.mtu }),
        ...(i.mac !== undefined && { mac: c.mac }),
      };
    },
  },
  (_i, [s]) => linkOutputs(s),
);

const spec: KindSpec<typeof schema, EndpointOutputs> = {
  kind: KINDS.macvlanEndpoint.kind,
  schema,
  replaceOn: KINDS.macvlanEndpoint.replaceOn,
  subject,
  id: (i) => `${i.netns}/${i.name}`,
  existing: lifecycle.existing,
  read: lifecycle.read,

  // The link, then the host route (by Route's rules); a host route that cannot be made takes the link back with it.
  create: (host, i) =>
    transaction(async (onFailure) => {
      const outs = await lifecycle.create(host, i);
      onFailure(() => lifecycle.delete(host, i));
      if (hasHostRoute(i)) await makeHostRoute(host, i, "create");
      return outs;
    }),

  async update(host, o, n) {
    const outs = await lifecycle.update(host, o, n);
    await moveHostRoute(host, o, n, "update");
    return outs;
  },

  // The host route goes too (only if it is ours), also when the endpoint went with its namespace already.
  async delete(host, i) {
    await lifecycle.delete(host, i);
    await moveHostRoute(host, i, undefined, "delete");
  },
};

export const macvlanEndpoint = handlers(spec);

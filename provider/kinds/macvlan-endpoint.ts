/**
 * MacvlanEndpoint: one interface of a macvlan network placed in a namespace, as
 * `docker run --network mac1 --ip 172.16.10.2` does for a container: a macvlan link on the
 * network's parent, created directly in the container's namespace (named eth0 by default),
 * with a static address in the subnet and a default route via the gateway. Where the network
 * has a host shim, the endpoint also routes its /32 through it on the host.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { failedAt, goneError, objectError, unlessGone } from "../core/errors";
import { handlers, type KindSpec } from "../core/kind";
import { deleteOwnLink, linkFields, parseLink, readLink, reconcileArgv, showArgv, verifyApplied, type LinkSeen } from "../core/link";
import { macvlanMode } from "./macvlan-network";
import { hostPrefix, hostProblem, ipAddress, prefixOf, subnet } from "../core/net";
import { claimOf, describeOwner, markOf, notOurs, observedOwner, ownerInMark, ROUTE_PROTO, stillOurs } from "../core/owner";
import { forgetRoute, recordRoute, routeJson, type RouteKey } from "./route";
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

export interface EndpointOutputs extends Record<string, unknown> {
  ifindex: number;
  actualMac: string;
  actualMtu: number;
}

// ── replacement ─────────────────────────────────────────────────────────────────────────
const replaceOn = KINDS.macvlanEndpoint.replaceOn;

// ── argv builders ───────────────────────────────────────────────────────────────────────
const cidrOf = (i: EndpointInputs) => `${i.address}/${prefixOf(i.network.subnet)}`;
const hostRoute = (i: EndpointInputs) => `${i.address}/${hostPrefix(i.address)}`;
const config = (i: EndpointInputs) => ({ ...i, addresses: [cidrOf(i)], alias: i.owner === undefined ? undefined : markOf(i.owner) });

export const argv = {
  /** In the parent's namespace; the link is made directly in the endpoint's. */
  add: (i: EndpointInputs) => ["link", "add", "link", i.network.parent, "name", i.name, "netns", i.netns, "type", "macvlan", "mode", i.network.mode],
  /** The mark, set from the parent's batch by an exec'd `ip` inside the endpoint's namespace. */
  mark: (i: EndpointInputs) => ["netns", "exec", i.netns, "ip", "link", "set", "dev", i.name, "alias", markOf(i.owner!)],
  defaultRoute: (i: EndpointInputs) => ["route", "replace", "default", "via", i.network.gateway, "dev", i.name, "proto", ROUTE_PROTO],
  showDefault: () => ["route", "show", "default"],
  hostRoute: (i: EndpointInputs, verb: "replace" | "del") => ["route", verb, hostRoute(i), "dev", i.network.shim!.name, "proto", ROUTE_PROTO],
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: EndpointInputs) => ({ kind: "macvlan endpoint", name: i.name, netns: i.netns });
const attempt = (verb: string, i: EndpointInputs) => ({ verb, ...subject(i) });


interface Seen {
  link: LinkSeen;
  /** The default route via the gateway on this link, if there is one. */
  defaultVia?: string;
}

const outputsOf = (s: LinkSeen): EndpointOutputs => ({ ifindex: s.ifindex, actualMac: s.mac, actualMtu: s.mtu });

/** Applies lines in the endpoint's namespace and reads the link and its default route back. */
async function applyAndRead(host: Host, i: EndpointInputs, lines: string[][], verb: string): Promise<Seen | undefined> {
  const printed = await host.ipBatch([...lines, showArgv(i.name), argv.showDefault()], { netns: i.netns }, attempt(verb, i));
  const link = parseLink(printed[0]);
  if (!link) return undefined;
  const routes = (printed[1] ?? []).map((r) => routeJson.safeParse(r)).filter((r) => r.success).map((r) => r.data);
  // Only a default route the stack made (proto 148) is this endpoint's to keep or remove.
  return { link, defaultVia: routes.find((r) => r.dev === i.name && r.gateway && r.protocol === ROUTE_PROTO)?.gateway };
}

function verify(i: EndpointInputs, seen: Seen | undefined, verb: string): Seen {
  if (!seen) throw goneError(attempt(verb, i), "the link vanished while it was being configured");
  verifyApplied(config(i), seen.link, attempt(verb, i));
  const want = i.defaultRoute ? i.network.gateway : undefined;
  if (seen.defaultVia !== want) throw objectError(attempt(verb, i), `the kernel did not apply it: the default route is ${seen.defaultVia ? `via ${seen.defaultVia}` : "missing"}`);
  return seen;
}

/** Lines for the endpoint's namespace: the link as declared, then its default route. */
function lines(i: EndpointInputs, seen: Partial<Seen>, previous?: EndpointInputs): string[][] {
  const out = reconcileArgv(config(i), seen.link ?? { addresses: [], up: false }, previous && config(previous));
  // Deleting the address (or taking the link down) takes the default route with it: put it back.
  if (i.defaultRoute && (seen.defaultVia !== i.network.gateway || out.length)) out.push(argv.defaultRoute(i));
  if (!i.defaultRoute && seen.defaultVia) out.push(["route", "del", "default", "via", seen.defaultVia, "dev", i.name, "proto", ROUTE_PROTO]);
  return out;
}

/** The host route through the network's shim: made, moved or removed in the parent's namespace. */
async function syncHostRoute(host: Host, o: EndpointInputs | undefined, n: EndpointInputs | undefined, verb: string): Promise<void> {
  const target = { netns: (n ?? o)!.network.netns };
  const valid = (e?: EndpointInputs) => e?.network.shim && isIP(e.address) !== 0; // a state read with its address gone has none
  const same = valid(o) && valid(n) && hostRoute(o!) === hostRoute(n!) && o!.network.shim!.name === n!.network.shim!.name;
  if (valid(o) && !same) {
    await unlessGone(host.ip(argv.hostRoute(o!, "del"), { netns: o!.network.netns }, attempt(verb, o!)), undefined);
    await forgetRoute(host, hostKey(o!)).catch(() => undefined);
  }
  if (valid(n)) {
    await recordRoute(host, hostKey(n!), n!.owner);
    await host.ip(argv.hostRoute(n!, "replace"), target, attempt(verb, n!));
  }
}

/** The host route's key, as Route records it (so a Route resource never takes it for its own). */
const hostKey = (i: EndpointInputs): RouteKey => ({ netns: i.network.netns, family: isIP(i.address) === 6 ? "ipv6" : "ipv4", table: "main", destination: hostRoute(i), metric: isIP(i.address) === 6 ? 1024 : 0 });

async function readEndpoint(host: Host, i: EndpointInputs, verb: string): Promise<Seen | undefined> {
  const seen = await unlessGone(applyAndRead(host, i, [], verb), undefined);
  return seen && seen.link.kind === "macvlan" ? seen : undefined;
}

const spec: KindSpec<typeof schema, EndpointOutputs> = {
  kind: "MacvlanEndpoint",
  schema,
  replaceOn,
  subject,
  id: (i) => `${i.netns}/${i.name}`,

  // Two batches: in the parent's namespace the add, the mark (from inside) and the host route;
  // in the endpoint's namespace the address, up, the default route and the read-back.
  create: (host, i) => {
    const add = argv.add(i);
    return transaction(async (onFailure) => {
      onFailure(async (e) => failedAt(e, add) || deleteOwnLink(host, i.name, i.netns, i.owner, undefined, attempt("clean up", i), "macvlan"));
      onFailure(() => syncHostRoute(host, i, undefined, "clean up"));
      if (i.network.shim) await recordRoute(host, hostKey(i), i.owner); // before the route exists
      const head = [add, ...(i.owner === undefined ? [] : [argv.mark(i)]), ...(i.network.shim ? [argv.hostRoute(i, "replace")] : [])];
      await host.ipBatch(head, { netns: i.network.netns }, (line) => attempt(line === add ? "create" : "configure", i), { atomic: head.length });
      const fresh = { link: { addresses: [], up: false, alias: i.owner === undefined ? undefined : markOf(i.owner) } as Partial<LinkSeen> as LinkSeen };
      return outputsOf(verify(i, await applyAndRead(host, i, lines(i, fresh), "configure"), "configure").link);
    });
  },

  async existing(host, i) {
    const s = await readLink(host, i.name, i.netns, attempt("create", i));
    if (!s) return undefined;
    if (s.kind !== "macvlan") {
      const owner = ownerInMark(s.alias);
      throw objectError(attempt("create", i), `the name is taken by a ${s.kind ?? "link"}, not a macvlan interface${owner ? ` (it belongs to ${describeOwner(owner)})` : ""}`, "exists");
    }
    return { claims: [claimOf(s.alias, i.owner)] };
  },

  async read(host, i) {
    const seen = await readEndpoint(host, i, "read");
    if (!seen || !stillOurs(seen.link.alias, i.owner)) return undefined;
    const inSubnet = seen.link.addresses.map((a) => a.split("/")[0]);
    const inputs: EndpointInputs = {
      ...i,
      address: inSubnet.includes(i.address) && seen.link.addresses.length === 1 ? i.address : (inSubnet[0] ?? ""),
      defaultRoute: seen.defaultVia === i.network.gateway,
      up: seen.link.up,
      ...(i.mtu !== undefined && { mtu: seen.link.mtu }),
      ...(i.mac !== undefined && { mac: seen.link.mac }),
      owner: observedOwner(seen.link.alias, i.owner),
    };
    return { inputs, outs: outputsOf(seen.link) };
  },

  async update(host, o, n) {
    const seen = await readEndpoint(host, n, "update");
    if (!seen) throw goneError(attempt("update", n), "the endpoint no longer exists (run `pulumi refresh`, then `pulumi up` recreates it)");
    if (!stillOurs(seen.link.alias, o.owner)) throw objectError(attempt("update", n), notOurs("the interface at this name", seen.link.alias), "exists");
    const after = verify(n, await applyAndRead(host, n, lines(n, seen, o), "update"), "update");
    await syncHostRoute(host, o, n, "update");
    return outputsOf(after.link);
  },

  // The host route goes too, also when the endpoint went with its namespace already.
  async delete(host, i) {
    await deleteOwnLink(host, i.name, i.netns, i.owner, undefined, attempt("delete", i), "macvlan");
    await syncHostRoute(host, i, undefined, "delete");
  },
};

export const macvlanEndpoint = handlers(spec);

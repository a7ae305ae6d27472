/**
 * Route: one route in a namespace (`ip route add DEST via GW dev DEV metric M table T`).
 * A route has no alias: its identity is its key (family, table, destination, metric), and it
 * carries `proto 148` (ROUTE_PROTO) as the mark that pulumi-linuxnet made it, so only such
 * routes are ever changed or deleted. In-place changes use `ip route replace`.
 */
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { goneError, objectError, unlessGone } from "../core/errors";
import { createOrTakeOver, handlers, type KindSpec } from "../core/kind";
import { ipAddress, subnet } from "../core/net";
import { ROUTE_PROTO } from "../core/owner";
import type { Host, Step } from "../hosts";
import { transaction, type Undo } from "../core/undo";
import { ifName, netnsName, ownership } from "../core/validate";
import { KINDS } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
const UINT32 = 4294967295;
const whole = (field: string, min: number, max: number) =>
  z
    .number({ error: `invalid ${field} (must be a whole number from ${min} to ${max})` })
    .refine((v) => Number.isInteger(v) && v >= min && v <= max, { error: (iss) => `invalid ${field} ${JSON.stringify(iss.input)} (must be a whole number from ${min} to ${max})` });

export const schema = z
  .strictObject({
    destination: z.union([z.literal("default"), subnet("destination")], {
      error: (iss) => `invalid destination ${JSON.stringify(iss.input)} (must be "default" or a network like 10.0.0.0/24 or fd00::/64)`,
    }),
    via: ipAddress("via").optional(),
    dev: ifName("dev").optional(),
    metric: whole("metric", 0, UINT32).optional(),
    table: z.union([z.literal("main"), whole("table", 1, UINT32)], { error: (iss) => `invalid table ${JSON.stringify(iss.input)} (must be "main" or a number from 1 to ${UINT32})` }).default("main"),
    family: z.enum(["ipv4", "ipv6"], { error: (iss) => `invalid family ${JSON.stringify(iss.input)} (must be "ipv4" or "ipv6")` }).optional(),
    netns: netnsName("netns").optional(),
    ...ownership(),
  })
  .superRefine((v, ctx) => {
    if (v.via === undefined && v.dev === undefined) ctx.addIssue({ code: "custom", path: ["via"], message: "invalid route (must have a gateway `via`, a device `dev`, or both)" });
    const notGateway = v.via === undefined ? undefined : gatewayProblem(v.via);
    if (notGateway) ctx.addIssue({ code: "custom", path: ["via"], message: `invalid via ${JSON.stringify(v.via)} (${notGateway})` });
    const families = [v.destination === "default" ? undefined : familyOf(v.destination), v.via && familyOf(v.via), v.family].filter(Boolean);
    if (new Set(families).size > 1) ctx.addIssue({ code: "custom", path: ["via"], message: `invalid via ${JSON.stringify(v.via)} (must be of the destination's address family)` });
  })
  .overwrite((v) => ({ ...v, family: v.family ?? (v.destination !== "default" ? familyOf(v.destination) : v.via ? familyOf(v.via) : "ipv4") }));
export type RouteInputs = z.output<typeof schema>;

const familyOf = (a: string) => (a.includes(":") ? "ipv6" : "ipv4");

/**
 * A gateway is a neighbour reached over a link. The kernel takes `via 127.0.0.1` (and sends
 * the traffic to lo, where it ends in this namespace) and refuses `via ::1` only at apply.
 */
const NOT_A_GATEWAY: Record<string, string> = {
  loopback: "must not be a loopback address: a gateway is a neighbour on a link, and traffic sent via loopback never leaves this namespace",
  unspecified: "must not be the unspecified address (it means \"any\")",
  multicast: "must not be a multicast address (a group, not a neighbour)",
  broadcast: "must not be the limited broadcast address",
};
function gatewayProblem(via: string): string | undefined {
  try {
    return NOT_A_GATEWAY[ipaddr.parse(via).range()];
  } catch {
    return undefined; // not an address: the field's own rule says so
  }
}

export interface RouteOutputs extends Record<string, unknown> {
  /** The route's protocol as the kernel reports it ("148": made by pulumi-linuxnet). */
  protocol: string;
}


// ── argv builders ───────────────────────────────────────────────────────────────────────
const fam = (i: RouteInputs) => (i.family === "ipv6" ? ["-6"] : ["-4"]);
/** The kernel's metric when none is given: 0 for IPv4, 1024 for IPv6 routes added by users. */
export const metricOf = (i: Pick<RouteInputs, "metric" | "family">) => i.metric ?? (i.family === "ipv6" ? 1024 : 0);
/** The key: what selects exactly this route (always with its metric, so a delete never hits a neighbour of another metric). */
const key = (i: RouteInputs) => [i.destination, "metric", String(metricOf(i)), "table", String(i.table)];

export const argv = {
  set: (verb: "add" | "replace", i: RouteInputs) => [...fam(i), "route", verb, ...key(i), ...(i.via ? ["via", i.via] : []), ...(i.dev ? ["dev", i.dev] : []), "proto", ROUTE_PROTO],
  show: (i: RouteInputs) => [...fam(i), "route", "show", "table", String(i.table), "exact", i.destination],
  del: (i: RouteInputs) => [...fam(i), "route", "del", ...key(i), "proto", ROUTE_PROTO],
};

// ── who made a route ────────────────────────────────────────────────────────────────────
/**
 * `proto 148` says only that pulumi-linuxnet made a route, not which resource of which stack:
 * that is kept in a record under /run (hosts/records.ts), written before the route is added.
 * MacvlanEndpoint records the routes it makes the same way.
 */
export interface RouteKey {
  netns?: string;
  family: "ipv4" | "ipv6";
  table: "main" | number;
  destination: string;
  metric: number;
}
const recordKey = (k: RouteKey) => `${k.family}/${k.table === 254 ? "main" : k.table}/${k.destination}/${k.metric}`;
interface RouteRecord {
  owner?: string;
}
export const routeOwner = async (host: Host, k: RouteKey) => (await host.records.read<RouteRecord>({ netns: k.netns }, "route", recordKey(k)))?.owner;
/** One locked step on the route's owner record (hosts/records.ts). */
const onRecord = <R = void>(host: Host, k: RouteKey, step: Step<RouteRecord, R>, onFailure?: (undo: Undo) => void) => host.records.change({ netns: k.netns }, "route", recordKey(k), step, { onFailure });
const keyOf = (i: RouteInputs): RouteKey => ({ netns: i.netns, family: i.family ?? "ipv4", table: i.table, destination: i.destination, metric: metricOf(i) });

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: RouteInputs) => ({ kind: "route", name: i.destination, netns: i.netns });
const attempt = (verb: string, i: RouteInputs) => ({ verb, ...subject(i) });

export const routeJson = z.looseObject({ dst: z.string(), gateway: z.string().optional(), dev: z.string().optional(), protocol: z.string().optional(), metric: z.number().optional() });
type Seen = z.infer<typeof routeJson>;

/** The route with this key, if there is one (a namespace gone: none). */
async function readRoute(host: Host, i: RouteInputs, verb: string): Promise<Seen | undefined> {
  const all = await unlessGone(host.ipJson(argv.show(i), { netns: i.netns }, attempt(verb, i)), []);
  return all
    .map((r) => routeJson.safeParse(r))
    .filter((r) => r.success)
    .map((r) => r.data)
    .find((r) => (r.metric ?? 0) === metricOf(i));
}

const marked = (r: Seen) => r.protocol === ROUTE_PROTO;

/** Whether the route at the key is this resource's: marked, and recorded as its own (or made before records). */
const ownedBy = (i: RouteInputs, r: Seen, record: RouteRecord | undefined) => marked(r) && (record?.owner === undefined ? i.owner === undefined : record.owner === i.owner);
const isOurs = async (host: Host, i: RouteInputs, r: Seen) => marked(r) && ownedBy(i, r, { owner: await routeOwner(host, keyOf(i)) });

function verify(i: RouteInputs, r: Seen | undefined, verb: string): RouteOutputs {
  if (!r) throw goneError(attempt(verb, i), "the route vanished while it was being set");
  const problems = [
    ...(i.via !== undefined && r.gateway !== i.via ? [`its gateway is ${r.gateway ?? "none"}`] : []),
    ...(i.dev !== undefined && r.dev !== i.dev ? [`its device is ${r.dev ?? "none"}`] : []),
    ...(!marked(r) ? [`its protocol is ${r.protocol ?? "none"}`] : []),
  ];
  if (problems.length) throw objectError(attempt(verb, i), `the kernel did not apply it: ${problems.join("; ")}`);
  return { protocol: r.protocol! };
}

const spec: KindSpec<typeof schema, RouteOutputs> = {
  kind: KINDS.route.kind,
  schema,
  replaceOn: KINDS.route.replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}/${i.family}/${i.table}/${i.destination}/${metricOf(i)}`,

  // One step on the owner record: the record first (a route of ours is never in the kernel
  // without its owner written down), the add, then the record as the kernel decided it.
  create: (host, i) =>
    transaction(async (onFailure) => {
      await onRecord(
        host,
        keyOf(i),
        async (r, save) => {
          if (r?.owner === undefined) await save({ owner: i.owner });
          await host.ip(argv.set("add", i), { netns: i.netns }, attempt("create", i));
          onFailure(async () => unlessGone(host.ip(argv.del(i), { netns: i.netns }), undefined));
          return { record: { owner: i.owner } }; // the kernel took it: whatever was recorded before was stale
        },
        onFailure,
      );
      return verify(i, await readRoute(host, i, "create"), "create");
    }),

  async existing(host, i) {
    const r = await readRoute(host, i, "create");
    if (!r) return undefined;
    if (!marked(r)) return { claims: [{ is: "unmarked", alias: r.protocol ? `proto ${r.protocol}` : undefined }] };
    const owner = await routeOwner(host, keyOf(i));
    if (owner === undefined) return { claims: [{ is: "unmarked", alias: "proto 148, with no owner recorded" }] };
    return { claims: [owner === i.owner ? { is: "ours" } : { is: "foreign", owner }] };
  },

  // Reported as the schema takes it: a route that lost its gateway reads with its device.
  async read(host, i) {
    const r = await readRoute(host, i, "read");
    if (!r || !(await isOurs(host, i, r))) return undefined;
    const via = i.via !== undefined ? r.gateway : undefined;
    const dev = i.dev !== undefined || via === undefined ? r.dev : undefined;
    return { inputs: { ...i, via, dev }, outs: { protocol: r.protocol! } };
  },

  async update(host, _o, n) {
    await onRecord(host, keyOf(n), async (record) => {
      const r = await readRoute(host, n, "update");
      if (r && !n.adopt && !ownedBy(n, r, record)) {
        throw objectError(attempt("update", n), `a route not made by this resource (proto ${r.protocol ?? "none"}) holds its key now; run \`pulumi refresh\``, "exists");
      }
      await host.ip(argv.set("replace", n), { netns: n.netns }, attempt("update", n));
      return { record: { owner: n.owner } };
    });
    return verify(n, await readRoute(host, n, "update"), "update");
  },

  // Only a route this resource made: marked, recorded as its own, at exactly its key.
  delete: (host, i) =>
    onRecord(host, keyOf(i), async (record) => {
      const r = await readRoute(host, i, "delete");
      if (r && !ownedBy(i, r, record)) return { keep: true };
      if (r) await unlessGone(host.ip(argv.del(i), { netns: i.netns }, attempt("delete", i)), undefined);
      return { record: undefined };
    }),
};

export const route = handlers(spec);

/**
 * A route another kind makes as part of its object (a MacvlanEndpoint's host route through
 * the network's shim), by Route's rules: made with its owner recorded first, its own leftover
 * taken over, a route that is not its own (another owner's, or one made by hand) refused with
 * one line, and a failed create undoing only what it made.
 */
export const makeRoute = (host: Host, i: RouteInputs) => createOrTakeOver(spec, host, i);
/** Deletes such a route, only if it is the resource's own (marked and recorded so); its record with it. */
export const removeRoute = (host: Host, i: RouteInputs) => spec.delete(host, i, {});

/**
 * Route: one route in a namespace (`ip route add DEST via GW dev DEV metric M table T`).
 * A route has no alias: its identity is its key (family, table, destination, metric), and it
 * carries `proto 148` (ROUTE_PROTO) as the mark that pulumi-linuxnet made it, so only such
 * routes are ever changed or deleted. In-place changes use `ip route replace`.
 */
import { z } from "zod";
import { goneError, objectError, unlessGone } from "./errors";
import { handlers, type KindSpec } from "./kind";
import { ipAddress, subnet } from "./net";
import { ROUTE_PROTO } from "./owner";
import { ip, ipJson } from "./runner";
import { ifName, netnsName, ownership } from "./validate";

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
    const families = [v.destination === "default" ? undefined : familyOf(v.destination), v.via && familyOf(v.via), v.family].filter(Boolean);
    if (new Set(families).size > 1) ctx.addIssue({ code: "custom", path: ["via"], message: `invalid via ${JSON.stringify(v.via)} (must be of the destination's address family)` });
  })
  .overwrite((v) => ({ ...v, family: v.family ?? (v.destination !== "default" ? familyOf(v.destination) : v.via ? familyOf(v.via) : "ipv4") }));
export type RouteInputs = z.output<typeof schema>;

const familyOf = (a: string) => (a.includes(":") ? "ipv6" : "ipv4");

export interface RouteOutputs extends Record<string, unknown> {
  /** The route's protocol as the kernel reports it ("148": made by pulumi-linuxnet). */
  protocol: string;
}

// ── replacement ─────────────────────────────────────────────────────────────────────────
const replaceOn = ["destination", "metric", "table", "family", "netns"];

// ── argv builders ───────────────────────────────────────────────────────────────────────
const fam = (i: RouteInputs) => (i.family === "ipv6" ? ["-6"] : ["-4"]);
/** The key: what selects exactly this route. */
const key = (i: RouteInputs) => [i.destination, ...(i.metric !== undefined ? ["metric", String(i.metric)] : []), "table", String(i.table)];

export const argv = {
  set: (verb: "add" | "replace", i: RouteInputs) => [...fam(i), "route", verb, ...key(i), ...(i.via ? ["via", i.via] : []), ...(i.dev ? ["dev", i.dev] : []), "proto", ROUTE_PROTO],
  show: (i: RouteInputs) => [...fam(i), "route", "show", "table", String(i.table), "exact", i.destination],
  del: (i: RouteInputs) => [...fam(i), "route", "del", ...key(i), "proto", ROUTE_PROTO],
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: RouteInputs) => ({ kind: "route", name: i.destination, netns: i.netns });
const attempt = (verb: string, i: RouteInputs) => ({ verb, ...subject(i) });

const routeJson = z.looseObject({ dst: z.string(), gateway: z.string().optional(), dev: z.string().optional(), protocol: z.string().optional(), metric: z.number().optional() });
type Seen = z.infer<typeof routeJson>;

/** The route with this key, if there is one (a namespace gone: none). */
async function readRoute(i: RouteInputs, verb: string): Promise<Seen | undefined> {
  const all = await unlessGone(ipJson(argv.show(i), { netns: i.netns }, attempt(verb, i)), []);
  return all
    .map((r) => routeJson.safeParse(r))
    .filter((r) => r.success)
    .map((r) => r.data)
    .find((r) => (r.metric ?? 0) === (i.metric ?? 0));
}

const ours = (r: Seen) => r.protocol === ROUTE_PROTO;

function verify(i: RouteInputs, r: Seen | undefined, verb: string): RouteOutputs {
  if (!r) throw goneError(attempt(verb, i), "the route vanished while it was being set");
  const problems = [
    ...(i.via !== undefined && r.gateway !== i.via ? [`its gateway is ${r.gateway ?? "none"}`] : []),
    ...(i.dev !== undefined && r.dev !== i.dev ? [`its device is ${r.dev ?? "none"}`] : []),
    ...(!ours(r) ? [`its protocol is ${r.protocol ?? "none"}`] : []),
  ];
  if (problems.length) throw objectError(attempt(verb, i), `the kernel did not apply it: ${problems.join("; ")}`);
  return { protocol: r.protocol! };
}

const spec: KindSpec<typeof schema, RouteOutputs> = {
  kind: "Route",
  schema,
  replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}/${i.family}/${i.table}/${i.destination}/${i.metric ?? 0}`,

  async create(i) {
    await ip(argv.set("add", i), { netns: i.netns }, attempt("create", i));
    return verify(i, await readRoute(i, "create"), "create");
  },

  // A route of pulumi-linuxnet at this key is taken as this resource's leftover; routes carry
  // no resource name, and the SDK refuses two resources with one key in a program.
  async existing(i) {
    const r = await readRoute(i, "create");
    return r && { claims: [ours(r) ? { is: "ours" } : { is: "unmarked", alias: r.protocol ? `proto ${r.protocol}` : undefined }] };
  },

  async read(i) {
    const r = await readRoute(i, "read");
    if (!r || !ours(r)) return undefined;
    return {
      inputs: { ...i, ...(i.via !== undefined && { via: r.gateway }), ...(i.dev !== undefined && { dev: r.dev }) },
      outs: { protocol: r.protocol! },
    };
  },

  async update(_o, n) {
    const r = await readRoute(n, "update");
    if (r && !ours(r) && !n.adopt) throw objectError(attempt("update", n), `a route not made by pulumi-linuxnet (proto ${r.protocol ?? "none"}) holds its key now; run \`pulumi refresh\``, "exists");
    await ip(argv.set("replace", n), { netns: n.netns }, attempt("update", n));
    return verify(n, await readRoute(n, "update"), "update");
  },

  async delete(i) {
    await unlessGone(ip(argv.del(i), { netns: i.netns }, attempt("delete", i)), undefined);
  },
};

export const route = handlers(spec);

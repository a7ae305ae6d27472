/**
 * VxlanInterface: a VXLAN tunnel end (`ip link add NAME type vxlan id VNI local A remote B
 * dstport 4789 dev UNDERLAY`): an Ethernet link whose frames travel in UDP between machines
 * that only route to each other. Addressed, bridged and brought up like any other link; its
 * tunnel settings are read back from `ip -d` (linkinfo.info_data). The kernel fixes the VNI and
 * the UDP port when it creates the link ("Cannot change VNI"); everything else changes in place.
 */
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { goneError, objectError } from "../core/errors";
import { handlers, type KindSpec } from "../core/kind";
import { type LinkOutputs, type LinkSeen, linkFields, linkOutputs, master, readLink } from "../core/link";
import { linkLifecycle, markLine, type OwnedLink, settingsOf } from "../core/link-engine";
import { ipAddress } from "../core/net";
import { bool, ifName, ownership } from "../core/validate";
import { KINDS, VXLAN_PORT, vxlanOverhead } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────

const show = (v: unknown) => JSON.stringify(v);
const whole = (field: string, min: number, max: number, why = "") =>
  z
    .number({ error: `invalid ${field} (must be a whole number from ${min} to ${max}${why})` })
    .refine((v) => Number.isInteger(v) && v >= min && v <= max, { error: (iss) => `invalid ${field} ${show(iss.input)} (must be a whole number from ${min} to ${max}${why})` });

const family = (ip: string) => ipaddr.parse(ip).kind();
const isMulticast = (ip: string) => ipaddr.parse(ip).range() === "multicast";

export const schema = z
  .strictObject({
    ...linkFields(),
    master: master(),
    vni: whole("vni", 0, 16777215, ": VXLAN network identifiers have 24 bits"),
    local: ipAddress("local").optional(),
    remote: ipAddress("remote").optional(),
    group: ipAddress("group").optional(),
    port: whole("port", 1, 65535).default(VXLAN_PORT),
    dev: ifName("dev").optional(),
    learning: bool("learning").default(true),
    ttl: whole("ttl", 1, 255).optional(),
    ...ownership(),
  })
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (v.remote !== undefined && v.group !== undefined) issue("group", `invalid group ${show(v.group)} (must not be given with remote: a VXLAN sends to one unicast remote or one multicast group)`);
    if (v.remote !== undefined && isMulticast(v.remote)) issue("remote", `invalid remote ${show(v.remote)} (must be a unicast address; a multicast one goes in group)`);
    if (v.group !== undefined && !isMulticast(v.group)) issue("group", `invalid group ${show(v.group)} (must be a multicast address like 239.1.1.1; a unicast one goes in remote)`);
    if (v.group !== undefined && v.dev === undefined) issue("dev", `invalid dev undefined (must be given with group: the kernel joins the multicast group on that underlay device)`);
    if (v.local !== undefined && isMulticast(v.local)) issue("local", `invalid local ${show(v.local)} (must be a unicast address of this machine)`);
    for (const f of ["local", "remote", "group"] as const) {
      const ip = v[f];
      if (ip !== undefined && ["unspecified", "loopback"].includes(ipaddr.parse(ip).range())) issue(f, `invalid ${f} ${show(ip)} (must not be the unspecified or a loopback address: omit it instead)`);
    }
    const peer = v.remote ?? v.group;
    if (v.local !== undefined && peer !== undefined && family(v.local) !== family(peer)) {
      issue("local", `invalid local ${show(v.local)} (must be of the same IP family as ${v.remote !== undefined ? "remote" : "group"} ${show(peer)})`);
    }
  });
export type VxlanInputs = z.output<typeof schema>;

/**
 * Why a declared MTU does not fit in an underlay of `underlayMtu`, or undefined. The overhead
 * is the underlay's family: `local`'s, else `remote`'s or `group`'s (an IPv6 remote without
 * `local` still sends IPv6 packets: 70 bytes, not 50).
 */
export function mtuProblem(i: Pick<VxlanInputs, "mtu" | "dev" | "local" | "remote" | "group">, underlayMtu: number): string | undefined {
  const peer = i.local ?? i.remote ?? i.group;
  const overhead = vxlanOverhead(peer !== undefined && family(peer) === "ipv6" ? "ipv6" : "ipv4");
  if (i.mtu === undefined || i.mtu <= underlayMtu - overhead) return undefined;
  return `mtu ${i.mtu} does not fit in its underlay "${i.dev}" (mtu ${underlayMtu}) with VXLAN's ${overhead}-byte overhead: at most ${underlayMtu - overhead}`;
}

/** ifindex, and the MAC and MTU the kernel uses now (the MTU is the underlay's less VXLAN's overhead unless declared). */
export type VxlanOutputs = LinkOutputs;

// ── replacement ─────────────────────────────────────────────────────────────────────────
const replaceOn = KINDS.vxlan.replaceOn;

// ── argv builders ───────────────────────────────────────────────────────────────────────
/** The tunnel settings as the kernel reports them (`ip -d` linkinfo.info_data). */
export interface VxlanSeen {
  vni?: number;
  port?: number;
  local?: string;
  remote?: string;
  group?: string;
  dev?: string;
  learning?: boolean;
  ttl?: number;
}

const normal = (v: unknown) => (typeof v === "string" && ipaddr.isValid(v) ? ipaddr.parse(v).toString() : undefined);

export function vxlanOf(info: Record<string, unknown>): VxlanSeen {
  const ttl = typeof info.ttl === "number" && info.ttl > 0 ? info.ttl : undefined;
  return {
    vni: typeof info.id === "number" ? info.id : undefined,
    port: typeof info.port === "number" ? info.port : undefined,
    local: normal(info.local ?? info.local6),
    remote: normal(info.remote ?? info.remote6),
    group: normal(info.group ?? info.group6),
    dev: typeof info.link === "string" ? info.link : undefined,
    learning: typeof info.learning === "boolean" ? info.learning : undefined,
    ttl,
  };
}

const unspecified = (ip: string | undefined) => (ip !== undefined && family(ip) === "ipv6" ? "::" : "0.0.0.0");

export const argv = {
  add: (i: VxlanInputs) => [
    "link", "add", "name", i.name, "type", "vxlan", "id", String(i.vni),
    ...(i.local !== undefined ? ["local", i.local] : []),
    ...(i.remote !== undefined ? ["remote", i.remote] : []),
    ...(i.group !== undefined ? ["group", i.group] : []),
    "dstport", String(i.port),
    ...(i.dev !== undefined ? ["dev", i.dev] : []),
    i.learning ? "learning" : "nolearning",
    ...(i.ttl !== undefined ? ["ttl", String(i.ttl)] : []),
  ],

  /**
   * The in-place changes from what the kernel has: remote or group, local, the underlay, learning
   * and the TTL (omitted remote, group, local and ttl mean none: they are cleared). An omitted
   * `dev` is left as it is (the kernel cannot unset it).
   */
  change(i: VxlanInputs, info: Record<string, unknown> | undefined): string[][] {
    if (!info) return [];
    const k = vxlanOf(info);
    const set: string[] = [];
    const peer = i.remote ?? i.group;
    if (i.group !== undefined && (k.group !== i.group || (i.dev !== undefined && k.dev !== i.dev))) set.push("group", i.group, "dev", i.dev!);
    else if (i.remote !== undefined && k.remote !== i.remote) set.push("remote", i.remote);
    else if (peer === undefined && (k.remote ?? k.group) !== undefined) set.push("remote", unspecified(k.remote ?? k.group));
    if (i.local !== k.local) set.push("local", i.local ?? unspecified(k.local));
    if (i.dev !== undefined && k.dev !== i.dev && !set.includes("dev")) set.push("dev", i.dev);
    if (i.learning !== k.learning) set.push(i.learning ? "learning" : "nolearning");
    if (i.ttl !== k.ttl) set.push("ttl", i.ttl === undefined ? "auto" : String(i.ttl));
    return set.length ? [["link", "set", "dev", i.name, "type", "vxlan", ...set]] : [];
  },
};

/** What differs between the declared tunnel and the kernel's, in words; undefined if nothing does. */
export function tunnelProblem(i: VxlanInputs, info: Record<string, unknown>): string | undefined {
  const k = vxlanOf(info);
  const wanted: [string, unknown, unknown][] = [
    ["remote", i.remote, k.remote],
    ["group", i.group, k.group],
    ["local", i.local, k.local],
    ["learning", i.learning, k.learning],
    ["ttl", i.ttl, k.ttl],
    ...(i.dev !== undefined ? [["dev", i.dev, k.dev] as [string, unknown, unknown]] : []),
  ];
  const off = wanted.filter(([, want, have]) => want !== have).map(([f, , have]) => `${f} is ${have ?? "none"}`);
  return off.length ? off.join("; ") : undefined;
}

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: VxlanInputs) => ({ kind: "VXLAN interface", name: i.name, netns: i.netns });

const link = (i: VxlanInputs): OwnedLink => ({
  config: i,
  infoKind: "vxlan",
  extra: (current) => argv.change(i, current.info),
  problem: (s) => tunnelProblem(i, s.info),
});

const lifecycle = linkLifecycle<VxlanInputs, VxlanOutputs>(
  {
    subject,
    links: (i) => [link(i)],
    add: (i) => ({ netns: i.netns, argv: argv.add(i), marks: markLine(i.name, i.owner) }),
    // The underlay must exist, and a declared MTU must fit in it with VXLAN's overhead.
    async before(host, i, attempt) {
      if (i.dev === undefined) return;
      const d = await readLink(host, i.dev, i.netns, attempt);
      if (!d) throw goneError(attempt, `its underlay device "${i.dev}" does not exist${i.netns ? ` in netns "${i.netns}"` : ""}`);
      const problem = mtuProblem(i, d.mtu);
      if (problem) throw objectError(attempt, problem, "invalid");
    },
    mismatch(i, _link, s: LinkSeen) {
      const k = vxlanOf(s.info);
      return k.vni === i.vni && k.port === i.port ? undefined : `VXLAN ${k.vni} on port ${k.port}, not VXLAN ${i.vni} on port ${i.port}`;
    },
    // The kernel's values; the underlay only where declared (omitted, it is left as it is).
    observed(i, [c], [s]) {
      const k = vxlanOf(s.info);
      const tunnel = { vni: k.vni ?? i.vni, port: k.port ?? i.port, local: k.local, remote: k.remote, group: k.group, learning: k.learning ?? i.learning, ttl: k.ttl };
      return { ...settingsOf(c), ...tunnel, ...(i.dev !== undefined && { dev: k.dev }) };
    },
  },
  (_i, [s]) => linkOutputs(s),
);

const spec: KindSpec<typeof schema, VxlanOutputs> = {
  kind: KINDS.vxlan.kind,
  schema,
  replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}/${i.name}`,
  ...lifecycle,
};

export const vxlan = handlers(spec);

/**
 * VlanInterface: an 802.1Q (or 802.1ad) sub-interface of a parent link
 * (`ip link add link PARENT name PARENT.ID type vlan id ID`), named as vconfig and Docker name
 * it unless told otherwise. Its MTU cannot exceed its parent's.
 */
import { z } from "zod";
import { failedAt, goneError, objectError } from "./errors";
import { handlers, type KindSpec } from "./kind";
import { aliasFor, deleteOwnLink, linkFields, observedConfig, parseLink, readLink, reconcileArgv, showArgv, verifyApplied, type LinkSeen } from "./link";
import { claimOf, describeOwner, observedOwner, ownerInMark, stillOurs } from "./owner";
import { ipBatch } from "./runner";
import { transaction } from "./undo";
import { ifName, ifNameProblem, ownership } from "./validate";

// ── schema ──────────────────────────────────────────────────────────────────────────────
export const VLAN_PROTOCOLS = ["802.1Q", "802.1ad"] as const;

const vlanId = z
  .number({ error: "invalid vlanId (must be a whole number from 1 to 4094)" })
  .refine((v) => Number.isInteger(v) && v >= 1 && v <= 4094, {
    error: (iss) => `invalid vlanId ${JSON.stringify(iss.input)} (must be a whole number from 1 to 4094: 0 and 4095 are reserved by 802.1Q)`,
  });

/** `PARENT.ID`, as `vconfig add` and Docker name a sub-interface. */
export const defaultName = (parent: string, id: number) => `${parent}.${id}`;

export const schema = z
  .strictObject({
    ...linkFields(),
    name: ifName("name").optional(),
    parent: ifName("parent"),
    vlanId,
    protocol: z.enum(VLAN_PROTOCOLS, { error: (iss) => `invalid protocol ${JSON.stringify(iss.input)} (must be "802.1Q" or "802.1ad")` }).default("802.1Q"),
    ...ownership(),
  })
  .superRefine((v, ctx) => {
    if (v.name !== undefined || ifNameProblem(v.parent)) return; // a bad parent is reported as such
    const name = defaultName(v.parent, v.vlanId);
    const problem = ifNameProblem(name);
    if (problem) {
      const suggestion = `vlan${v.vlanId}`;
      ctx.addIssue({ code: "custom", path: ["name"], message: `invalid name (the default PARENT.ID "${name}" ${problem}: set name, e.g. "${suggestion}")` });
    }
  })
  .overwrite((v) => ({ ...v, name: v.name ?? defaultName(v.parent, v.vlanId) }));
type Parsed = z.output<typeof schema>;
export type VlanInputs = Parsed & { name: string };

export interface VlanOutputs extends Record<string, unknown> {
  ifindex: number;
  actualMac: string;
  actualMtu: number;
}

// ── replacement ─────────────────────────────────────────────────────────────────────────
const replaceOn = ["name", "netns", "parent", "vlanId", "protocol"];

// ── argv builders ───────────────────────────────────────────────────────────────────────
export const argv = {
  add: (i: VlanInputs) => ["link", "add", "link", i.parent, "name", i.name, "type", "vlan", "protocol", i.protocol, "id", String(i.vlanId)],
  lines: (i: VlanInputs, current: Partial<LinkSeen>, previous?: VlanInputs) => reconcileArgv({ ...i, alias: aliasFor(i.owner) }, current, previous),
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const named = (i: Parsed) => i as VlanInputs;
const subject = (i: Parsed) => ({ kind: "VLAN interface", name: named(i).name, netns: i.netns });
const attempt = (verb: string, i: Parsed) => ({ verb, ...subject(i) });

const outputsOf = (s: LinkSeen): VlanOutputs => ({ ifindex: s.ifindex, actualMac: s.mac, actualMtu: s.mtu });

/** The sub-interface's VLAN settings as the kernel reports them (`ip -d`; the parent by name when it is in the same namespace). */
const vlanOf = (s: LinkSeen, i: VlanInputs) => ({
  parent: s.linkName ?? i.parent,
  vlanId: Number(s.info.id),
  protocol: (VLAN_PROTOCOLS as readonly string[]).includes(String(s.info.protocol)) ? (String(s.info.protocol) as VlanInputs["protocol"]) : i.protocol,
});

/** The parent must exist, and a declared MTU must fit under the parent's. */
async function checkParent(i: VlanInputs): Promise<void> {
  const p = await readLink(i.parent, i.netns, attempt("create", i));
  if (!p) throw goneError(attempt("create", i), `its parent "${i.parent}" does not exist${i.netns ? ` in netns "${i.netns}"` : ""}`);
  if (i.mtu !== undefined && i.mtu > p.mtu) {
    throw objectError(attempt("create", i), `mtu ${i.mtu} is above its parent "${i.parent}"'s mtu ${p.mtu} (a VLAN sub-interface cannot exceed its parent)`, "invalid");
  }
}

async function applyAndRead(i: VlanInputs, lines: string[][], verb: string, add?: readonly string[]): Promise<LinkSeen> {
  const printed = await ipBatch([...lines, showArgv(i.name)], { netns: i.netns }, (line) => attempt(line === add ? "create" : verb, i));
  const s = parseLink(printed[0]);
  if (!s) throw goneError(attempt(verb, i), "the VLAN interface vanished while it was being configured");
  verifyApplied({ ...i, alias: aliasFor(i.owner) }, s, attempt(verb, i));
  return s;
}

async function readVlan(i: VlanInputs, verb: string): Promise<LinkSeen | undefined> {
  const s = await readLink(i.name, i.netns, attempt(verb, i));
  return s?.kind === "vlan" && stillOurs(s.alias, i.owner) ? s : undefined;
}

const spec: KindSpec<typeof schema, VlanOutputs> = {
  kind: "VlanInterface",
  schema,
  replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}/${named(i).name}`,

  create: async (p) => {
    const i = named(p);
    await checkParent(i);
    const add = argv.add(i);
    return transaction(async (onFailure) => {
      onFailure(async (e) => failedAt(e, add) || deleteOwnLink(i.name, i.netns, i.owner, undefined, attempt("clean up", i)));
      return outputsOf(await applyAndRead(i, [add, ...argv.lines(i, { addresses: [], up: false })], "configure", add));
    });
  },

  async existing(p) {
    const i = named(p);
    const s = await readLink(i.name, i.netns, attempt("create", i));
    if (!s) return undefined;
    const owner = ownerInMark(s.alias);
    const foreign = owner ? ` (it belongs to ${describeOwner(owner)})` : "";
    if (s.kind !== "vlan") throw objectError(attempt("create", i), `the name is taken by a ${s.kind ?? "link"}, not a VLAN interface${foreign}`, "exists");
    const v = vlanOf(s, i);
    if (v.parent !== i.parent || v.vlanId !== i.vlanId || v.protocol !== i.protocol) {
      throw objectError(attempt("create", i), `the name is taken by VLAN ${v.vlanId} (${v.protocol}) of "${v.parent}", not VLAN ${i.vlanId} (${i.protocol}) of "${i.parent}"${foreign}`, "exists");
    }
    return { claims: [claimOf(s.alias, i.owner)] };
  },

  async read(p) {
    const i = named(p);
    const s = await readVlan(i, "read");
    return s && { inputs: { ...observedConfig(i, s), ...vlanOf(s, i), owner: observedOwner(s.alias, i.owner) }, outs: outputsOf(s) };
  },

  async update(o, n) {
    const i = named(n);
    const s = await readLink(i.name, i.netns, attempt("update", i));
    if (!s || s.kind !== "vlan") throw goneError(attempt("update", i), "the VLAN interface no longer exists (run `pulumi refresh`, then `pulumi up` recreates it)");
    if (!stillOurs(s.alias, o.owner)) throw objectError(attempt("update", i), `the name now belongs to ${describeOwner(ownerInMark(s.alias)!)}; run \`pulumi refresh\``, "exists");
    return outputsOf(await applyAndRead(i, argv.lines(i, s, named(o)), "update"));
  },

  async delete(p) {
    const i = named(p);
    await deleteOwnLink(i.name, i.netns, i.owner, undefined, attempt("delete", i));
  },
};

export const vlan = handlers(spec);

/**
 * VlanInterface: an 802.1Q (or 802.1ad) sub-interface of a parent link
 * (`ip link add link PARENT name PARENT.ID type vlan id ID`), named as vconfig and Docker name
 * it unless told otherwise. Its MTU cannot exceed its parent's.
 */
import { z } from "zod";
import { goneError, objectError } from "../core/errors";
import { handlers, type KindSpec } from "../core/kind";
import { type LinkOutputs, type LinkSeen, linkFields, linkOutputs, readLink } from "../core/link";
import { linkLifecycle, markLine, settingsOf } from "../core/link-engine";
import { ifName, ifNameProblem, ownership } from "../core/validate";
import { KINDS, vlanDefaultName } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
export const VLAN_PROTOCOLS = ["802.1Q", "802.1ad"] as const;

const vlanId = z
  .number({ error: "invalid vlanId (must be a whole number from 1 to 4094)" })
  .refine((v) => Number.isInteger(v) && v >= 1 && v <= 4094, {
    error: (iss) => `invalid vlanId ${JSON.stringify(iss.input)} (must be a whole number from 1 to 4094: 0 and 4095 are reserved by 802.1Q)`,
  });

/** `PARENT.ID`, as `vconfig add` and Docker name a sub-interface (registry.ts, shared with the SDK). */
export const defaultName = vlanDefaultName;

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

/** ifindex, and the MAC and MTU the kernel uses now. */
export type VlanOutputs = LinkOutputs;

// ── argv builders ───────────────────────────────────────────────────────────────────────
export const argv = {
  add: (i: VlanInputs) => ["link", "add", "link", i.parent, "name", i.name, "type", "vlan", "protocol", i.protocol, "id", String(i.vlanId)],
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const named = (i: Parsed) => i as VlanInputs;
const subject = (i: Parsed) => ({ kind: "VLAN interface", name: named(i).name, netns: i.netns });

/** The sub-interface's VLAN settings as the kernel reports them (`ip -d`; the parent by name when it is in the same namespace). */
const vlanOf = (s: LinkSeen, i: VlanInputs) => ({
  parent: s.linkName ?? i.parent,
  vlanId: Number(s.info.id),
  protocol: (VLAN_PROTOCOLS as readonly string[]).includes(String(s.info.protocol)) ? (String(s.info.protocol) as VlanInputs["protocol"]) : i.protocol,
});

const lifecycle = linkLifecycle<VlanInputs, VlanOutputs>(
  {
    subject,
    links: (i) => [{ config: i, infoKind: "vlan" }],
    add: (i) => ({ netns: i.netns, argv: argv.add(i), marks: markLine(i.name, i.owner) }),
    // The parent must exist, and a declared MTU must fit under the parent's.
    async before(host, i, attempt) {
      const p = await readLink(host, i.parent, i.netns, attempt);
      if (!p) throw goneError(attempt, `its parent "${i.parent}" does not exist${i.netns ? ` in netns "${i.netns}"` : ""}`);
      if (i.mtu !== undefined && i.mtu > p.mtu) {
        throw objectError(attempt, `mtu ${i.mtu} is above its parent "${i.parent}"'s mtu ${p.mtu} (a VLAN sub-interface cannot exceed its parent)`, "invalid");
      }
    },
    mismatch(i, _link, s) {
      const v = vlanOf(s, i);
      const same = v.parent === i.parent && v.vlanId === i.vlanId && v.protocol === i.protocol;
      return same ? undefined : `VLAN ${v.vlanId} (${v.protocol}) of "${v.parent}", not VLAN ${i.vlanId} (${i.protocol}) of "${i.parent}"`;
    },
    observed: (i, [c], [s]) => ({ ...settingsOf(c), ...vlanOf(s, i) }),
  },
  (_i, [s]) => linkOutputs(s),
);

const spec: KindSpec<typeof schema, VlanOutputs> = {
  kind: KINDS.vlan.kind,
  schema,
  replaceOn: KINDS.vlan.replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}/${named(i).name}`,
  create: (h, i) => lifecycle.create(h, named(i)),
  existing: (h, i) => lifecycle.existing(h, named(i)),
  read: (h, i) => lifecycle.read(h, named(i)),
  update: (h, o, n) => lifecycle.update(h, named(o), named(n)),
  delete: (h, i) => lifecycle.delete(h, named(i)),
};

export const vlan = handlers(spec);

/**
 * Sysctl: one kernel setting in a namespace (`sysctl -w net.ipv4.ip_forward=1`). Delete puts
 * back the value found before create, if the setting still holds the value the stack set.
 * A setting has no place for a mark, so what was found, and by whom it was changed, is kept
 * in a record under /run (see hosts/records.ts): a second stack setting the same key is refused,
 * and a create retried after a crash still knows the original value.
 */
import { z } from "zod";
import { CommandError, isKind, objectError } from "../core/errors";
import { handlers, type KindSpec } from "../core/kind";
import { describeOwner } from "../core/owner";
import { transaction, type Undo } from "../core/undo";
import type { Host, Target } from "../hosts";
import { bool, netnsName, ownership, type CheckFailure } from "../core/validate";
import { NOT_NET, scopeOf, scopeProblem } from "../core/sysctl-scope";
import { KINDS } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
const KEY_RULE = 'must be a dotted sysctl key like "net.ipv4.ip_forward" (an interface name with dots is written with "/": net.ipv4.conf.enp0s8/100.forwarding)';

const wellFormed = (v: string) => /^[a-z0-9_]+(\.[A-Za-z0-9_@+:\/-]+)+$/.test(v) && !v.split(".").some((s) => s === "/" || s.startsWith("/"));

export const schema = z.strictObject({
  key: z.string({ error: `invalid key (${KEY_RULE})` }).refine(wellFormed, {
    error: (iss) => `invalid key ${JSON.stringify(iss.input)} (${KEY_RULE})`,
  }),
  value: z
    .union([z.string(), z.number()], { error: "invalid value (must be a string or a number)" })
    .refine((v) => !/[\r\n]/.test(String(v)), { error: (iss) => `invalid value ${JSON.stringify(iss.input)} (must not hold a newline: a setting's value is one line)` })
    .transform((v) => String(v).trim().split(/\s+/).join(" "))
    .refine((v) => v.length > 0 && !/[\n=]/.test(v), { error: (iss) => `invalid value ${JSON.stringify(iss.input)} (must not be empty, or hold "=" or a newline)` }),
  netns: netnsName("netns").optional(),
  // optional, not default(false): a state from before it has none, and must not diff as changed
  hostWide: bool("hostWide").optional(),
  ...ownership(),
}).superRefine((v, ctx) => {
  if (wellFormed(v.key) && !v.key.startsWith("net.") && !v.hostWide) ctx.addIssue({ code: "custom", path: ["key"], message: `invalid key ${JSON.stringify(v.key)} (${NOT_NET}; ${HOST_WIDE})` });
  if (v.hostWide && v.netns !== undefined) {
    ctx.addIssue({ code: "custom", path: ["hostWide"], message: `invalid hostWide true with netns ${JSON.stringify(v.netns)} (a host-wide setting is set from the namespace pulumi runs in, where it is plain to see that it changes the whole machine: remove netns)` });
  }
});
/** How to ask for a setting that is not per network namespace. */
const HOST_WIDE = "to change it for the whole machine anyway, set hostWide: true, without netns";
export type SysctlInputs = z.output<typeof schema>;

export interface SysctlOutputs extends Record<string, unknown> {
  /** The value the setting had before this resource set it: what delete puts back. */
  found: string;
}

interface SysctlRecord {
  owner?: string;
  found: string;
  /** The value the resource set: what tells, once its state is lost, whether the setting still holds it. */
  value?: string;
}


// ── argv builders ───────────────────────────────────────────────────────────────────────
export const argv = {
  read: (key: string) => ["sysctl", "-n", key],
  write: (key: string, value: string) => ["sysctl", "-q", "-w", `${key}=${value}`],
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: SysctlInputs) => ({ kind: "sysctl", name: i.key, netns: i.netns });
const attempt = (verb: string, i: SysctlInputs) => ({ verb, ...subject(i) });
const target = (i: SysctlInputs): Target => ({ netns: i.netns });
const normalize = (v: string) => v.trim().split(/\s+/).join(" ");

/** The setting's value now, or undefined if the kernel has no such setting there (or no such namespace). */
async function current(host: Host, i: SysctlInputs, verb: string): Promise<string | undefined> {
  if (i.netns !== undefined) {
    if (!(await host.netnsExists(i.netns))) return undefined;
  }
  try {
    return normalize((await host.exec(argv.read(i.key), target(i), attempt(verb, i))).stdout);
  } catch (e) {
    if (isKind(e, "not-found")) return undefined;
    throw e;
  }
}

/** The value now, where the setting must exist (create, update): its absence is one clear line. */
async function existing(host: Host, i: SysctlInputs, verb: string): Promise<string> {
  const v = await current(host, i, verb);
  if (v !== undefined) return v;
  const where = i.netns ? ` in netns "${i.netns}"` : "";
  if (i.netns !== undefined && !(await host.netnsExists(i.netns))) throw objectError(attempt(verb, i), `the namespace "${i.netns}" does not exist`, "not-found");
  throw objectError(attempt(verb, i), `the kernel has no such setting${where} (/proc/sys/${i.key.split(".").join("/")} does not exist)`, "invalid");
}

async function set(host: Host, i: SysctlInputs, value: string, verb: string): Promise<void> {
  await host.exec(argv.write(i.key, value), target(i), attempt(verb, i));
  const now = await existing(host, i, verb);
  if (now !== value) throw objectError(attempt(verb, i), `the kernel did not apply it: the value is "${now}", wanted "${value}"`);
}

/** Refuses a record made by another owner. */
function refuseOthers(r: SysctlRecord | undefined, i: SysctlInputs, verb: string): void {
  if (r && r.owner !== undefined && i.owner !== undefined && r.owner !== i.owner) {
    throw objectError(attempt(verb, i), `it is set by ${describeOwner(r.owner)}; one setting has one owner: remove it from there first`, "exists");
  }
}

/**
 * Takes the setting, as one step on the record: refuses another owner's, and records what was
 * found (`found`, else a record of our own keeps what an interrupted create found, else the
 * value now) before the value changes; undone with the step (`onFailure`) that fails.
 */
function claim(host: Host, i: SysctlInputs, verb: string, found: string | undefined, onFailure: (undo: Undo) => void): Promise<{ found: string; now: string }> {
  return host.records.change<SysctlRecord, { found: string; now: string }>(
    target(i),
    "sysctl",
    i.key,
    async (r) => {
      refuseOthers(r, i, verb);
      const now = await existing(host, i, verb);
      const kept = found ?? (r && (verb === "update" || r.owner === i.owner) ? r.found : now);
      return { record: { owner: i.owner, found: kept, value: i.value }, result: { found: kept, now } };
    },
    { onFailure },
  );
}

/** Keys that name an interface (net.ipv4.conf.eth0.forwarding) exist only once the interface does. */
const namesInterface = (key: string) => {
  const parts = key.split(".");
  const at = parts.findIndex((p) => p === "conf" || p === "neigh");
  return at >= 0 && parts[at + 1] !== undefined && parts[at + 1] !== "all" && parts[at + 1] !== "default";
};

const spec: KindSpec<typeof schema, SysctlOutputs> = {
  kind: KINDS.sysctl.kind,
  schema,
  replaceOn: KINDS.sysctl.replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}/${i.key}`,

  /**
   * At preview: the key must exist in the target namespace, or — if that namespace is not
   * made yet — in the provider's own, unless it names an interface that may not exist yet;
   * and a net.* key must be per network namespace (sysctl-scope.ts), unless `hostWide`.
   */
  async checkKernel(host, i): Promise<CheckFailure[]> {
    const nsExists = i.netns === undefined || (await host.netnsExists(i.netns));
    if (!nsExists && namesInterface(i.key)) return [];
    const where = nsExists ? i : { ...i, netns: undefined };
    try {
      await existing(host, where, "check");
      const problem = i.hostWide || !i.key.startsWith("net.") ? undefined : scopeProblem(await scopeOf(host, i.key));
      return problem ? [{ property: "key", reason: `invalid key ${JSON.stringify(i.key)} (${problem}; ${HOST_WIDE})` }] : [];
    } catch (e) {
      const said = e instanceof CommandError && e.kind === "invalid" ? e.message.replace(/^failed to check sysctl "[^"]*"(?: in netns "[^"]*")?: /, "") : undefined;
      return said ? [{ property: "key", reason: `invalid key ${JSON.stringify(i.key)} (${said})` }] : [];
    }
  },

  // The record first, then the value; a failed set takes the record back with it.
  create: (host, i) =>
    transaction(async (onFailure) => {
      const { found, now } = await claim(host, i, "create", undefined, onFailure);
      if (now !== i.value) await set(host, i, i.value, "create");
      return { found };
    }),

  async existing() {
    return undefined; // a setting always exists: create never meets "File exists"
  },

  // A setting gone (its namespace or interface is) reads as gone.
  async read(host, i, state) {
    const value = await current(host, i, "read");
    if (value === undefined) return undefined;
    const record = await host.readRecord<SysctlRecord>(target(i), "sysctl", i.key);
    if (record?.owner !== undefined && i.owner !== undefined && record.owner !== i.owner) return undefined; // another owner's now
    return { inputs: { ...i, value }, outs: { found: state.found ?? record?.found ?? value } };
  },

  update: (host, _o, n, state) =>
    transaction(async (onFailure) => {
      const { found, now } = await claim(host, n, "update", state.found, onFailure);
      if (now !== n.value) await set(host, n, n.value, "update");
      return { found };
    }),

  // Puts back what was found, if the setting still holds what the stack set (a value changed
  // by hand since is left as it is); a namespace gone already took the setting with it. The
  // record goes only once the value is back: a failed restore keeps what to restore.
  delete: (host, i, state) =>
    host.records.change<SysctlRecord>(target(i), "sysctl", i.key, async (record) => {
      if (record?.owner !== undefined && i.owner !== undefined && record.owner !== i.owner) return { keep: true };
      const found = state.found ?? record?.found;
      const now = await current(host, i, "delete");
      if (now === undefined) return { keep: true }; // gone with its namespace or interface: nothing to put back
      if (found !== undefined && now === i.value && now !== found) await set(host, i, found, "delete");
      return { record: undefined };
    }),
};

export const sysctl = handlers(spec);

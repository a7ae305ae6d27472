/**
 * Input rules shared by every kind, and the bridge from zod issues to Pulumi check failures.
 * Every message reads `invalid <field> <value> (must …)`, so the user sees field, value and rule.
 */
import { type Stats, statSync } from "node:fs";
import { z } from "zod";
import { OWNER_PATTERN } from "./owner";

/** Pulumi's placeholder for a value not known until apply (preview of a new dependency). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface CheckFailure {
  property: string;
  reason: string;
}

const show = (v: unknown) => JSON.stringify(v);

/** The rule broken by a name, or undefined. `max` in bytes, as the kernel counts. */
function nameProblem(v: string, max: number, what: string): string | undefined {
  if (v.length === 0) return "must not be empty";
  if (Buffer.byteLength(v) > max) return `must be at most ${max} bytes, ${what}; it has ${Buffer.byteLength(v)}`;
  if (v.includes("/")) return `must not contain "/"`;
  if (/\s/.test(v)) return "must not contain whitespace";
  if (v.includes(":")) return `must not contain ":"`;
  if (v === "." || v === "..") return `must not be "." or ".."`;
  if (v.startsWith("-")) return `must not start with "-"`;
  if (!/^[A-Za-z0-9_.+@-]+$/.test(v)) return "may contain only letters, digits and _ . + @ -";
  return undefined;
}

function named(field: string, max: number, what: string, extra?: (v: string) => string | undefined) {
  return z.string({ error: `invalid ${field} (must be a string)` }).superRefine((v, ctx) => {
    const problem = nameProblem(v, max, what) ?? extra?.(v);
    if (problem) ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (${problem})` });
  });
}

/** Names every namespace already has, or the kernel keeps for itself. */
function reservedIfName(v: string): string | undefined {
  if (v === "all" || v === "default") return `must not be "${v}": the kernel keeps it for /proc/sys/net/*/conf/${v}`;
  if (v === "lo") return `must not be "lo": every namespace has its own loopback interface by that name`;
  return undefined;
}

/** The rule an interface name breaks, or undefined. */
export const ifNameProblem = (v: string) => nameProblem(v, 15, "the kernel's IFNAMSIZ limit") ?? reservedIfName(v);

/** A network interface name: at most 15 bytes (IFNAMSIZ - 1), not one the kernel reserves. */
export const ifName = (field = "name") => named(field, 15, "the kernel's IFNAMSIZ limit", reservedIfName);

/**
 * A named network namespace: a file under /run/netns. Not all digits: where no such file
 * exists, iproute2 reads `netns 1` as a process id, which would put a link into PID 1's
 * namespace (the machine's own).
 */
export const netnsName = (field = "netns") =>
  named(field, 255, "a file name under /run/netns", (v) => (/^\d+$/.test(v) ? "must not be all digits: iproute2 would read it as a process id" : undefined));

export const bool = (field: string) => z.boolean({ error: `invalid ${field} (must be true or false)` });

/** A host name or address ssh can take (no options, no spaces, no user part). */
const HOST = /^(?!-)[A-Za-z0-9_.:\[\]%-]{1,253}$/;
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/**
 * A file on the machine running pulumi that ssh is pointed at. Absolute (ssh would expand `~`
 * and `%` tokens), no whitespace (UserKnownHostsFile takes several files split at spaces), and
 * there, of the right type: a typo must fail at preview, not read later as "host key does not
 * match" or "authentication refused".
 */
function localPath(field: string, what: string, fits: (st: Stats) => boolean) {
  const rule = `must be the absolute path of ${what} on the machine running pulumi, without whitespace or %`;
  return z.string({ error: `invalid ${field} (${rule})` }).superRefine((v, ctx) => {
    let problem: string | undefined;
    if (!v.startsWith("/") || /[\s%\0]/.test(v) || /[\x00-\x1f]/.test(v)) problem = rule;
    else {
      const st = statSync(v, { throwIfNoEntry: false });
      if (!st) problem = `must be ${what} that exists on the machine running pulumi: there is no such file`;
      else if (!fits(st)) problem = `must be ${what}: that is not one`;
    }
    if (problem) ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (${problem})` });
  });
}

/** Where the resource's kernel objects are: another machine over SSH (omitted: the provider's own). */
export const connection = () =>
  z
    .strictObject({
      host: z.string({ error: "invalid connection.host (must be a host name or address)" }).refine((v) => HOST.test(v), {
        error: (iss) => `invalid connection.host ${show(iss.input)} (must be a host name or address, not starting with "-")`,
      }),
      port: z
        .number({ error: "invalid connection.port (must be a whole number from 1 to 65535)" })
        .refine((v) => Number.isInteger(v) && v >= 1 && v <= 65535, { error: (iss) => `invalid connection.port ${show(iss.input)} (must be a whole number from 1 to 65535)` })
        .default(22),
      user: z.string({ error: "invalid connection.user (must be a string)" }).refine((v) => USER.test(v), {
        error: (iss) => `invalid connection.user ${show(iss.input)} (must be a user name like root or deploy)`,
      }).default("root"),
      privateKey: z.string({ error: "invalid connection.privateKey (must be the key's text)" }).optional(),
      agentSocket: localPath("connection.agentSocket", "an ssh-agent socket", (st) => st.isSocket()).optional(),
      hostKey: z.string({ error: "invalid connection.hostKey (must be a public key like ssh-ed25519 AAAA…)" }).refine((v) => /^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/=]+$/.test(v.trim()), {
        error: "invalid connection.hostKey (must be a public key as known_hosts has it after the host: ssh-ed25519 AAAA…)",
      }).optional(),
      knownHosts: localPath("connection.knownHosts", "a known_hosts file", (st) => st.isFile()).optional(),
      insecureIgnoreHostKey: bool("connection.insecureIgnoreHostKey").default(false),
      sshConfig: bool("connection.sshConfig").default(false),
    })
    .optional();

/**
 * The fields every kind has: `owner` (set by the SDK: the mark its kernel objects carry),
 * `adopt` (take over an existing unmarked object instead of failing) and `connection` (the
 * host its objects live on).
 */
export function ownership() {
  return {
    connection: connection(),
    owner: z
      .string({ error: "invalid owner (must be a string)" })
      .regex(OWNER_PATTERN, { error: (iss) => `invalid owner ${show(iss.input)} (must be project/stack/Kind/name, each part percent-encoded, as the SDK sets it)` })
      .optional(),
    adopt: bool("adopt").default(false),
  };
}

/** True when `value` at `path` inside `inputs` is (or sits inside) the preview's unknown placeholder. */
function isUnknownAt(inputs: unknown, path: readonly PropertyKey[]): boolean {
  let cur: unknown = inputs;
  if (cur === UNKNOWN) return true;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return false;
    cur = (cur as Record<PropertyKey, unknown>)[key];
    if (cur === UNKNOWN) return true;
  }
  return false;
}

export interface Checked<T> {
  inputs?: T;
  failures: CheckFailure[];
}

/**
 * Validates inputs against a kind's schema. Values still unknown at preview are let through
 * untouched (they are checked again at apply, when known). Returns normalized inputs with
 * defaults filled in, or the failures, one per bad field.
 */
export function checkWith<S extends z.ZodObject>(schema: S, news: Record<string, unknown>): Checked<z.output<S>> {
  const { __provider: _ignored, ...inputs } = news;
  const parsed = schema.safeParse(inputs);
  if (parsed.success) return { inputs: parsed.data, failures: [] };
  const failures: CheckFailure[] = [];
  for (const issue of parsed.error.issues) {
    if (isUnknownAt(inputs, issue.path)) continue;
    if (issue.code === "unrecognized_keys") {
      // `owner` is set by the SDK, not written by users: not suggested.
      const known = Object.keys((unwrapAt(schema, issue.path) as z.ZodObject | undefined)?.shape ?? {}).filter((k) => k !== "owner");
      for (const key of issue.keys) {
        failures.push({ property: propertyPath([...issue.path, key]), reason: `unknown field ${show(key)} (must be one of ${known.map(show).join(", ")})` });
      }
      continue;
    }
    failures.push({ property: propertyPath(issue.path) || "(inputs)", reason: issue.message });
  }
  if (failures.length) return { failures };
  // Only unknown values failed: validate and normalize everything known (filling defaults,
  // also inside nested objects) and pass the unknown leaves through; checked whole at apply.
  return { inputs: known(schema, inputs) as z.output<S>, failures: [] };
}

/** A path as Pulumi spells property paths: `end.name`, `addresses[0]`. */
export function propertyPath(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : `${i ? "." : ""}${String(k)}`)).join("");
}

/** The object schema at a path of nested objects, if there is one. */
function unwrapAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let cur: z.ZodType | undefined = unwrap(schema);
  for (const key of path) {
    cur = cur instanceof z.ZodObject ? (cur.shape as Record<string, z.ZodType>)[String(key)] : undefined;
    if (cur) cur = unwrap(cur);
  }
  return cur;
}

/** The schema inside optional/default/nullable wrappers. */
export function unwrap(t: z.ZodType): z.ZodType {
  const inner = (t.def as { innerType?: z.ZodType }).innerType;
  return inner ? unwrap(inner) : t;
}

/** What parses is normalized (defaults filled); what does not is kept as given. */
export const leniently = (schema: z.ZodObject, value: Record<string, unknown>) => known(schema, value);

/** Parses what can be parsed; unknown placeholders (and what contains them) stay as given. */
function known(field: z.ZodType, value: unknown): unknown {
  if (value === UNKNOWN) return value;
  const parsed = field.safeParse(value);
  if (parsed.success) return parsed.data;
  const inner = unwrap(field);
  if (inner instanceof z.ZodObject && value && typeof value === "object" && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
      const v = known(f, (value as Record<string, unknown>)[k]);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (inner instanceof z.ZodArray && Array.isArray(value)) return value.map((v) => known(inner.element as z.ZodType, v));
  return value;
}

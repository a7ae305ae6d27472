/**
 * Property values as Pulumi prints them: secrets (the string "[secret]" in
 * `pulumi preview --json`, a signed object in `pulumi stack export`, with or without
 * `--show-secrets`) and values unknown until `up`. Every value the command prints goes
 * through `text`, so a secret is never printed, whatever its shape.
 */

export type Props = Record<string, unknown>;

/** The engine's stand-in for a value known only after `up`. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The key and value that mark a secret in exported state (Pulumi's `specialSigKey`/`specialSecretSig`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** How a secret is shown, wherever it is. */
export const SECRET_TEXT = "[secret]";
export const UNKNOWN_TEXT = "(known after up)";
export const UNSET_TEXT = "(unset)";

const isObject = (v: unknown): v is Props => typeof v === "object" && v !== null && !Array.isArray(v);

export function isSecret(v: unknown): boolean {
  return v === SECRET_TEXT || (isObject(v) && v[SIG_KEY] === SECRET_SIG);
}

export const isUnknown = (v: unknown): boolean => v === UNKNOWN;

/** A secret's value as `pulumi stack export --show-secrets` gives it (`plaintext`, JSON-encoded); anything else as it is. */
export function revealed(v: unknown): unknown {
  if (!isObject(v) || v[SIG_KEY] !== SECRET_SIG || typeof v.plaintext !== "string") return v;
  try {
    return JSON.parse(v.plaintext);
  } catch {
    return v.plaintext;
  }
}

/** A value with every secret in it revealed, at any depth (a connection whose privateKey alone is secret). */
export function revealedAll(v: unknown): unknown {
  const r = revealed(v);
  if (Array.isArray(r)) return r.map(revealedAll);
  if (isObject(r)) return Object.fromEntries(Object.entries(r).map(([k, x]) => [k, revealedAll(x)]));
  return r;
}

/** Path segments of "end.addresses[0]": ["end", "addresses", 0]. */
export function segments(path: string): Array<string | number> {
  return path
    .split(/\.|(?=\[)/)
    .filter(Boolean)
    .map((s) => (/^\[\d+\]$/.test(s) ? Number(s.slice(1, -1)) : s.replace(/^\["?|"?\]$/g, "")));
}

/** The path without list indexes: "end.addresses[0]" → "end.addresses". */
export const withoutIndexes = (path: string): string => path.replace(/\[\d+\]/g, "");

/** The value at a path; a secret or unknown value on the way is the answer itself. */
export function at(props: unknown, path: string): unknown {
  let cur = props;
  for (const s of segments(path)) {
    if (isSecret(cur) || isUnknown(cur)) return cur;
    if (typeof s === "number") cur = Array.isArray(cur) ? cur[s] : undefined;
    else cur = isObject(cur) ? cur[s] : undefined;
  }
  return cur;
}

/** A plain string at a path (a name, a namespace), or undefined for anything else. */
export function str(props: unknown, path: string): string | undefined {
  const v = at(props, path);
  if (isSecret(v)) return SECRET_TEXT;
  if (isUnknown(v)) return UNKNOWN_TEXT;
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
}

/** A list of plain values at a path, each shown by `text` (a secret list is one "[secret]"). */
export function list(props: unknown, path: string): string[] {
  const v = at(props, path);
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.map(text) : [text(v)];
}

/** Any value as one line of text, secrets and unknowns masked at every depth. */
export function text(v: unknown): string {
  if (isSecret(v)) return SECRET_TEXT;
  if (isUnknown(v)) return UNKNOWN_TEXT;
  if (v === undefined || v === null) return UNSET_TEXT;
  if (Array.isArray(v)) return v.length ? v.map(text).join(", ") : "none";
  if (isObject(v)) {
    const entries = Object.entries(v).filter(([k, x]) => k !== "__provider" && x !== undefined);
    return `{${entries.map(([k, x]) => `${k}: ${text(x)}`).join(", ")}}`;
  }
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Same value? (Key order does not matter; secrets compare by their text, so two secrets are never "different" here.) */
export function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (isSecret(v)) return SECRET_TEXT;
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * Dotted paths of the leaves that differ between two property sets (lists count as one
 * leaf: their elements are shown together). For steps where the engine gave no detailed diff.
 */
export function differingPaths(olds: unknown, news: unknown, prefix = ""): string[] {
  if (isObject(olds) && isObject(news) && !isSecret(olds) && !isSecret(news)) {
    const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => k !== "__provider").sort();
    return keys.flatMap((k) => differingPaths(olds[k], news[k], prefix ? `${prefix}.${k}` : k));
  }
  return same(olds, news) ? [] : [prefix];
}

/**
 * `pulumi-linuxnet preview-summary`: a `pulumi preview --json` as Markdown for a
 * pull-request comment — counts by operation, a warning for everything deleted, and one
 * row per resource to create, update, replace or delete with its kind, name, namespace and
 * what changes (old → new) or why it is replaced. Fits GitHub's comment limit.
 */
import { changes, replacementReasons } from "./changes";
import { byKindAndName, entryFor } from "./kinds";
import { code, escapeText, fit, GITHUB_COMMENT_LIMIT, plural, row } from "./markdown";
import type { Op, Resource } from "./resources";

export interface SummaryOptions {
  /** The heading (default: "Network changes"). */
  title?: string;
  /** Longest result in characters (default: GitHub's comment limit). */
  maxLength?: number;
  /** Resources left as they are (default: those listed as "same"; see `unchangedIn`). */
  unchanged?: number;
  /** Lines to end with, always kept (the Reachability section, see reach/review.ts). */
  tail?: string[];
}

const MARK: Record<Op, string> = { create: "🟢 create", update: "🔵 update", replace: "🟠 replace", delete: "🔴 delete", same: "same" };
/** Rows most in need of a reviewer's eye first. */
const ORDER: Op[] = ["delete", "replace", "update", "create"];
const MAX_DELETE_WARNINGS = 20;

const namespaces = (r: Resource) =>
  entryFor(r.kind)
    .netns(r.props)
    .map((n) => (n ? code(n) : "pulumi's own"))
    .join(" ⟷ ");

function changeCell(r: Resource, all: ReadonlyMap<string, Resource>): string {
  const entry = entryFor(r.kind);
  if (r.op === "create") return escapeText(entry.describe(r.props, r.name));
  if (r.op === "delete") return escapeText(entry.describe(r.olds ?? r.props, r.name));
  const lines = changes(r).map((c) => `${code(c.path)}: ${code(c.old)} → ${code(c.new)}`);
  if (r.op === "replace") lines.push(...replacementReasons(r, all).map((why) => `**replaced because** ${escapeText(why)}`));
  return lines.join("<br>") || "(no property differs)";
}

/** The Markdown for a planned preview's resources. */
export function summarize(resources: readonly Resource[], options: SummaryOptions = {}): string {
  const all = new Map(resources.map((r) => [r.urn, r]));
  const count = (op: Op) => (op === "same" && options.unchanged !== undefined ? options.unchanged : resources.filter((r) => r.op === op).length);
  const head = [`### ${escapeText(options.title ?? "Network changes")}`, ""];
  const changed = ORDER.flatMap((op) => resources.filter((r) => r.op === op).sort(byKindAndName));
  if (!changed.length) return [...head, `**No changes.** ${plural(count("same"), "resource")} unchanged.`].join("\n");

  const counts = ORDER.filter((op) => count(op)).map((op) => `${MARK[op].split(" ")[0]} ${count(op)} to ${op}`);
  head.push(`**Plan:** ${[...counts, ...(count("same") ? [`${count("same")} unchanged`] : [])].join(" · ")}`, "");

  const deleted = changed.filter((r) => r.op === "delete");
  const warnings = deleted.slice(0, MAX_DELETE_WARNINGS).map((r) => {
    const gone = entryFor(r.kind).onDelete;
    return `> ⚠️ **deletes** ${escapeText(r.kind)} ${code(r.name)}: ${escapeText(entryFor(r.kind).describe(r.olds ?? r.props, r.name))}${gone ? `, ${gone}` : ""}`;
  });
  if (deleted.length > MAX_DELETE_WARNINGS) warnings.push(`> ⚠️ … and ${plural(deleted.length - MAX_DELETE_WARNINGS, "more delete")}`);
  const replaced = count("replace");
  if (replaced) warnings.push(`> ⚠️ ${plural(replaced, "replacement")} delete${replaced === 1 ? "s" : ""} the old object before making the new one: traffic through it stops meanwhile`);
  if (warnings.length) head.push(...warnings.flatMap((w) => [w, ">"]).slice(0, -1), "");

  head.push(row(["", "Kind", "Resource", "Namespace", "Changes"]), row(["---", "---", "---", "---", "---"]));
  const rows = changed.map((r) => row([MARK[r.op], escapeText(r.kind), code(r.name), namespaces(r), changeCell(r, all)]));
  const more = (n: number) => `\n… and ${plural(n, "more resource")} not shown: a comment holds at most ${GITHUB_COMMENT_LIMIT.toLocaleString("en-US")} characters`;
  const tail = options.tail?.length ? ["", ...options.tail] : [];
  return fit(head, rows, tail, options.maxLength ?? GITHUB_COMMENT_LIMIT, more);
}

/**
 * `pulumi-linuxnet reachability` in Markdown: the model's matrix (model/matrix.ts) as a table, with the
 * reason for each pair that does not answer.
 */
import { type Answer, counts, type Matrix, type Prediction } from "../../model";
import { code, escapeText, plural, row } from "../markdown";

const MARK: Record<Answer, string> = { reachable: "✅", unreachable: "❌", unknown: "❔" };
const cell = (p: Prediction) => (p.answer === "reachable" ? `${MARK.reachable} ${p.ttl}${p.loss ? ` (loss ${p.loss}%)` : ""}` : MARK[p.answer]);

export function matrixMarkdown(x: Matrix): string {
  const all = [...x.pairs, ...x.linkLocal];
  const c = counts(all);
  const lines = [
    "### Reachability",
    "",
    `Predicted from the stack's resources, no kernel involved: ${plural(all.length, "pair")}, ${c.reachable} reachable, ${c.unreachable} unreachable, ${c.unknown} unknown. ${MARK.reachable} reachable (the reply's TTL; IPv6: its hop limit) · ${MARK.unreachable} unreachable · ${MARK.unknown} unknown.`,
    x.ownFresh ? "pulumi's own namespace is taken as a new one holding only what the stack declares (--own-netns fresh)." : "",
    "",
    ...(x.to.length
      ? [row(["from \\ to", ...x.to.map(code)]), row(["---", ...x.to.map(() => "---")]), ...x.from.map((f, k) => row([code(f), ...x.pairs.slice(k * x.to.length, (k + 1) * x.to.length).map(cell)]))]
      : ["The stack has no address of the family asked for."]),
  ].filter((l, k, ls) => l !== "" || ls[k - 1] !== "");
  if (x.linkLocal.length) {
    lines.push("", "Link-local, each namespace to its neighbours' addresses on its own links:", "");
    for (const p of x.linkLocal) lines.push(`- ${code(p.from)} → ${code(p.to)}: ${cell(p)}`);
  }
  const single = all.length === 1;
  const why = all.filter((p) => single || p.answer !== "reachable");
  if (why.length) lines.push("", single ? "**Why:**" : "**Why not:**", "");
  for (const p of why) {
    lines.push(`- ${code(p.from)} → ${code(p.to)}: ${MARK[p.answer]} ${p.answer}${p.ttl ? ` (TTL ${p.ttl})` : ""}: ${escapeText(p.reason)}`);
    if (single) lines.push(...p.path.map((h) => `  - ${escapeText(h)}`));
  }
  return `${lines.join("\n")}\n`;
}


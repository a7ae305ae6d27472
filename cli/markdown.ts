/**
 * GitHub-flavoured Markdown pieces for the pull-request comment: escaped table cells, code
 * spans, and fitting a document into GitHub's comment limit.
 */

/** GitHub refuses comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** One cell never takes more than this (a stack with a thousand addresses on one link). */
const CELL_LIMIT = 4_000;

/** Plain text in a table cell: no HTML, no column breaks, no line breaks. */
export function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A value as a code span that is safe inside a table cell. */
export function code(s: string): string {
  return `\`${s.replace(/`/g, "'").replace(/\|/g, "\\|").replace(/\r?\n/g, " ")}\``;
}

/** One table row; cells are already escaped, and cut if very long. */
export function row(cells: readonly string[]): string {
  return `| ${cells.map((c) => (c.length > CELL_LIMIT ? `${c.slice(0, CELL_LIMIT)}…` : c)).join(" | ")} |`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Lines in order, each kept while the whole stays within `max` characters (newlines
 * counted). `items` are the lines that may be left out, from the end: what does not fit is
 * counted in the `more(n)` line, which is always given room. `head` and `tail` are kept.
 */
export function fit(head: readonly string[], items: readonly string[], tail: readonly string[], max: number, more: (n: number) => string): string {
  const size = (lines: readonly string[]) => lines.reduce((n, l) => n + l.length + 1, 0);
  const fixed = size(head) + size(tail);
  if (fixed + size(items) <= max) return [...head, ...items, ...tail].join("\n");
  const room = max - fixed - (more(items.length).length + 1);
  const kept: string[] = [];
  let used = 0;
  for (const l of items) {
    if (used + l.length + 1 > room) break;
    kept.push(l);
    used += l.length + 1;
  }
  return [...head, ...kept, ...tail, more(items.length - kept.length)].join("\n");
}

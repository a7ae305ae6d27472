/**
 * The troubleshooting page quotes the one-line errors a user can meet, each with the tests that
 * produce and compare it (an HTML comment after the quote). Every quoted line must be found,
 * piece by piece (the parts between "…" that the page leaves out), in the text of one of the
 * tests it names: a message reworded in the code and its test, but not on the page, fails here.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..", "..");
const PAGE = join(ROOT, "docs", "troubleshooting.md");

interface Quoted {
  line: number;
  text: string;
  tests: string[];
}

/** The table rows that quote an error: `| `error` <!-- test/a.test.ts, test/b.test.ts --> | what to do |`. */
export function quotedErrors(markdown: string): Quoted[] {
  const out: Quoted[] = [];
  for (const [k, row] of markdown.split("\n").entries()) {
    const m = /^\| (``?)\s?(.+?)\s?\1 <!-- (.+?) --> \|/.exec(row);
    if (!m) continue;
    out.push({ line: k + 1, text: m[2], tests: m[3].split(/[,;]\s*/).map((t) => t.trim()).filter(Boolean) });
  }
  return out;
}

/**
 * A test file's text as the messages it builds would read: string pieces joined, `${NAME}` of a
 * string constant of the file replaced by its text, escapes dropped.
 */
export function asWritten(source: string): string {
  const joined = source.replace(/(["'`])\s*\+\s*\n\s*(["'`])/g, ""); // "a " +\n "b" → "a b"
  const constants = new Map<string, string>();
  for (const m of joined.matchAll(/^const ([A-Z_][A-Z0-9_]*) =\s*(["'`])((?:\\.|(?!\2).)*)\2;/gm)) constants.set(m[1], m[3]);
  return joined.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (all, name: string) => constants.get(name) ?? all).replace(/\\\\/g, "\\").replace(/\\(.)/g, "$1"); // a RegExp's \\( in a template, \` \( → the character
}

/** The pieces of a quoted line that must appear as they are (those long enough to mean something). */
export const pieces = (text: string) =>
  text
    .split("…")
    .map((p) => p.trim())
    .filter((p) => p.length >= 12);

describe("the troubleshooting page", () => {
  const quoted = quotedErrors(readFileSync(PAGE, "utf8"));

  it("quotes errors, each naming at least one test that exists", () => {
    expect(quoted.length).toBeGreaterThanOrEqual(40);
    const missing = quoted.flatMap((q) => q.tests.filter((t) => !existsSync(join(ROOT, t))).map((t) => `line ${q.line}: ${t}`));
    expect(missing).toEqual([]);
  });

  it("quotes each error as one of its tests has it", () => {
    const texts = new Map<string, string>();
    const read = (t: string) => texts.get(t) ?? (texts.set(t, asWritten(readFileSync(join(ROOT, t), "utf8"))), texts.get(t)!);
    const wrong: string[] = [];
    let compared = 0;
    for (const q of quoted) {
      const sources = q.tests.filter((t) => existsSync(join(ROOT, t))).map(read);
      for (const piece of pieces(q.text)) {
        compared++;
        if (!sources.some((s) => s.includes(piece))) wrong.push(`line ${q.line}: ${JSON.stringify(piece)} is in none of ${q.tests.join(", ")}`);
      }
    }
    process.stdout.write(`troubleshooting: ${compared} pieces of ${quoted.length} quoted errors compared with their tests\n`);
    expect(compared).toBeGreaterThanOrEqual(quoted.length);
    expect(wrong).toEqual([]);
  });

  it("catches a quote its tests do not have (a planted one)", () => {
    const planted = quotedErrors("| `failed to frobnicate bridge \"x\": the flux capacitor is missing` <!-- test/unit/docs-errors.test.ts --> | — |");
    const source = asWritten(readFileSync(join(ROOT, "test/unit/docs-errors.test.ts"), "utf8").replace(/planted = .*\n/, ""));
    expect(pieces(planted[0].text).every((p) => source.includes(p))).toBe(false);
  });
});

/**
 * What the docs tests read in Markdown: fenced code blocks, links and GitHub's heading
 * anchors. Plain functions over text, so the tests can also show that each check fails on a
 * planted bad snippet or link.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export const ROOT = join(__dirname, "..", "..", "..");

export interface Block {
  /** The info string after the opening fence: "ts", "ts fragment", "sh", … */
  info: string;
  text: string;
  /** 1-based line of the block's first line of code. */
  line: number;
}

/** Fenced code blocks (``` only, as the docs use), with where each starts. */
export function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(.*)$/.exec(lines[i]);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) body.push(lines[j++]);
    blocks.push({ info: open[2].trim(), text: body.map((l) => l.slice(open[1].length)).join("\n") + "\n", line: i + 2 });
    i = j;
  }
  return blocks;
}

/** Whether a block is TypeScript, and whether it says it is a fragment. */
export function tsKind(info: string): "program" | "fragment" | undefined {
  const m = /^(ts|typescript)(\s+(.*))?$/.exec(info);
  if (!m) return undefined;
  return m[3] === "fragment" ? "fragment" : "program";
}

/** Every Markdown file of the repository but what is installed, built or generated. */
export function markdownFiles(root = ROOT): string[] {
  const skip = new Set(["node_modules", "dist", ".git", ".pulumi", "api"]);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!skip.has(e.name)) walk(join(dir, e.name));
      } else if (e.name.endsWith(".md")) out.push(join(dir, e.name));
    }
  };
  walk(root);
  return out.sort();
}

/** Markdown with code blocks and code spans blanked (links there are not links), line count kept. */
function prose(markdown: string): string {
  const lines = markdown.split("\n");
  let fenced = false;
  return lines
    .map((l) => {
      if (/^\s*```/.test(l)) {
        fenced = !fenced;
        return "";
      }
      return fenced ? "" : l.replace(/(`+)[\s\S]*?\1/g, "").replace(/<!--.*?-->/g, "");
    })
    .join("\n");
}

export interface Link {
  target: string;
  line: number;
}

/** Inline links and images `[text](target)`, and reference definitions `[x]: target`. */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  prose(markdown)
    .split("\n")
    .forEach((l, i) => {
      for (const m of l.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[1], line: i + 1 });
      const def = /^\s*\[[^\]]+\]:\s*(\S+)/.exec(l);
      if (def) links.push({ target: def[1], line: i + 1 });
    });
  return links;
}

/** GitHub's anchor of a heading's text: its rendered text, lower-cased, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/[`*]/g, "");
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors a Markdown file's headings make, duplicates numbered as GitHub numbers them. */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const l of markdown.split("\n")) {
    if (/^\s*```/.test(l)) fenced = !fenced;
    const h = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (!h) continue;
    const base = slug(h[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Every relative link of `file` that does not resolve (a missing file, or an anchor its target lacks). */
export function brokenLinks(file: string, markdown = readFileSync(file, "utf8")): string[] {
  const broken: string[] = [];
  for (const { target, line } of linksOf(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue; // https:, mailto:, …
    const [path, anchor] = target.split("#", 2) as [string, string | undefined];
    const where = `${relative(ROOT, file)}:${line}: ${target}`;
    const to = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(to)) {
      broken.push(`${where} (no such file)`);
      continue;
    }
    if (anchor === undefined || anchor === "") continue;
    if (statSync(to).isDirectory() || !to.endsWith(".md")) {
      broken.push(`${where} (an anchor into a file that is not Markdown)`);
      continue;
    }
    const anchors = to === file ? anchorsOf(markdown) : anchorsOf(readFileSync(to, "utf8"));
    if (!anchors.has(decodeURIComponent(anchor))) broken.push(`${where} (no heading makes #${anchor})`);
  }
  return broken;
}

/** The commands of the README's first program, in order, comments dropped: the shell block that inits its stack. */
export function firstProgramSteps(readme: string): string[] {
  const block = codeBlocks(readme).find((b) => b.info === "sh" && /^pulumi stack init /m.test(b.text));
  if (!block) throw new Error("README.md has no shell block with `pulumi stack init`: the first program's steps");
  return block.text
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "");
}

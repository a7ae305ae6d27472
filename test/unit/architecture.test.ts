/**
 * The provider's shape, as issue 15 set it: three rooms (kinds/, hosts/, core/), nothing
 * spawns outside hosts/, where a command runs is never ambient, no import circles, files near
 * 300 lines. Read from the sources (the repository root is the tests' working directory).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as ts from "typescript";

const ROOT = resolve(__dirname, "../../..");
const PROVIDER = join(ROOT, "provider");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}
const files = sources(PROVIDER);
const text = (f: string) => readFileSync(f, "utf8");
const rel = (f: string) => relative(PROVIDER, f);

/**
 * The modules a file loads at run time, as written: `import … from`, `export … from` (a
 * re-export loads its module too), `import x = require(…)`, `require(…)` and `import(…)` —
 * read with the TypeScript parser, leaving out what only types use (`import type`, `export type`).
 */
function specifiers(source: string, name = "file.ts"): string[] {
  const src = ts.createSourceFile(name, source, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const literal = (e: ts.Node | undefined) => (e && ts.isStringLiteralLike(e) ? out.push(e.text) : undefined);
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && !typesOnly(n.importClause)) literal(n.moduleSpecifier);
    else if (ts.isExportDeclaration(n) && !n.isTypeOnly) literal(n.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(n) && !n.isTypeOnly && ts.isExternalModuleReference(n.moduleReference)) literal(n.moduleReference.expression);
    else if (ts.isCallExpression(n) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === "require"))) literal(n.arguments[0]);
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

/** `import type { A }` or `import { type A, type B }`: nothing is loaded at run time. */
function typesOnly(c: ts.ImportClause | undefined): boolean {
  if (!c) return false; // `import "./x"`: loaded for its effects
  if (c.isTypeOnly) return true;
  const named = c.namedBindings;
  return !c.name && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

/** Run-time imports of a file within the provider, resolved to files. */
function imports(f: string): string[] {
  return specifiers(text(f), f).flatMap((m) => {
    if (!m.startsWith(".")) return [];
    const target = resolve(dirname(f), m);
    return [`${target}.ts`, join(target, "index.ts")].filter((c) => files.includes(c)).slice(0, 1);
  });
}

/** Whether a file loads something that spawns processes. */
const spawns = (source: string) => specifiers(source).some((m) => /^(node:)?child_process$|^execa$/.test(m));

describe("the provider's layout", () => {
  it("has the three rooms and nothing else beside its entry point and registry", () => {
    const top = readdirSync(PROVIDER).sort();
    expect(top).toEqual(["core", "hosts", "index.ts", "kinds", "registry.ts"]);
  });

  it("keeps every file at 300 lines or fewer", () => {
    const long = files.map((f) => [rel(f), text(f).split("\n").length] as const).filter(([, n]) => n > 300);
    expect(long).toEqual([]);
  });

  it("spawns processes only in hosts/", () => {
    const spawning = files.filter((f) => !rel(f).startsWith("hosts/") && spawns(text(f)));
    expect(spawning.map(rel)).toEqual([]);
    // and hosts/ does spawn: the check can see it
    expect(files.filter((f) => rel(f).startsWith("hosts/") && spawns(text(f))).length).toBeGreaterThan(0);
  });

  it("has no ambient host: no AsyncLocalStorage, and kinds reach commands only through the host they are given", () => {
    expect(files.filter((f) => /AsyncLocalStorage|async_hooks/.test(text(f))).map(rel)).toEqual([]);
    const kinds = files.filter((f) => rel(f).startsWith("kinds/"));
    expect(kinds.length).toBeGreaterThan(5);
    // A kind imports from hosts/ only types (Host, Target): it never picks a host itself.
    const picking = kinds.filter((f) => specifiers(text(f), f).some((m) => m.startsWith("../hosts")) || /hostFor\(|\blocal\./.test(text(f)));
    expect(picking.map(rel)).toEqual([]);
  });

  it("has no import circles", () => {
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 1);
      stack.push(f);
      for (const g of imports(f)) {
        if (state.get(g) === 1) cycles.push(stack.slice(stack.indexOf(g)).concat(g).map(rel).join(" → "));
        else if (!state.has(g)) visit(g);
      }
      stack.pop();
      state.set(f, 2);
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
    // the walk follows imports at all: kinds import the core
    expect(imports(join(PROVIDER, "kinds", "bridge.ts")).map(rel)).toContain("core/kind.ts");
  });
});

describe("the layout checks read every way a module is loaded", () => {
  it("sees spawning through import, re-export, require, import = require and import(), with or without node:", () => {
    for (const way of [
      'import { spawn } from "child_process";',
      'export { spawn } from "node:child_process";',
      'export * from "child_process";',
      'const cp = require("child_process");',
      'const cp = require("node:child_process");',
      'import cp = require("node:child_process");',
      'const { execa } = await import("execa");',
    ]) expect([way, spawns(way)]).toEqual([way, true]);
    for (const types of ['import type { ChildProcess } from "node:child_process";', 'import { type ChildProcess } from "child_process";', 'export type { ChildProcess } from "child_process";', '// require("child_process")']) expect([types, spawns(types)]).toEqual([types, false]);
  });

  it("follows re-exports and require in the import walk", () => {
    expect(specifiers('export { a } from "./a";\nexport * from "../b";\nconst c = require("./c");\nimport type { D } from "./d";')).toEqual(["./a", "../b", "./c"]);
  });
});

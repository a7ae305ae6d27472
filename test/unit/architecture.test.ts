/**
 * The provider's shape, as issue 15 set it: three rooms (kinds/, hosts/, core/), nothing
 * spawns outside hosts/, where a command runs is never ambient, no import circles, files near
 * 300 lines. And the repository's parts, as issue 25 set them: provider/, sdk/, model/ (the
 * reachability model) and cli/ (the commands), the model importing nothing from cli/, the
 * privileged `orphans` (cli/admin/) loaded by nothing but the command's entry point, and no
 * import circle anywhere in the repository's own code, types included. Read from the sources.
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
function specifiers(source: string, name = "file.ts", withTypes = false): string[] {
  const src = ts.createSourceFile(name, source, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const literal = (e: ts.Node | undefined) => (e && ts.isStringLiteralLike(e) ? out.push(e.text) : undefined);
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && (withTypes || !typesOnly(n.importClause))) literal(n.moduleSpecifier);
    else if (ts.isExportDeclaration(n) && (withTypes || !n.isTypeOnly)) literal(n.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(n) && (withTypes || !n.isTypeOnly) && ts.isExternalModuleReference(n.moduleReference)) literal(n.moduleReference.expression);
    else if (withTypes && ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) literal(n.argument.literal);
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

/** Imports of a file (run-time only, or with what only types use) resolved to files among `within`. */
function imports(f: string, within: readonly string[] = files, withTypes = false): string[] {
  return specifiers(text(f), f, withTypes).flatMap((m) => {
    if (!m.startsWith(".")) return [];
    const target = resolve(dirname(f), m);
    return [`${target}.ts`, join(target, "index.ts")].filter((c) => within.includes(c)).slice(0, 1);
  });
}

/** Every import circle among `within`, each as "a → b → a" (paths from the repository root). */
function circles(within: readonly string[], withTypes: boolean): string[] {
  const found: string[] = [];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const g of imports(f, within, withTypes)) {
      if (state.get(g) === 1) found.push(stack.slice(stack.indexOf(g)).concat(g).map((x) => relative(ROOT, x)).join(" → "));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of within) if (!state.has(f)) visit(f);
  return found;
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
    expect(circles(files, false)).toEqual([]);
    // the walk follows imports at all: kinds import the core
    expect(imports(join(PROVIDER, "kinds", "bridge.ts")).map(rel)).toContain("core/kind.ts");
  });
});

/** The repository's own code: its parts and its tests (with their support). */
const own = ["provider", "sdk", "model", "cli", "test"].flatMap((d) => sources(join(ROOT, d))).filter((f) => !relative(ROOT, f).startsWith("test/programs/"));
const part = (d: string) => own.filter((f) => relative(ROOT, f).startsWith(`${d}/`));
const fromRoot = (f: string) => relative(ROOT, f);
const importsOf = (f: string) => imports(f, own, true).map(fromRoot);

describe("the repository's parts", () => {
  it("has no import circle anywhere in its own code, counting imports of types", () => {
    expect(own.length).toBeGreaterThan(150);
    expect(circles(own, true)).toEqual([]);
  });

  it("counts imports of types in that walk: the check can see a circle made only of types", () => {
    const drawing = join(ROOT, "cli", "drawing.ts");
    expect(importsOf(join(ROOT, "cli", "graph.ts"))).toContain("cli/drawing.ts");
    // were drawing.ts to import a type back from graph.ts, the walk would find graph → drawing → graph
    expect(specifiers('import type { Graph } from "./graph";', drawing, true)).toEqual(["./graph"]);
    expect(specifiers('import { type Graph } from "./graph";', drawing, true)).toEqual(["./graph"]);
    expect(specifiers('type G = import("./graph").Graph;', drawing, true)).toEqual(["./graph"]);
    expect(specifiers('import type { Graph } from "./graph";', drawing, false)).toEqual([]);
  });

  it("keeps the model (model/) apart from the CLI: nothing from cli/, nothing that spawns or touches files", () => {
    const model = part("model");
    expect(model.length).toBeGreaterThanOrEqual(8);
    expect(model.flatMap((f) => importsOf(f).filter((g) => g.startsWith("cli/")).map((g) => `${fromRoot(f)} → ${g}`))).toEqual([]);
    expect(model.filter((f) => specifiers(text(f), f, true).some((m) => /^(node:)?(child_process|fs|net|os)$|^execa$/.test(m))).map(fromRoot)).toEqual([]);
    // the command, the summary's review and the tests' judge use it
    expect(importsOf(join(ROOT, "cli", "main.ts"))).toContain("model/index.ts");
    expect(importsOf(join(ROOT, "cli", "reach", "review.ts"))).toContain("model/index.ts");
    expect(importsOf(join(ROOT, "test", "support", "reachability.ts"))).toContain("model/index.ts");
  });

  it("loads the privileged, destructive orphans (cli/admin/) from the command's entry point only, and only for that command", () => {
    const admin = part("cli/admin");
    expect(admin.map(fromRoot).sort()).toEqual(["cli/admin/orphans.ts", "cli/admin/stacks.ts"]);
    const loaders = part("cli").filter((f) => !admin.includes(f) && importsOf(f).some((g) => g.startsWith("cli/admin/")));
    expect(loaders.map(fromRoot)).toEqual(["cli/main.ts"]);
    expect(specifiers(text(join(ROOT, "cli", "main.ts")))).toContain("./admin/orphans");
    expect(text(join(ROOT, "cli", "main.ts"))).not.toMatch(/^import .*admin/m);
    // outside admin/, the CLI reads the provider's registry, its error wording and hosts (input.ts) only
    const reaching = part("cli").filter((f) => !admin.includes(f)).flatMap((f) => importsOf(f).filter((g) => g.startsWith("provider/")).map((g) => `${fromRoot(f)} → ${g}`));
    expect(reaching.length).toBeGreaterThan(0);
    expect(reaching.filter((x) => !/→ provider\/(registry\.ts|core\/errors\.ts|hosts\/index\.ts)$/.test(x))).toEqual([]);
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

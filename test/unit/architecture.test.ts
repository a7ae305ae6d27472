/**
 * The provider's shape, as issue 15 set it: three rooms (kinds/, hosts/, core/), nothing
 * spawns outside hosts/, where a command runs is never ambient, no import circles, files near
 * 300 lines. Read from the sources (the repository root is the tests' working directory).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(__dirname, "../../..");
const PROVIDER = join(ROOT, "provider");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}
const files = sources(PROVIDER);
const text = (f: string) => readFileSync(f, "utf8");
const rel = (f: string) => relative(PROVIDER, f);

/** Run-time imports (not `import type`) of a file, resolved to files. */
function imports(f: string): string[] {
  const out: string[] = [];
  for (const m of text(f).matchAll(/(?:^import(?! type)[^;]*?from\s+|require\()["'](\.[^"']+)["']/gm)) {
    const target = resolve(dirname(f), m[1]);
    const hit = [`${target}.ts`, join(target, "index.ts")].find((c) => files.includes(c));
    if (hit) out.push(hit);
  }
  return out;
}

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
    const spawning = files.filter((f) => !rel(f).startsWith("hosts/") && /from "(node:)?child_process"|import\("execa"\)|from "execa"/.test(text(f)));
    expect(spawning.map(rel)).toEqual([]);
    // and hosts/ does spawn: the check can see it
    expect(files.filter((f) => rel(f).startsWith("hosts/") && /child_process|"execa"/.test(text(f))).length).toBeGreaterThan(0);
  });

  it("has no ambient host: no AsyncLocalStorage, and kinds reach commands only through the host they are given", () => {
    expect(files.filter((f) => /AsyncLocalStorage|async_hooks/.test(text(f))).map(rel)).toEqual([]);
    const kinds = files.filter((f) => rel(f).startsWith("kinds/"));
    expect(kinds.length).toBeGreaterThan(5);
    // A kind imports from hosts/ only types (Host, Target): it never picks a host itself.
    const picking = kinds.filter((f) => [...text(f).matchAll(/^import (?!type )[^;]*from "\.\.\/hosts[^"]*"/gm)].length > 0 || /hostFor\(|\blocal\./.test(text(f)));
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

/**
 * Every TypeScript block of README.md and docs/ is type-checked against the package as a
 * program gets it: each block is one file of a program whose node_modules is this checkout's
 * (so `pulumi-linuxnet` is the package's compiled declarations, dist/sdk, through its
 * self-link, and @pulumi/pulumi the pinned one). A block meant as a fragment (it uses names it
 * does not define) says so, ```ts fragment, and is skipped, counted with that reason.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import * as ts from "typescript";
import { type Block, codeBlocks, markdownFiles, ROOT, tsKind } from "./docs-check";

interface Snippet {
  source: string;
  block: Block;
}

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  types: ["node"],
};

/** Type-checks snippets as files of one program; the errors, each as `FILE.md:LINE: message`. */
function typeCheck(snippets: Snippet[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "linuxnet-snippets-"));
  try {
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    const files = snippets.map((s, i) => {
      const file = join(dir, `snippet${i}.ts`);
      // Each block is a module of its own, as each program's index.ts is.
      writeFileSync(file, /^\s*(import|export)\s/m.test(s.block.text) ? s.block.text : `${s.block.text}export {};\n`);
      return file;
    });
    const program = ts.createProgram(files, { ...OPTIONS, typeRoots: [join(ROOT, "node_modules", "@types")] });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const i = d.file ? files.indexOf(d.file.fileName) : -1;
      const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
      if (i < 0 || d.start === undefined) return `${d.file?.fileName ?? "(program)"}: TS${d.code} ${text}`;
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start);
      return `${snippets[i].source}:${snippets[i].block.line + line}: TS${d.code} ${text}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const docs = markdownFiles().filter((f) => f === join(ROOT, "README.md") || relative(ROOT, f).startsWith("docs/"));
const all = docs.flatMap((f) => codeBlocks(readFileSync(f, "utf8")).map((block) => ({ source: relative(ROOT, f), block, kind: tsKind(block.info) })));
const programs = all.filter((s) => s.kind === "program");
const fragments = all.filter((s) => s.kind === "fragment");

jest.setTimeout(120_000);

describe("the TypeScript snippets of README.md and docs/", () => {
  it("type-check against the package's declarations, every block that is not marked a fragment", () => {
    // Not vacuous: the README's first program and every guide's example are among them.
    expect(programs.length).toBeGreaterThanOrEqual(10);
    expect(programs.map((s) => s.source)).toContain("README.md");
    const skipped = fragments.map((s) => `${s.source}:${s.block.line}`);
    console.log(`${programs.length} TypeScript snippets type-checked; ${fragments.length} skipped as marked \`\`\`ts fragment (they use names they do not define): ${skipped.join(", ")}`);
    expect(typeCheck(programs)).toEqual([]);
  });

  it("fails on a planted snippet that misuses the package", () => {
    const planted: Snippet = {
      source: "planted.md",
      block: { info: "ts", line: 3, text: 'import * as linuxnet from "pulumi-linuxnet";\nnew linuxnet.VethPair("v", { end: { name: "eth0" }, peer: { nmae: "p" } });\n' },
    };
    const errors = typeCheck([planted]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^planted\.md:4: TS2353 .*'nmae'/);
  });

  it("marks fragments only with ```ts fragment: no other TypeScript info string slips past the check", () => {
    const infos = all.filter((s) => /^(ts|typescript)\b/.test(s.block.info)).map((s) => s.block.info);
    expect(infos.filter((i) => i !== "ts" && i !== "ts fragment")).toEqual([]);
  });
});

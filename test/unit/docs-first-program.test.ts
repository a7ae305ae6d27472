/**
 * The README's first program is templates/first-program/, byte for byte, and
 * `pulumi-linuxnet new DIR` writes exactly those files (refusing a directory that holds
 * anything). The e2e tier runs the program itself (test/e2e/first-program.test.ts).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEMPLATE_DIR, TEMPLATE_FILES } from "../../cli/new";
import { runCli } from "./cli/helpers";
import { codeBlocks, firstProgramSteps, ROOT } from "./docs-check";

/** The README's block shown under the line "`FILE`:". */
export function readmeFile(readme: string, file: string): string {
  const lines = readme.split("\n");
  const at = lines.indexOf(`\`${file}\`:`);
  if (at < 0) throw new Error(`README.md shows no \`${file}\`: followed by its block`);
  const block = codeBlocks(lines.slice(at + 1).join("\n"))[0];
  if (!block || !/^\s*$/.test(lines[at + 1]) || !lines[at + 2].startsWith("```")) throw new Error(`README.md: \`${file}\`: is not followed by a code block`);
  return block.text;
}

describe("the README's first program", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");

  it("is templates/first-program/, file for file", () => {
    expect(readdirSync(TEMPLATE_DIR).sort()).toEqual([...TEMPLATE_FILES].sort());
    for (const f of TEMPLATE_FILES) expect(`${f}:\n${readmeFile(readme, f)}`).toBe(`${f}:\n${readFileSync(join(TEMPLATE_DIR, f), "utf8")}`);
  });

  it("asks for this version of the package and the peer range of @pulumi/pulumi", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const program = JSON.parse(readFileSync(join(TEMPLATE_DIR, "package.json"), "utf8"));
    expect(program.dependencies["pulumi-linuxnet"]).toBe(`^${pkg.version}`);
    expect(program.dependencies["@pulumi/pulumi"]).toBe(`^${/^>=\s*(\S+)/.exec(pkg.peerDependencies["@pulumi/pulumi"])![1]}`);
  });

  it("is told to run with the commands the README gives: up, a ping, destroy", () => {
    const steps = firstProgramSteps(readme);
    expect(steps.filter((s) => /^(pulumi (up|destroy)|ip netns exec) /.test(s))).toEqual(["pulumi up --yes", "ip netns exec hello-red ping -c 1 10.99.0.2", "pulumi destroy --yes"]);
  });
});

describe("pulumi-linuxnet new DIR", () => {
  const scratch = mkdtempSync(join(tmpdir(), "linuxnet-new-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("writes the first program into a directory it makes", () => {
    const dir = join(scratch, "made", "hello-lab");
    const r = runCli(["new", dir]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote Pulumi\.yaml, package\.json, index\.ts into .*hello-lab; then, as root:\n/);
    expect(readdirSync(dir).sort()).toEqual(["Pulumi.yaml", "index.ts", "package.json"]);
    for (const f of TEMPLATE_FILES) expect(readFileSync(join(dir, f), "utf8")).toBe(readFileSync(join(TEMPLATE_DIR, f), "utf8"));
  });

  it("writes into an empty directory that exists", () => {
    const dir = join(scratch, "empty");
    mkdirSync(dir);
    expect(runCli(["new", dir]).code).toBe(0);
    expect(readdirSync(dir)).toHaveLength(3);
  });

  it("refuses a directory that holds anything, and leaves it as it was", () => {
    const dir = join(scratch, "used");
    mkdirSync(dir);
    writeFileSync(join(dir, "index.ts"), "// mine\n");
    const r = runCli(["new", dir]);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 1, stdout: "", stderr: `pulumi-linuxnet new: ${dir} is not empty (it holds index.ts); give a new or empty directory\n` });
    expect(readdirSync(dir)).toEqual(["index.ts"]);
    expect(readFileSync(join(dir, "index.ts"), "utf8")).toBe("// mine\n");
  });

  it("refuses a command line without exactly one DIR, or with an option", () => {
    for (const args of [["new"], ["new", "a", "b"], ["new", "--force", "a"]]) {
      const r = runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^pulumi-linuxnet new: new takes (one DIR, got \d|no option --force)\nusage: pulumi-linuxnet new DIR/);
    }
  });
});

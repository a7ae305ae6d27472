/** The shipped bin on bad input: one clear line on stderr, a non-zero exit, nothing on stdout. */
import { fixtureText, runCli } from "./helpers";

describe("pulumi-linuxnet (bin)", () => {
  const bad = (args: string[], input: string, line: string, code = 1) => {
    const r = runCli(args, input);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code, stdout: "", stderr: `${line}\n` });
  };

  it("says what is wrong with input that is not JSON, JSON of the wrong shape, or an empty stack", () => {
    bad(["preview-summary"], "", "pulumi-linuxnet preview-summary: stdin is empty; pipe the output of `pulumi preview --json` into it");
    bad(["preview-summary"], "Previewing update (dev):", "pulumi-linuxnet preview-summary: stdin is not JSON (Unexpected token 'P', \"Previewing\"... is not valid JSON); expected the output of `pulumi preview --json`");
    bad(["diagram"], '{"steps": 3}', "pulumi-linuxnet diagram: stdin is not the output of `pulumi stack export`: version: Invalid input: expected number, received undefined");
    bad(["diagram"], fixtureText("resources-update"), "pulumi-linuxnet diagram: stdin is the output of `pulumi preview --json`, not `pulumi stack export`; add --preview to draw what the preview plans");
    bad(["diagram"], '{"version": 3, "deployment": {}}', "pulumi-linuxnet diagram: stdin holds no pulumi-linuxnet resources: the stack is empty (never deployed, or destroyed)");
    bad(["diagram", "/nonexistent.json"], "", "pulumi-linuxnet diagram: cannot read file /nonexistent.json: ENOENT");
  });

  it("prints usage with exit code 2 for a wrong command line, and for --help on stdout", () => {
    const r = runCli(["nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pulumi-linuxnet nope: unknown command "nope" \(known: preview-summary, diagram, orphans\)\nusage:\n/);
    const help = runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage:\n {2}pulumi-linuxnet preview-summary/);
  });

  it("writes the summary, Mermaid, DOT and SVG for real input", () => {
    expect(runCli(["preview-summary"], fixtureText("resources-create")).stdout).toMatch(/^### Network changes\n\n\*\*Plan:\*\* 🟢 4 to create\n/);
    expect(runCli(["diagram", "--preview"], fixtureText("resources-create")).stdout).toMatch(/^flowchart LR\n/);
    expect(runCli(["diagram", "--format", "dot"], fixtureText("resources-export")).stdout).toMatch(/^digraph linuxnet \{\n/);
    expect(runCli(["diagram", "--format", "svg"], fixtureText("resources-export")).stdout).toMatch(/<\/svg>\n$/);
  });
});

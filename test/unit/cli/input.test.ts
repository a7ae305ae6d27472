import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseJson, readInput } from "../../../cli/input";

describe("reading the input", () => {
  const dir = mkdtempSync(join(tmpdir(), "linuxnet-input-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("parses JSON, naming the source and what was expected when it is empty or not JSON", () => {
    expect(parseJson('{"steps": []}', "stdin", "preview")).toEqual({ steps: [] });
    expect(() => parseJson(" \n", "stdin", "export")).toThrow("stdin is empty; pipe the output of `pulumi stack export` into it (or pass --stack NAME to have it run)");
    expect(() => parseJson("{", "file p.json", "preview")).toThrow(/^file p\.json is not JSON \(.*\); expected the output of `pulumi preview --json`$/);
  });

  it("reads a file given on the command line, and names it in messages", async () => {
    const file = join(dir, "p.json");
    writeFileSync(file, '{"version": 3}');
    expect(await readInput(file, "export", { mayExport: true })).toEqual({ where: `file ${file}`, json: { version: 3 } });
    await expect(readInput(join(dir, "none.json"), "export", { mayExport: true })).rejects.toThrow(`cannot read file ${join(dir, "none.json")}: ENOENT`);
  });
});

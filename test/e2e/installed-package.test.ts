import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../support/local";
import { EMPTY_SANDBOX, leftInSandbox, namedNamespaces } from "../support/kernel";
import { exampleDir, PulumiStack } from "../support/pulumi";

jest.setTimeout(300_000);

const root = join(__dirname, "..", "..", "..");

/** A copy of examples/two-namespaces that uses pulumi-linuxnet the way a user gets it: npm pack, installed. */
async function installedProgram(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "linuxnet-installed-"));
  for (const f of ["Pulumi.yaml", "index.ts"]) copyFileSync(join(exampleDir("two-namespaces"), f), join(dir, f));
  copyFileSync(join(root, "examples", "tsconfig.json"), join(dir, "tsconfig.json"));
  await run([join(root, "scripts", "install-packed.sh"), dir]);
  return dir;
}

describe("pulumi-linuxnet installed from its npm package", () => {
  let dir: string;
  let stack: PulumiStack;
  beforeAll(async () => {
    dir = await installedProgram();
    stack = new PulumiStack(dir);
    await stack.init({ nameA: `${stack.stack}a`, nameB: `${stack.stack}b` });
  });
  afterAll(async () => {
    await stack?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("works through the real CLI, and stores each provider as a small require of the package", async () => {
    await stack.up();
    expect(namedNamespaces()).toEqual(expect.arrayContaining([`${stack.stack}a`, `${stack.stack}b`]));
    const exported = join(dir, "state.json");
    await stack.cli(["stack", "export", "--file", exported]);
    const resources = JSON.parse(readFileSync(exported, "utf8")).deployment.resources as Array<{ type: string; inputs?: { __provider?: string } }>;
    const ns = resources.filter((r) => r.type === "pulumi-nodejs:dynamic/linuxnet:Namespace");
    expect(ns).toHaveLength(2);
    for (const r of ns) {
      expect(r.inputs?.__provider).toContain('require("pulumi-linuxnet/dist/sdk/providers/namespace.js")');
      expect(r.inputs?.__provider?.length).toBeLessThan(800);
    }
    await stack.destroy();
    expect(await leftInSandbox()).toEqual(EMPTY_SANDBOX); // only lo, and no namespace
  });
});

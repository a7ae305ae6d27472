/**
 * Nothing changes for users across the provider's restructuring (issue 15): a stack deployed
 * with the package as it was before it (commit 1bd3470, built by scripts/prepare-old-version.sh
 * outside the sandbox; scripts/test.sh passes its path in LINUXNET_BEFORE_PACKAGE) is taken
 * over by this checkout's package, installed into the same program: the preview plans no
 * change, a refresh finds none, and destroy leaves nothing. The program is the demo stack as it
 * was at that commit (the script saves it next to the package: today's demo uses API the old
 * package lacks), every kind this kernel ran then (all but VLAN) and the Router component. Both packages run on
 * this checkout's node_modules (the lock is the same at both commits).
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { run } from "../support/local";
import { EMPTY_SANDBOX, leftInSandbox, namedNamespaces, pings } from "../support/kernel";
import { PulumiStack } from "../support/pulumi";

jest.setTimeout(600_000);

const root = join(__dirname, "..", "..", "..");

/** The package before the restructuring: as prepared outside the sandbox, or built now (npm's cache must then hold every package). */
async function packageBefore(): Promise<string> {
  const given = process.env.LINUXNET_BEFORE_PACKAGE;
  if (given) return given;
  return (await run([join(root, "scripts", "prepare-old-version.sh")])).stdout.trim();
}

describe("a stack deployed by the version before the restructuring, taken over by this one", () => {
  const dir = mkdtempSync(join(tmpdir(), "linuxnet-upgrade-"));
  const installed = join(dir, "node_modules", "pulumi-linuxnet", "dist", "provider");
  let stack: PulumiStack;
  beforeAll(async () => {
    const before = await packageBefore();
    copyFileSync(join(dirname(before), "demo-index.ts"), join(dir, "index.ts"));
    copyFileSync(join(root, "examples", "tsconfig.json"), join(dir, "tsconfig.json"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: linuxnet-demo\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n");
    const t0 = Date.now();
    await run([join(root, "scripts", "install-packed.sh"), dir, before]);
    process.stdout.write(`package before the restructuring installed in ${Date.now() - t0} ms\n`);
    stack = new PulumiStack(dir);
    await stack.init();
  });
  afterAll(async () => {
    await stack?.dispose();
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`pulumi timings (ms): ${stack?.timings.map(([c, ms]) => `${c}=${ms}`).join(", ")}\n`);
  });

  /** Every resource's type, id, inputs (but the provider's closure) and outputs, by URN, as the state holds them. */
  async function state(): Promise<Record<string, unknown>> {
    const exported = JSON.parse((await stack.cli(["stack", "export"])).stdout) as { deployment: { resources: Array<Record<string, unknown>> } };
    return Object.fromEntries(
      exported.deployment.resources
        .filter((r) => String(r.type).includes("linuxnet"))
        .map((r) => {
          const { __provider: _closure, ...inputs } = (r.inputs ?? {}) as Record<string, unknown>;
          return [r.urn, { type: r.type, id: r.id, inputs, outputs: r.outputs }];
        }),
    );
  }
  let before: Record<string, unknown>;

  it("is deployed by the old version (its provider still in one folder, with runner.ts)", async () => {
    expect([existsSync(join(installed, "runner.js")), existsSync(join(installed, "registry.js"))]).toEqual([true, false]);
    await stack.up();
    // What the old version reads back (a bridge's MAC changes as ports join it, after its create recorded it).
    await stack.refresh();
    before = await state();
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(20);
    expect(namedNamespaces()).toEqual(expect.arrayContaining(["demo-host", "demo-p2p", "demo-c1", "demo-c2", "demo-lan", "demo-m1", "demo-m2"]));
    expect(await pings("demo-c1", "192.168.0.101")).toBe(true); // through demo-host's router
  });

  it("previews no change once this version is installed in its place", async () => {
    await run([join(root, "scripts", "install-packed.sh"), dir]);
    expect([existsSync(join(installed, "runner.js")), existsSync(join(installed, "registry.js"))]).toEqual([false, true]);
    const plan = await stack.preview("--expect-no-changes");
    expect({ code: plan.code, stdout: plan.stdout, stderr: plan.stderr }).toMatchObject({ code: 0 });
    expect(plan.stdout).not.toMatch(/to (create|update|replace|delete)/);
  });

  it("refreshes clean: it reads the kernel as the old version did", async () => {
    const r = await stack.cli(["refresh", "--yes", "--skip-preview", "--expect-no-changes"], true);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toMatchObject({ code: 0 });
    // The engine's refresh diffs inputs; the outputs this version reads must be what the old one read, name for name.
    expect(await state()).toEqual(before);
  });

  it("destroys everything the old version made", async () => {
    await stack.destroy();
    expect(await leftInSandbox()).toEqual(EMPTY_SANDBOX);
  });
});

/**
 * pulumi-linuxnet the way a user gets it: `npm pack`, installed with npm into a fresh program
 * (test/programs/consumer) next to @pulumi/pulumi — at the newest 3.x the registry serves and
 * at the lowest the peer range allows (scripts/install-packed.sh prepare finds both and fills
 * npm's cache outside the sandbox; the installs here are offline). On each: one copy of
 * @pulumi/pulumi in the program, a real `pulumi up` with the package's type tokens, a change by
 * hand found by refresh and repaired by up, and a destroy that leaves nothing. On the newest,
 * the package's types also resolve for a consumer compiled with `moduleResolution` node16
 * (CommonJS and ES module files) and bundler, with skipLibCheck off.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { ip, run } from "../support/local";
import { links, namedNamespaces } from "../support/kernel";
import { PulumiStack, testProgramDir } from "../support/pulumi";

jest.setTimeout(900_000);

const root = join(__dirname, "..", "..", "..");
const cache = process.env.LINUXNET_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "pulumi-linuxnet");

function preparedVersions(): { lowest: string; newest: string } {
  try {
    return JSON.parse(readFileSync(join(cache, "packed-versions.json"), "utf8"));
  } catch {
    throw new Error(`no ${join(cache, "packed-versions.json")}: run the tests with scripts/test.sh, which prepares npm's cache for them (scripts/install-packed.sh prepare)`);
  }
}

/** Every installed copy of a package under node_modules (nested ones too), as name@version paths. */
function copiesOf(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (modules: string) => {
    let entries: string[];
    try {
      entries = readdirSync(modules);
    } catch {
      return;
    }
    for (const e of entries) {
      const dirs = e.startsWith("@") ? readdirSync(join(modules, e)).map((s) => join(e, s)) : [e];
      for (const d of dirs) {
        const at = join(modules, d);
        if (d === name) found.push(`${at}@${JSON.parse(readFileSync(join(at, "package.json"), "utf8")).version}`);
        walk(join(at, "node_modules"));
      }
    }
  };
  walk(join(dir, "node_modules"));
  return found;
}

/** A fresh program on @pulumi/pulumi `version`, the packed package installed by npm (offline). */
async function freshProgram(version: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `linuxnet-installed-${version}-`));
  for (const f of ["Pulumi.yaml", "index.ts"]) copyFileSync(join(testProgramDir("consumer"), f), join(dir, f));
  copyFileSync(join(root, "examples", "tsconfig.json"), join(dir, "tsconfig.json"));
  await run([join(root, "scripts", "install-packed.sh"), "--npm", version, dir, "--offline"]);
  return dir;
}

interface Run {
  dir: string;
  copies: string[];
  created: string[];
  drift: { afterRefresh: string; afterUp: string };
  providers: string[];
  left: string[];
}

/** up, a change by hand, refresh, up, destroy: what each step left to see. */
async function lifecycle(version: string): Promise<Run> {
  const dir = await freshProgram(version);
  const stack = new PulumiStack(dir);
  try {
    const prefix = `${stack.stack}`;
    await stack.init({ prefix });
    const up = await stack.up();
    const created = [...up.stdout.matchAll(/ \+ {2}(pulumi-nodejs:dynamic\/linuxnet:\w+) \S+ created/g)].map((m) => m[1]).sort();
    const bridgeState = async () => ((await links(`${prefix}a`)).find((l) => l.ifname === "br0")?.flags.includes("UP") ? "up" : "down");
    await ip(["link", "set", "dev", "br0", "down"], { netns: `${prefix}a` });
    await stack.refresh();
    const exported = JSON.parse((await stack.cli(["stack", "export"])).stdout).deployment.resources as Array<{ type: string; inputs?: { __provider?: string }; outputs?: { up?: boolean } }>;
    const providers = exported.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/linuxnet:")).map((r) => r.inputs?.__provider ?? "");
    const afterRefresh = exported.find((r) => r.type.endsWith(":Bridge"))?.outputs?.up === false ? "down in the state" : "up in the state";
    await stack.up();
    const drift = { afterRefresh, afterUp: await bridgeState() };
    await stack.destroy();
    const left = namedNamespaces().filter((n) => n.startsWith(prefix));
    return { dir, copies: copiesOf(dir, "@pulumi/pulumi"), created, drift, providers, left };
  } finally {
    await stack.dispose();
  }
}

describe("pulumi-linuxnet installed from its npm package into a fresh program", () => {
  const versions = preparedVersions();
  const runs = new Map<string, Promise<Run>>();
  const dirs: string[] = [];
  beforeAll(() => {
    for (const v of new Set([versions.newest, versions.lowest])) runs.set(v, lifecycle(v).then((r) => (dirs.push(r.dir), r)));
  });
  afterAll(async () => {
    await Promise.all([...runs.values()].map((r) => r.catch(() => undefined)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const kinds = ["Bridge", "IptablesRule", "Namespace", "Namespace", "Route", "Sysctl", "VethPair"].map((k) => `pulumi-nodejs:dynamic/linuxnet:${k}`);

  it.each([
    ["the newest @pulumi/pulumi 3.x", () => versions.newest],
    ["the lowest @pulumi/pulumi of the peer range", () => versions.lowest],
  ])("works on %s: one copy of the SDK, up, drift found and repaired, destroy", async (_what, version) => {
    const r = await runs.get(version())!;
    expect(r.copies.map((c) => c.split("@").pop())).toEqual([version()]); // the program's own copy, none nested under the package
    expect(r.created).toEqual(kinds);
    expect(r.drift).toEqual({ afterRefresh: "down in the state", afterUp: "up" });
    expect(r.left).toEqual([]);
  });

  it("stores each provider as a small require of the package (newest)", async () => {
    const r = await runs.get(versions.newest)!;
    expect(r.providers).toHaveLength(7);
    for (const p of r.providers) {
      expect(p).toMatch(/require\("pulumi-linuxnet\/dist\/sdk\/providers\/[a-z-]+\.js"\)/);
      expect(p.length).toBeLessThan(800);
    }
  });

  it("has types that resolve under moduleResolution node16 (CommonJS and ESM files) and bundler, skipLibCheck off (newest)", async () => {
    const { dir } = await runs.get(versions.newest)!;
    const use = 'const ns: linuxnet.NamespaceArgs = { name: "x", loopbackUp: true };\nexport const kinds = [linuxnet.Namespace, linuxnet.VethPair, linuxnet.Router, linuxnet.Host];\nexport const args = ns;\n';
    writeFileSync(join(dir, "consumer-cjs.ts"), `import * as linuxnet from "pulumi-linuxnet";\n${use}`);
    writeFileSync(join(dir, "consumer-esm.mts"), `import * as linuxnet from "pulumi-linuxnet";\n${use}`);
    writeFileSync(join(dir, "consumer-bundler.ts"), `import * as linuxnet from "pulumi-linuxnet";\n${use}`);
    const config = (name: string, options: object, files: string[]) =>
      writeFileSync(join(dir, name), JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, types: ["node"], ...options }, files }));
    config("tsconfig.node16.json", { module: "node16", moduleResolution: "node16" }, ["consumer-cjs.ts", "consumer-esm.mts"]);
    config("tsconfig.bundler.json", { module: "preserve", moduleResolution: "bundler" }, ["consumer-bundler.ts"]);
    const tsc = join(dir, "node_modules", ".bin", "tsc");
    for (const p of ["tsconfig.node16.json", "tsconfig.bundler.json"]) {
      const r = spawnSync(tsc, ["-p", join(dir, p)], { encoding: "utf8" });
      expect(`${p}: exit ${r.status} ${r.stdout}${r.stderr}`).toBe(`${p}: exit 0 `);
    }
  });
});

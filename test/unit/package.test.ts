/**
 * What `npm pack` ships: the compiled SDK, provider, reachability model and command with their type declarations,
 * the bin, the first program's template (`pulumi-linuxnet new`), README and package.json — nothing users do not need (tests, sources, source maps,
 * examples, benchmarks, scripts). And what package.json promises: @pulumi/pulumi as a peer
 * (one copy per program), the types, and the paths the state's provider closures require.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..", "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

describe("the npm package", () => {
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
  const files: string[] = r.status === 0 ? JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path).sort() : [];

  it("ships the dist of sdk, provider, model and cli, their declarations, the bin and the licence", () => {
    expect(r.status).toBe(0);
    for (const f of ["bin/pulumi-linuxnet.js", "dist/sdk/index.js", "dist/sdk/index.d.ts", "dist/provider/index.js", "dist/provider/core/marked.js", "dist/cli/main.js", "dist/model/index.js", "dist/model/predict.js", "README.md", "LICENSE", "package.json", "templates/first-program/index.ts", "templates/first-program/package.json", "templates/first-program/Pulumi.yaml"]) {
      expect(files).toContain(f);
    }
    for (const kind of ["namespace", "veth", "bridge", "vlan", "macvlan-network", "macvlan-endpoint", "sysctl", "route", "iptables"]) expect(files).toContain(`dist/sdk/providers/${kind}.js`);
  });

  it("ships nothing else: no tests, sources, source maps, examples, benchmarks or scripts", () => {
    const stray = files.filter((f) => !/^(bin\/pulumi-linuxnet\.js|README\.md|package\.json|LICENSE|templates\/first-program\/(Pulumi\.yaml|package\.json|index\.ts)|dist\/(sdk|provider|model|cli)\/.*\.(js|d\.ts))$/.test(f));
    expect(stray).toEqual([]);
    expect(files.filter((f) => /^(test|examples|bench|scripts|demo|toolchain)\/|^dist\/test\/|\.map$|\.ts$/.test(f) && !f.endsWith(".d.ts") && !f.startsWith("templates/"))).toEqual([]);
  });

  it("takes @pulumi/pulumi as a peer (3.216.0 up to 4) and builds with one pinned as a devDependency", () => {
    expect(pkg.peerDependencies).toEqual({ "@pulumi/pulumi": ">=3.216.0 <4" });
    expect(pkg.dependencies["@pulumi/pulumi"]).toBeUndefined();
    expect(pkg.devDependencies["@pulumi/pulumi"]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("points at the SDK and its types, and lets the dist paths stored provider closures require resolve", () => {
    // No `exports` map: a program inside the checkout imports the package through its self-link
    // (node_modules/pulumi-linuxnet -> ..), and with an exports map ts-node's type check fails
    // there (TS2209: the project root is ambiguous); `main` and `types` serve node16 and bundler.
    expect(pkg.exports).toBeUndefined();
    expect([pkg.main, pkg.types]).toEqual(["dist/sdk/index.js", "dist/sdk/index.d.ts"]);
    // `require("pulumi-linuxnet/dist/provider")` inside every closure; `…/dist/sdk/providers/KIND.js` in states
    const resolve = (spec: string) => require.resolve(spec, { paths: [ROOT] });
    expect(resolve("pulumi-linuxnet/dist/provider")).toBe(join(ROOT, "dist", "provider", "index.js"));
    expect(resolve("pulumi-linuxnet/dist/sdk/providers/namespace.js")).toBe(join(ROOT, "dist", "sdk", "providers", "namespace.js"));
    expect(resolve("pulumi-linuxnet/bin/pulumi-linuxnet.js")).toBe(join(ROOT, "bin", "pulumi-linuxnet.js"));
    expect(resolve("pulumi-linuxnet")).toBe(join(ROOT, "dist", "sdk", "index.js"));
  });
});

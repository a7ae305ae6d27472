/**
 * The API reference (scripts/api-docs.sh, TypeDoc over the SDK's JSDoc) builds without a
 * warning, with a page for every class the package exports, carrying its JSDoc.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..", "..");

describe("the API reference", () => {
  const out = mkdtempSync(join(tmpdir(), "linuxnet-api-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("builds from the JSDoc with no warning, a page per exported class, each with its documentation", () => {
    const r = spawnSync("bash", [join(ROOT, "scripts", "api-docs.sh"), "--strict", out], { cwd: ROOT, encoding: "utf8", timeout: 300_000 });
    const said = `${r.stdout}\n${r.stderr}`;
    expect(said).not.toMatch(/\[warning\]|\[error\]/);
    expect(r.status).toBe(0);
    const sdk = require(join(ROOT, "dist", "sdk", "index.js")) as Record<string, unknown>;
    // Classes (the helper functions, expectReachability and vxlanOverhead, get pages of their own).
    const classes = Object.entries(sdk).filter(([k, v]) => typeof v === "function" && /^[A-Z]/.test(k)).map(([k]) => k).sort();
    expect(classes).toEqual(["Bridge", "Host", "IptablesRule", "LinkShaping", "MacvlanEndpoint", "MacvlanNetwork", "Namespace", "NamespaceFleet", "Probe", "Route", "Router", "Sysctl", "VethPair", "VlanInterface", "VxlanInterface", "VxlanTunnel"]);
    for (const c of classes) expect(existsSync(join(out, "classes", `${c}.html`))).toBe(true);
    expect(readFileSync(join(out, "classes", "Sysctl.html"), "utf8")).toContain("hostWide");
    expect(readFileSync(join(out, "classes", "Namespace.html"), "utf8")).toContain("A named network namespace");
    expect(existsSync(join(out, "interfaces", "NamespaceArgs.html"))).toBe(true);
  });
});

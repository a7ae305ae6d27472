/**
 * How `pulumi-linuxnet orphans` tells that an update of a stack is in progress: a file
 * backend's lock files (where the CLI keeps them), the Cloud's `updateInProgress`; any other
 * backend cannot tell, and that is a refusal, never "none running".
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileBackendDir, runningUpdates, updatesProblem } from "../../../cli/admin/stacks";

describe("a backend's running updates", () => {
  const dir = mkdtempSync(join(tmpdir(), "linuxnet-backend-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds a file backend's folder as the CLI does: query dropped, ~ and relative paths resolved", () => {
    expect(fileBackendDir("file:///tmp/state?metadata=skip")).toBe("/tmp/state");
    expect(fileBackendDir("file://~/state")).toBe(join(homedir(), "state"));
    expect(fileBackendDir("file://~")).toBe(homedir());
    expect(fileBackendDir("file://state", "/work")).toBe("/work/state");
    expect(fileBackendDir("https://api.pulumi.com")).toBeUndefined();
  });

  it("reads a file backend's lock files, in the project's folder and in the older layout without projects", () => {
    const url = `file://${dir}?metadata=skip`;
    const listed = [{ name: "a" }, { name: "organization/p/b" }, { name: "c" }];
    expect(runningUpdates(url, "p", listed)).toEqual([]);
    const locks = join(dir, ".pulumi", "locks");
    mkdirSync(join(locks, "organization", "p", "b"), { recursive: true });
    mkdirSync(join(locks, "organization", "p", "a"), { recursive: true }); // a folder left after the lock went: nothing runs
    writeFileSync(join(locks, "organization", "p", "b", "u1.json"), JSON.stringify({ pid: 42, username: "root", hostname: "lab", timestamp: "2026-01-02T03:04:05Z" }));
    mkdirSync(join(locks, "c"), { recursive: true });
    writeFileSync(join(locks, "c", "u2.json"), ""); // being written: a lock all the same
    expect(runningUpdates(url, "p", listed)).toEqual([
      { stack: "b", how: `pid 42 on lab since 2026-01-02T03:04:05Z (${join(locks, "organization", "p", "b", "u1.json")})` },
      { stack: "c", how: `a lock file, ${join(locks, "c", "u2.json")}` },
    ]);
    // another project's lock is not this project's update
    expect(runningUpdates(url, "q", [{ name: "b" }])).toEqual([]);
  });

  it("takes the Cloud's word, and refuses where the backend cannot tell", () => {
    const listed = [
      { name: "a", updateInProgress: false, lastUpdate: "2026-01-01T00:00:00Z" },
      { name: "org/p/b", updateInProgress: true },
      { name: "c" },
    ];
    expect(runningUpdates("https://api.pulumi.com", "p", listed)).toEqual([{ stack: "b", how: "the backend says so" }]);
    expect(() => runningUpdates("s3://bucket/state?region=x", "p", listed)).toThrow(
      'cannot tell whether a stack of project "p" has an update in progress: the backend s3://bucket/state does not say (`pulumi stack ls` reports no progress there), so nothing can be called lost',
    );
  });

  it("says which stacks run, in one line", () => {
    const one = updatesProblem("p", [{ stack: "b", how: "pid 42 on lab since t (f)" }]);
    expect(one).toBe(
      'stack "b" of project "p" has an update in progress (b: pid 42 on lab since t (f)): what it makes would look lost until the engine checkpoints it; ' +
        "run this again once it has ended (a lock left by a killed command goes with `pulumi cancel --stack NAME`)",
    );
    const two = updatesProblem("p", [
      { stack: "a", how: "x" },
      { stack: "b", how: "y" },
    ]);
    expect(two).toMatch(/^stacks "a", "b" of project "p" have updates in progress \(a: x; b: y\)/);
    expect(two).not.toContain("\n");
  });
});

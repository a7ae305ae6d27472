import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alive, engineOf, procStat } from "../../../provider/hosts/watchdog";

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
};

describe("the watchdog's view of the engine that started the provider", () => {
  const dir = mkdtempSync(join(tmpdir(), "linuxnet-watchdog-"));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads a process's parent and start time from /proc, and nothing for a PID that does not exist", () => {
    expect(procStat(process.pid)).toMatchObject({ ppid: process.ppid, state: expect.stringMatching(/^[RS]$/) });
    expect(procStat(process.pid)!.start).toMatch(/^\d+$/);
    expect(procStat(2 ** 22 + 1)).toBeUndefined(); // above pid_max's ceiling
  });

  it("takes the parent of the plugin's sh wrapper (pulumi-resource-pulumi-nodejs) for the engine", async () => {
    // The wrapper as @pulumi/pulumi ships it: a sh script that runs the provider without exec.
    const wrapper = join(dir, "pulumi-resource-pulumi-nodejs");
    writeFileSync(wrapper, "#!/bin/sh\nsleep 30\n");
    chmodSync(wrapper, 0o755);
    const sh = spawn(wrapper, [], { stdio: "ignore" });
    children.push(sh);
    let provider: number | undefined;
    const childOf = (parent: number) => readdirSync("/proc").map(Number).find((p) => p > 0 && procStat(p)?.ppid === parent);
    await until(() => (provider = childOf(sh.pid!)) !== undefined);
    expect(provider).toBeDefined();
    expect(engineOf(provider!)).toEqual({ pid: process.pid, start: procStat(process.pid)!.start });
    expect(engineOf(sh.pid!)?.pid).toBe(process.pid); // a provider started directly: its parent
  });

  it("calls a process gone once it has exited, and a reused PID another process", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    children.push(child);
    await until(() => procStat(child.pid!) !== undefined);
    const engine = { pid: child.pid!, start: procStat(child.pid!)!.start };
    expect(alive(engine)).toBe(true);
    expect(alive({ ...engine, start: `${Number(engine.start) + 1}` })).toBe(false);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    await until(() => !alive(engine));
    expect(alive(engine)).toBe(false);
  });
});

/**
 * The remote shell's protocol (provider/hosts/shell-session.ts) against a local `sh -s`: the
 * same script an SSH host's shell runs, without ssh. What a command prints, however it looks,
 * is only its output; what it is given, however hostile, reaches it as it is; a shell that dies
 * or hangs is reported as the shell's failure, never as a command's answer.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { ShellSession, STOP_TREE } from "../../../provider/hosts/shell-session";
import { descendants } from "../../support/pulumi";

const dir = mkdtempSync(join(tmpdir(), "linuxnet-shell-"));
const shells: ShellSession[] = [];
/** A local shell speaking the remote protocol; its private folder goes under this file's own temporary directory. */
function shell(timeoutMs = 30_000, tmp = dir): ShellSession {
  const s = new ShellSession(["sh", "-s"], { TMPDIR: tmp }, timeoutMs);
  shells.push(s);
  return s;
}
afterAll(() => {
  for (const s of shells) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A process's NUL-separated /proc file (cmdline, environ) as its entries; none once it has gone. */
const procList = (pid: number, file: "cmdline" | "environ") => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
};
const cmdline = (pid: number) => procList(pid, "cmdline");
/** Our processes whose argv is exactly `argv` (the shell's children are this process's descendants). */
const ours = (...argv: string[]) => descendants(process.pid).filter((pid) => cmdline(pid).join(" ") === argv.join(" "));
async function waitFor<T>(find: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ${what} appeared`);
}
const kill = (pids: number[]) => pids.forEach((pid) => {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* ended already */
  }
});

describe("a long-lived shell's framing, against a local sh", () => {
  it("keeps output that imitates the frame as output, on stdout and on stderr", async () => {
    const s = shell();
    const r = await s.run(["sh", "-c", "printf 'x\\n@LNX-00 1 0\\n@LNX-00 end 1\\nabc\\n'; printf 'warn\\n\\n@LNX-00 end 1\\n' >&2"]);
    expect(r).toEqual({ stdout: "x\n@LNX-00 1 0\n@LNX-00 end 1\nabc", stderr: "warn\n\n@LNX-00 end 1", exitCode: 0 });
    // and the shell is still in step: the next command gets its own answer
    expect(await s.run(["echo", "next"])).toEqual({ stdout: "next", stderr: "", exitCode: 0 });
  });

  it("passes hostile input and arguments through unchanged and runs nothing of them", async () => {
    const s = shell();
    const canary = join(dir, "pwned");
    // Here-document ends (its own delimiter's form, EOF), command substitutions, backquotes,
    // quotes, a backslash, UTF-8, an empty line, and no newline at the end.
    const input = `LNX_0011223344556677\nEOF\n'$(touch ${canary})' \`touch ${canary}\` $(touch ${canary}) \\ "\n\u00e9\u4e2d\u{1F600}\n\nlast line without newline`;
    expect((await s.run(["cat"], input)).stdout).toBe(input);
    const args = [`$(touch ${canary})`, `\`touch ${canary}\``, "a'b\"c", "semi;colon && |pipe", "new\nline", "\u00e9\u4e2d", "", "*", "~", "-n"];
    const printed = await s.run(["printf", "%s\\0", ...args]);
    expect(printed.stdout.split("\0").slice(0, -1)).toEqual(args);
    expect(existsSync(canary)).toBe(false);
  });

  it("gives a command without input an empty stdin, not the rest of the shell's script", async () => {
    const s = shell();
    const [count] = await Promise.all([s.run(["wc", "-c"]), s.run(["echo", "queued behind it"])]);
    expect(count.stdout.trim()).toBe("0");
  });

  it("keeps stderr apart from stdout, and reports each command's exit status", async () => {
    const s = shell();
    expect(await s.run(["sh", "-c", "echo out; echo err >&2; echo out2; exit 3"])).toEqual({ stdout: "out\nout2", stderr: "err", exitCode: 3 });
    expect((await s.run(["false"])).exitCode).toBe(1);
    const missing = await s.run(["no-such-tool-linuxnet"]);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toMatch(/no-such-tool-linuxnet/);
    expect(missing.shellFailed).toBeUndefined();
  });

  it("returns 300 KB of output whole", async () => {
    const s = shell();
    const r = await s.run(["seq", "1", "52000"]); // 300,000+ bytes in lines
    const want = Array.from({ length: 52000 }, (_, k) => String(k + 1)).join("\n");
    expect(Buffer.byteLength(r.stdout)).toBeGreaterThan(300_000);
    expect(r.stdout).toBe(want);
    expect((await s.run(["echo", "after"])).stdout).toBe("after");
  });

  it("answers 40 commands given at once each with its own output", async () => {
    const s = shell();
    const outs = await Promise.all(Array.from({ length: 40 }, (_, k) => s.run(["sh", "-c", `sleep 0.0${k % 5}; echo ${k}; echo e${k} >&2; exit ${k % 7}`])));
    expect(outs.map((o) => `${o.stdout}/${o.stderr}/${o.exitCode}`)).toEqual(Array.from({ length: 40 }, (_, k) => `${k}/e${k}/${k % 7}`));
  });

  it("reports a shell that dies during a command as the shell's failure, and every later command too", async () => {
    const s = shell();
    await s.run(["true"]);
    const running = s.run(["sleep", "30"]);
    const sleep = await waitFor(() => ours("sleep", "30")[0], "sleep 30 under the shell");
    const sh = await waitFor(() => ours("sh", "-s").find((pid) => descendants(pid).includes(sleep)), "the sleep's shell");
    kill([sh, sleep]); // the shell, and the command it left behind (ours, by PID)
    const r = await running;
    expect(r).toMatchObject({ shellFailed: true, stdout: "" });
    expect(r.exitCode).not.toBe(0);
    expect(s.dead).toBe(true);
    expect(await s.run(["echo", "too late"])).toMatchObject({ shellFailed: true, stdout: "" });
  });

  it("gives up on a command that does not answer in time, killing the shell", async () => {
    const s = shell(500);
    const t0 = Date.now();
    let settled = false;
    const running = s.run(["sleep", "20"]).finally(() => (settled = true));
    // The sleep the killed shell leaves behind is ours: noted while it is our descendant, ended by PID.
    const seen = new Set<number>();
    while (!settled) {
      ours("sleep", "20").forEach((pid) => seen.add(pid));
      await new Promise((r) => setTimeout(r, 25));
    }
    const r = await running;
    kill([...seen]);
    expect(r).toMatchObject({ shellFailed: true, timedOut: true, stdout: "" });
    expect(r.stderr).toBe("timed out after 0.5 s (the shell's limit); it may still run on the host"); // no way to end it given
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(s.dead).toBe(true);
  });

  it("ends a command past its limit where it runs, with every process under it, and says so", async () => {
    // What the SSH host gives: STOP_TREE run beside the shell (here: locally).
    const stop = (pid: number) => new Promise<void>((resolve, reject) => execFile("sh", ["-c", STOP_TREE, "sh", String(pid)], (e) => (e ? reject(e) : resolve())));
    const s = new ShellSession(["sh", "-s"], { TMPDIR: dir }, 30_000, stop);
    shells.push(s);
    const running = s.run(["sh", "-c", "sleep 31 & sleep 32; wait"], undefined, { ms: 500, why: "the test's limit" });
    await waitFor(() => (ours("sleep", "31").length && ours("sleep", "32").length ? true : undefined), "the command's two sleeps");
    const r = await running;
    expect(r).toMatchObject({ shellFailed: true, timedOut: true, stdout: "", stderr: "timed out after 0.5 s (the test's limit); it was ended on the host" });
    await waitFor(() => (ours("sleep", "31").length + ours("sleep", "32").length ? undefined : true), "the end of both sleeps");
  });

  it("leaves no file behind once closed", async () => {
    const own = mkdtempSync(join(dir, "closed-"));
    const s = shell(30_000, own);
    await s.run(["sh", "-c", "echo some stderr >&2"]);
    expect(readdirSync(own)).toHaveLength(1); // its folder for stderr, while it runs
    s.close();
    await waitFor(() => (readdirSync(own).length ? undefined : true), "removal of the shell's folder");
    expect(readdirSync(own)).toEqual([]);
  });

  // When the connection drops (the provider's SSH master ended with it), the session's shell may
  // get a signal (a hangup, or SIGPIPE writing to the gone client) before its input ends; a shell
  // killed by a signal skips its EXIT trap, and its folder stayed in the host's /tmp.
  it.each(["SIGHUP", "SIGTERM", "SIGINT"] as const)("leaves no file behind when its shell is ended by %s", async (signal) => {
    const own = mkdtempSync(join(dir, "signalled-"));
    const s = shell(30_000, own);
    await s.run(["sh", "-c", "echo some stderr >&2"]);
    expect(readdirSync(own)).toHaveLength(1);
    const sh = await waitFor(() => ours("sh", "-s").find((pid) => procList(pid, "environ").includes(`TMPDIR=${own}`)), "the shell");
    process.kill(sh, signal);
    s.close(); // then its input ends, as the connection's pipes close
    await waitFor(() => (existsSync(`/proc/${sh}`) ? undefined : true), "the shell's end");
    await waitFor(() => (readdirSync(own).length ? undefined : true), "removal of the shell's folder");
    expect(readdirSync(own)).toEqual([]);
  });
});

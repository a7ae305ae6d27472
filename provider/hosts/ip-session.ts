/**
 * A long-lived `ip -json -details -force -batch -` process: one per namespace of this machine,
 * used by the local host (local.ts; nothing else may start one). Commands go one at a time, each followed by
 * a line `SYNC/<seq>` that ip answers, without touching netlink, with `Object "SYNC/<seq>" is
 * unknown` and `Command failed -:N`; everything before that belongs to the command. ip's
 * stdout and stderr reach us as one ordered stream (one socket for both), so a command's JSON
 * comes before its marker. (On another host, batches go through the host's long-lived shell
 * instead: shell-session.ts says why.)
 *
 * Traps, and what is done about them: ip exits on an argument it cannot parse (the command
 * fails with what ip said, and the next one starts a new process); its name/index cache goes
 * stale when links change behind its back (the host retires its sessions before a deleted
 * name can come back, and retries a "no such device" once on a fresh process); a process
 * whose namespace was deleted would go on in the dead one (the host checks the namespace's
 * inode before each use, and retires the session of a namespace it deletes); `link show` sets
 * process-wide state no later command resets, after which `addr show` prints no addresses (the
 * host never sends it to a session).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, connect, type Socket } from "node:net";
import { seconds } from "./limits";

export interface Step {
  /** Lines ip printed for the command (JSON results, or error text). */
  printed: string[];
  /** The command failed (ip said "Command failed", or exited on it). */
  failed: boolean;
  /** ip exited on this command (an argument it could not parse): the session is dead. */
  exited: boolean;
  /** The session was closed before the command was sent: it did not run at all. */
  notRun?: boolean;
  /** No answer within the session's timeout: the process was killed (the command may have run). */
  timedOut?: boolean;
  /** The process could not be started: there is no `ip` on PATH. */
  notInstalled?: boolean;
}

const SYNC = (seq: number) => `SYNC/${seq}`;
const MARKER = /^Object "SYNC\/(\d+)" is unknown, try "ip help"\.$/;

let sockets = 0;

/** A connected pair of sockets: one end for the child's stdout and stderr, one for us. */
async function socketPair(): Promise<[Socket, Socket]> {
  const path = `\0pulumi-linuxnet-${process.pid}-${++sockets}`; // abstract: no file to clean up
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.listen(path, resolve).once("error", reject));
  const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
  const ours = connect(path);
  const theirs = await accepted;
  server.close();
  return [ours, theirs];
}

export class IpSession {
  private child?: ChildProcess;
  private output?: Socket;
  private buffer = "";
  private seq = 0;
  private lines: string[] = [];
  private wake?: () => void;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer?: NodeJS.Timeout;
  /** Why the process could not be started (an errno code), if it could not. */
  private spawnFailed?: string;
  /** Set when the process exited or was closed: the next use starts a new one. */
  dead = false;
  /** Set when its caches cannot be trusted any more: new work goes to a new session, queued work finishes here. */
  retired = false;
  private busy = 0;
  /** `argv` starts the process; it ends after `idleMs` without work. */
  constructor(
    private readonly argv: readonly string[],
    private readonly idleMs = 2000,
    /** A command not answered in this time kills the process (a hung `ip` must not hang the provider). */
    private readonly timeoutMs = seconds("ip") * 1000,
  ) {}

  private async start(): Promise<void> {
    const [ours, theirs] = await socketPair();
    this.output = ours;
    theirs.unref(); // the child holds its own copy
    setImmediate(() => theirs.destroy());
    const child = spawn(this.argv[0], this.argv.slice(1), { stdio: ["pipe", theirs, theirs], env: { ...process.env, LC_ALL: "C" } });
    this.child = child;
    ours.setEncoding("utf8");
    ours.on("data", (chunk: string) => this.take(chunk));
    // Dead once the process has exited and what it printed has all arrived.
    let [gone, drained] = [false, false];
    const exited = () => {
      if (!gone || !drained) return;
      this.dead = true;
      this.wake?.();
    };
    const ended = () => ((drained = true), exited());
    ours.once("end", ended);
    ours.once("close", ended);
    child.once("exit", () => {
      gone = true;
      setTimeout(ended, 200).unref(); // a stream that never ends: give up waiting for it
      exited();
    });
    child.once("error", (e) => {
      this.spawnFailed = (e as NodeJS.ErrnoException).code;
      this.take(`${e.message}\n`);
      [gone, drained] = [true, true];
      exited();
    });
    child.stdin!.on("error", () => undefined); // a dead child: noticed through "exit"
    this.hold(false);
  }

  /** Keeps the provider process alive while a command waits for its answer, and only then. */
  private hold(on: boolean): void {
    const child = this.child as (ChildProcess & { ref(): void; unref(): void }) | undefined;
    if (on) (child?.ref(), this.output?.ref());
    else (child?.unref(), this.output?.unref());
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    const parts = this.buffer.split("\n");
    this.buffer = parts.pop()!;
    this.lines.push(...parts);
    this.wake?.();
  }

  /** Waits until `done(lines)` holds or the process is gone. */
  private async until(done: () => boolean): Promise<void> {
    while (!done() && !this.dead) await new Promise<void>((r) => (this.wake = r));
    this.wake = undefined;
  }

  /**
   * Runs commands one after another and stops at the first that fails. Batches of different
   * callers never interleave: one waits for the other.
   */
  run(lines: readonly string[]): Promise<Step[]> {
    this.busy++;
    const work = this.queue.then(() => this.runNow(lines)).finally(() => {
      if (--this.busy === 0 && this.retired) this.close();
    });
    this.queue = work.catch(() => undefined);
    return work;
  }

  /** No new work; the process ends once the work already given to it is done. */
  retire(): void {
    this.retired = true;
    if (this.busy === 0) this.close();
  }

  private async runNow(lines: readonly string[]): Promise<Step[]> {
    clearTimeout(this.idleTimer);
    if (!this.child) await this.start();
    this.hold(true);
    const steps: Step[] = [];
    try {
      for (const line of lines) {
        const step = await this.one(line);
        steps.push(step);
        if (step.failed) break;
      }
    } finally {
      this.hold(false);
    }
    if (!this.dead) this.idleTimer = setTimeout(() => this.close(), this.idleMs).unref();
    return steps;
  }

  private async one(line: string): Promise<Step> {
    if (this.dead) return { printed: ["the ip process has exited"], failed: true, exited: true, notRun: true };
    const seq = ++this.seq;
    this.child!.stdin!.write(`${line}\n${SYNC(seq)}\n`);
    const at = () => this.lines.findIndex((l) => MARKER.exec(l)?.[1] === String(seq));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.child?.kill("SIGKILL");
      this.close();
    }, this.timeoutMs);
    await this.until(() => at() >= 0 && this.lines.length > at() + 1).finally(() => clearTimeout(timer)); // the marker and its "Command failed" line
    if (timedOut) {
      this.lines.splice(0);
      return { printed: [`ip did not answer in ${this.timeoutMs / 1000} s (the process was killed; LINUXNET_TIMEOUT_IP changes the limit)`], failed: true, exited: true, timedOut: true };
    }
    const i = at();
    if (i < 0) {
      // ip exited on this command: everything it printed is the reason
      const printed = [...this.lines.splice(0), ...(this.buffer ? [this.buffer] : [])];
      this.buffer = "";
      return { printed, failed: true, exited: true, ...(this.spawnFailed === "ENOENT" && { notInstalled: true }) };
    }
    const mine = this.lines.splice(0, i + 2).slice(0, i);
    if (process.env.LINUXNET_TRACE_FILE) require("node:fs").appendFileSync(process.env.LINUXNET_TRACE_FILE, `[${this.child?.pid} ${this.argv.join(" ")}] ${line}\n${mine.map((l) => `   > ${l.slice(0, 160)}`).join("\n")}\n`);
    const failed = mine.some((l) => /^Command failed /.test(l));
    return { printed: mine.filter((l) => !/^Command failed /.test(l)), failed, exited: false };
  }

  /** Ends the process (it exits at the end of its input) and marks the session for renewal. */
  close(): void {
    this.dead = true;
    clearTimeout(this.idleTimer);
    this.child?.stdin?.end();
    this.output?.destroy();
    this.wake?.();
  }
}

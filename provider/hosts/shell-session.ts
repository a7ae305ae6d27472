/**
 * A long-lived shell on another host, over one ssh channel: the SSH host (hosts/ssh-host.ts; nothing else may start
 * one) sends it every command for that host (an `ip -batch` process per batch, iptables,
 * sysctl, stat, the records' files), so a remote command costs a fork on that host, not a new
 * ssh session. Measured in the full-kernel VM (bench/ssh.sh): opening an ssh channel costs
 * seconds there even over an open master (sshd's per-session setup under emulation) while a
 * fork costs tens of milliseconds; so there is no long-lived `ip -batch` per remote namespace
 * (each would be a channel of its own), and on fast hosts the two measured the same.
 *
 * Protocol, on the shell's stdin (`sh -s`): one setup block (a private folder for stderr,
 * removed when the shell ends), then per command
 *
 *     ARGV 2>"$d/e" <<'DELIM' &             ARGV quoted by ssh.ts's shellQuote, as every argv;
 *     …input…                               its input as a here-document (DELIM random, not
 *     DELIM                                 in the input), or `</dev/null`
 *     p=$!; printf '%s pid %s %s\n' TAG SEQ "$p" >&2; wait "$p"; r=$?
 *     printf '\n%s %s %s\n' TAG SEQ "$r"; [ -s "$d/e" ] && cat "$d/e"; printf '\n%s end %s\n' TAG SEQ
 *
 * TAG is `@LNX-` and 32 random hex digits chosen per shell, never sent anywhere else: the
 * command's stdout runs until the first "\nTAG SEQ rc", its stderr until "\nTAG end SEQ". No
 * command can print the tag without knowing it. Everything but the command itself is a shell
 * builtin (`cat` only when there is stderr), so a command costs the host one fork. The
 * command runs in the background only so that its PID is known (on the shell's own stderr,
 * which carries nothing of the command's): a command that outlives its limit is ended there,
 * with every process under it (`stop`), not left running after the provider gave up on it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { type Limit, timedOut } from "./limits";
import { remoteCommand } from "./ssh";

export interface ShellResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The shell itself failed (ssh could not connect, or it died): the command may not have run. */
  shellFailed?: boolean;
  /** The command outlived its limit (stderr says so, and whether it was ended on the host). */
  timedOut?: boolean;
}

/**
 * A fixed script that ends a process and every process under it: each stopped before its
 * children are listed (none can start another), then all killed. `pgrep` is procps', which
 * the host has for sysctl; without it only the process itself goes.
 */
export const STOP_TREE = 'k() { kill -STOP "$1" 2>/dev/null; for c in $(pgrep -P "$1" 2>/dev/null); do k "$c"; done; kill -KILL "$1" 2>/dev/null; }; k "$1"';

const SETUP = [
  "cd / || exit 1",
  "export LC_ALL=C",
  'd=$(mktemp -d "${TMPDIR:-/tmp}/pulumi-linuxnet.XXXXXX") || exit 1',
  "trap 'rm -rf \"$d\"' EXIT",
  // A shell killed by a signal skips its EXIT trap: when the connection drops (the provider's SSH
  // master ended), a hangup or a write to the gone client (SIGPIPE) must remove $d too. (dash
  // skips the EXIT trap when a signal's trap runs `exit` at the end of input: remove it here.)
  "trap 'rm -rf \"$d\"; exit 1' HUP INT PIPE TERM",
  "",
].join("\n");

interface Pending {
  seq: number;
  resolve: (r: ShellResult) => void;
  timer: NodeJS.Timeout;
  /** The command's PID on the host, once the shell has said it. */
  pid?: number;
  /** Past its limit: being ended; only `expire` answers it now. */
  expired?: boolean;
}

export class ShellSession {
  private child?: ChildProcess;
  private buffer = Buffer.alloc(0);
  private stderr = "";
  private stderrLine = "";
  private seq = 0;
  private readonly tag = `@LNX-${randomBytes(16).toString("hex")}`;
  private pending?: Pending;
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  /** Set when the shell ended: the next command starts another session. */
  dead = false;
  /** Set once the first command has been answered (or the shell has ended): its ssh is connected. */
  isConnected = false;
  private onConnected = () => undefined as void;
  /** Settles when `isConnected` is set. */
  readonly connected = new Promise<void>((r) => (this.onConnected = r));
  private connectedNow(): void {
    this.isConnected = true;
    this.onConnected();
  }

  constructor(
    /** `ssh … -- ` and the remote command, as ssh.ts's sshArgv builds it for `sh -s`. */
    private readonly argv: readonly string[],
    private readonly env: Record<string, string>,
    /** A command's limit unless its caller gives one. */
    private readonly timeoutMs: number,
    /** Ends a process of the host and everything under it (STOP_TREE, over another channel); rejects if it could not. */
    private readonly stop?: (pid: number) => Promise<void>,
  ) {}

  /** No command running or queued. */
  get idle(): boolean {
    return this.waiting === 0 && !this.dead;
  }

  /** How many commands are running or queued here. */
  get load(): number {
    return this.waiting;
  }

  private start(): void {
    const child = spawn(this.argv[0], this.argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C", ...this.env } });
    this.child = child;
    child.stdout!.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      // ssh's own complaints, and the shell's PID lines
      const lines = (this.stderrLine + chunk.toString()).split("\n");
      this.stderrLine = lines.pop()!;
      for (const line of lines) {
        const pid = new RegExp(`^${this.tag} pid (\\d+) (\\d+)$`).exec(line);
        if (pid && this.pending?.seq === Number(pid[1])) this.pending.pid = Number(pid[2]);
        else if (!pid) this.stderr = `${this.stderr}${line}\n`.slice(-4000);
      }
    });
    child.stdin!.on("error", () => undefined); // a dead shell is noticed through "close"
    child.once("error", (e) => {
      this.stderr += `${e.message}\n`;
      this.gone(255);
    });
    // Gone once it exited and its output has all arrived ("close"), or a second after exit if
    // something else (a process it started) still holds its pipes.
    child.once("close", (code) => this.gone(code ?? 255));
    child.once("exit", (code) => setTimeout(() => this.gone(code ?? 255), 1000).unref());
    child.stdin!.write(SETUP);
    this.hold(false);
  }

  private gone(code: number): void {
    this.dead = true;
    this.connectedNow();
    this.stderr += this.stderrLine;
    this.stderrLine = "";
    const p = this.pending;
    if (!p || p.expired) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve({ stdout: "", stderr: this.stderr.trim() || `the shell on the host ended (status ${code})`, exitCode: code, shellFailed: true });
  }

  private parse(): void {
    const p = this.pending;
    if (!p || p.expired) return;
    const head = this.buffer.indexOf(`\n${this.tag} ${p.seq} `);
    if (head < 0) return;
    const headEnd = this.buffer.indexOf(10, head + 1);
    const tail = `\n${this.tag} end ${p.seq}\n`;
    const foot = headEnd < 0 ? -1 : this.buffer.indexOf(tail, headEnd);
    if (foot < 0) return;
    const exitCode = Number(this.buffer.subarray(head + 1, headEnd).toString().split(" ")[2]);
    const stdout = this.buffer.subarray(0, head).toString();
    const stderr = this.buffer.subarray(headEnd + 1, foot).toString();
    this.buffer = this.buffer.subarray(foot + Buffer.byteLength(tail));
    this.pending = undefined;
    clearTimeout(p.timer);
    this.connectedNow();
    p.resolve({ stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, ""), exitCode });
  }

  /** Keeps the provider process alive while a command waits for its answer, and only then. */
  private hold(on: boolean): void {
    const c = this.child as (ChildProcess & { ref(): void; unref(): void }) | undefined;
    const streams = [c?.stdout, c?.stderr] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>;
    if (on) (c?.ref(), streams.forEach((s) => s?.ref?.()));
    else (c?.unref(), streams.forEach((s) => s?.unref?.()));
  }

  /** Runs one argv there; commands of different callers run one after another. */
  run(argv: readonly string[], input?: string, limit?: Limit): Promise<ShellResult> {
    this.waiting++;
    const work = this.queue.then(() => this.runNow(argv, input, limit ?? { ms: this.timeoutMs, why: "the shell's limit" })).finally(() => this.waiting--);
    this.queue = work.catch(() => undefined);
    return work;
  }

  private runNow(argv: readonly string[], input: string | undefined, limit: Limit): Promise<ShellResult> {
    if (this.dead) return Promise.resolve({ stdout: "", stderr: this.stderr.trim() || "the shell on the host has ended", exitCode: 255, shellFailed: true });
    this.stderr = ""; // what ssh says from here on is about this command
    if (!this.child) this.start();
    const seq = ++this.seq;
    let script = `${remoteCommand(argv)} 2>"$d/e" `;
    if (input === undefined) script += "</dev/null &\n";
    else {
      let delim: string;
      do delim = `LNX_${randomBytes(8).toString("hex")}`;
      while (input.includes(delim));
      script += `<<'${delim}' &\n${input.endsWith("\n") || input === "" ? input : `${input}\n`}${delim}\n`;
    }
    script += `p=$!; printf '%s pid %s %s\\n' ${this.tag} ${seq} "$p" >&2; wait "$p"; r=$?\n`;
    script += `printf '\\n%s %s %s\\n' ${this.tag} ${seq} "$r"; [ -s "$d/e" ] && cat "$d/e"; printf '\\n%s end %s\\n' ${this.tag} ${seq}\n`;
    this.hold(true);
    return new Promise<ShellResult>((resolve) => {
      const timer = setTimeout(() => void this.expire(limit), limit.ms);
      this.pending = {
        seq,
        timer,
        resolve: (r) => {
          this.hold(false);
          resolve(r);
        },
      };
      this.child!.stdin!.write(script);
      this.parse();
    });
  }

  /**
   * The command outlived its limit: it is ended on the host (and all under it), then the shell
   * too (its stream may be anywhere in a frame); the answer says which of that was done.
   */
  private async expire(limit: Limit): Promise<void> {
    const p = this.pending;
    if (!p) return;
    p.expired = true;
    let ended = false;
    if (p.pid !== undefined && this.stop) ended = await this.stop(p.pid).then(() => true, () => false);
    this.dead = true;
    this.kill();
    if (this.pending === p) this.pending = undefined;
    const there = ended ? "it was ended on the host" : p.pid === undefined || !this.stop ? "it may still run on the host" : "ending it on the host failed: it may still run there";
    p.resolve({ stdout: "", stderr: `${timedOut(limit)}; ${there}`, exitCode: 255, shellFailed: true, timedOut: true });
  }

  private kill(): void {
    this.child?.kill("SIGKILL");
  }

  /** Ends the shell: it exits at the end of its input (its folder removed by its trap). */
  close(): void {
    this.dead = true;
    this.child?.stdin?.end();
  }
}

/**
 * A machine over SSH. Everything runs through up to three long-lived remote shells per set of
 * connection settings (shell-session.ts: a command costs that host one fork, not an ssh
 * session, which costs seconds on a slow host), over one OpenSSH master connection (ssh.ts).
 * ssh's own failures (unreachable, key refused, host key changed) and a tool missing there are
 * worded here, naming the host, and never taken for "already gone".
 */
import { type Attempt, CommandError, missingTool, toolMissing } from "../core/errors";
import { ipArgv, type Target } from "./batch";
import { type Connection, hostLabel } from "./connection";
import { Host, NETNS_RUN_DIR, type NetnsStat, type RunResult, spawnEach } from "./host";
import { type Limit, limitFor, withConnect } from "./limits";
import { spawnArgv, trace } from "./spawn";
import { ShellSession, STOP_TREE } from "./shell-session";
import { sshArgv, sshProblem } from "./ssh";

/** Shells per host running commands in parallel (each one at a time): channels of one ssh connection, which sshd caps at 10 (MaxSessions). */
const SHELLS_PER_HOST = 3;
/** With LINUXNET_TRANSPORT=spawn every command is an ssh session of its own: at most this many at a time. */
const CHANNELS_PER_HOST = 8;

export class SshHost extends Host {
  readonly label: string;
  private shells: ShellSession[] = [];
  private channels = { free: CHANNELS_PER_HOST, waiting: [] as Array<() => void> };
  private writes = 0;

  constructor(readonly connection: Connection) {
    super();
    this.label = hostLabel(connection);
  }

  async run(argv: readonly string[], attempt?: Attempt, input?: string, limit: Limit = limitFor(argv, input)): Promise<RunResult> {
    if (argv.length === 0) throw new Error("run: empty argv");
    return spawnEach() ? this.spawnRun(argv, attempt, input, limit) : this.shellRun(argv, attempt, input, limit);
  }

  protected spawnBatch(lines: readonly string[], target: Target, family: string): Promise<RunResult> {
    // One `ip -batch` process the host's shell starts.
    return this.run(ipArgv([...(family ? [family] : []), "-json", "-details", "-batch", "-"], target), undefined, lines.join("\n") + "\n");
  }

  /** A command on the host through one of its long-lived shells. */
  private async shellRun(argv: readonly string[], attempt: Attempt | undefined, input: string | undefined, limit: Limit): Promise<RunResult> {
    const shell = await this.shell();
    const t0 = performance.now();
    const result = await shell.run(argv, input, shell.isConnected ? limit : withConnect(limit));
    trace(`shell ${this.label}`, argv, performance.now() - t0, input);
    // Past its limit: the command's own failure, named by its argv, never "the connection ended".
    if (result.timedOut) throw new CommandError(argv, `on ${this.label}: ${result.stderr}`, result.exitCode, attempt);
    if (result.shellFailed) throw this.failed(argv, result.stderr, 255, attempt, true);
    if (result.exitCode !== 0) throw Object.assign(this.failed(argv, result.stderr || result.stdout || `exited ${result.exitCode}`, result.exitCode, attempt), { stdout: result.stdout });
    return { stdout: result.stdout, stderr: result.stderr };
  }

  /** An idle shell, a new one while there are fewer than SHELLS_PER_HOST, else the least loaded. */
  private async shell(): Promise<ShellSession> {
    for (;;) {
      this.shells = this.shells.filter((s) => !s.dead);
      const idle = this.shells.find((s) => s.idle);
      if (idle) return idle;
      if (this.shells.length >= SHELLS_PER_HOST) return this.shells.reduce((a, b) => (b.load < a.load ? b : a));
      if (this.shells.length && !this.shells[0].isConnected) {
        // The first shell opens the host's ssh master: the others wait for it and ride it.
        await this.shells[0].connected;
        continue;
      }
      const remote = sshArgv(this.connection, ["sh", "-s"]);
      const shell = new ShellSession(remote.argv, remote.env, limitFor(["sh"]).ms, (pid) => this.stopThere(pid));
      this.shells.push(shell);
      return shell;
    }
  }

  /** Ends a process of the host and everything under it, over a channel of its own (its shell waits on it). */
  private async stopThere(pid: number): Promise<void> {
    const { argv, env } = sshArgv(this.connection, ["sh", "-c", STOP_TREE, "sh", String(pid)]);
    const r = await spawnArgv(argv, env, undefined, withConnect(limitFor(["kill"])));
    if (r.failed) throw new Error(r.stderr);
  }

  /** A command as an ssh session of its own (LINUXNET_TRANSPORT=spawn). */
  private async spawnRun(argv: readonly string[], attempt: Attempt | undefined, input: string | undefined, limit: Limit): Promise<RunResult> {
    const { argv: full, env } = sshArgv(this.connection, argv);
    const q = this.channels;
    if (q.free > 0) q.free--;
    else await new Promise<void>((r) => q.waiting.push(r));
    const r = await spawnArgv(full, env, input, withConnect(limit)).finally(() => {
      const next = q.waiting.shift();
      if (next) next();
      else q.free++;
    });
    if (r.notInstalled) throw toolMissing(argv, "ssh", undefined, attempt); // this machine has no ssh client
    if (r.failed) throw Object.assign(this.failed(argv, r.stderr, r.exitCode, attempt), { stdout: r.stdout });
    return { stdout: r.stdout, stderr: r.stderr };
  }

  /**
   * The error for a failed command. A tool missing there says so (errors.ts missingTool: the
   * remote shell's 127, or `ip netns exec` finding no such file). Where ssh itself failed (the
   * host unreachable, the key refused, its host key changed, the connection of a remote shell
   * lost: `lost`), that is what the line says. Neither is ever mistaken for "already gone" (a
   * delete must not pass for an unreachable host, a read must not drop what it cannot look at).
   */
  private failed(argv: readonly string[], stderr: string, exitCode: number | undefined, attempt?: Attempt, lost = false): CommandError {
    const tool = lost ? undefined : missingTool(argv, stderr, exitCode);
    if (tool) return toolMissing(argv, tool, this.label, attempt);
    const problem = lost ? (sshProblem(255, stderr) ?? "the connection ended") : sshProblem(exitCode, stderr);
    if (!problem) return new CommandError(argv, stderr, exitCode, attempt);
    const said = stderr.split("\n").map((l) => l.trim()).filter(Boolean).pop() ?? "";
    return new CommandError(argv, `ssh to ${this.label}: ${problem}${said ? ` (${said})` : ""}`, exitCode, attempt, "failed");
  }

  // ── files and namespaces, with the host's own tools (each argument quoted for its shell) ──
  protected async readFile(path: string): Promise<string | undefined> {
    // A fixed script: 3 says "no such file"; cat's own failure (permission) is an error.
    try {
      return (await this.run(["sh", "-c", '[ -e "$1" ] || exit 3; cat "$1"', "sh", path])).stdout;
    } catch (e) {
      if (e instanceof CommandError && e.exitCode === 3) return undefined;
      throw e;
    }
  }

  protected async writeFile(path: string, content: string): Promise<void> {
    const tmp = `${path}.tmp${process.pid}.${++this.writes}`;
    await this.run(["sh", "-c", 'mkdir -p "$1" && cat > "$2" && mv -f "$2" "$3"', "sh", path.slice(0, path.lastIndexOf("/")), tmp, path], undefined, content);
  }

  protected async remove(path: string): Promise<void> {
    await this.run(["rm", "-rf", path]);
  }

  protected async listDir(path: string): Promise<string[]> {
    // A fixed script: no such folder is no names; ls's own failure (permission) is an error.
    const { stdout } = await this.run(["sh", "-c", '[ -d "$1" ] || exit 0; ls -1 "$1"', "sh", path]);
    return stdout.split("\n").filter(Boolean);
  }

  protected async statNetns(name: string): Promise<NetnsStat | undefined> {
    const path = `${NETNS_RUN_DIR}/${name}`;
    try {
      const { stdout } = await this.run(["sh", "-c", '[ -e "$1" ] || exit 3; stat -L -c "%i %.9Z" "$1"', "sh", path], { verb: "read", kind: "namespace", name });
      const [ino, ctime] = stdout.trim().split(" ");
      return { ino: Number(ino), ctimeNs: ctime.replace(".", "") };
    } catch (e) {
      if (e instanceof CommandError && e.exitCode === 3) return undefined;
      throw e;
    }
  }

  protected longLived(argv: readonly string[]): { argv: string[]; env: Record<string, string> } {
    return sshArgv(this.connection, argv);
  }

  protected async ownNetnsInode(): Promise<number> {
    return Number((await this.run(["stat", "-L", "-c", "%i", "/proc/self/ns/net"])).stdout.trim());
  }

  close(): void {
    for (const shell of this.shells) shell.close();
    this.shells = [];
  }
}

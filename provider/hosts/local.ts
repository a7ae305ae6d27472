/**
 * The machine the provider runs on: commands are spawned with execa (argv arrays, never a
 * shell), and `ip` batches go to one long-lived `ip -json -details -force -batch -` process
 * per namespace and address family (ip-session.ts), which answers a command in ~0.2 ms instead
 * of 2–6 ms per spawn.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { type Attempt, CommandError, commandFailed, toolMissing } from "../core/errors";
import { type AttemptOf, attemptFor, deletes, ipArgv, makesNames, parsePrinted, type Target } from "./batch";
import { Host, NETNS_RUN_DIR, type NetnsStat, type RunResult } from "./host";
import { IpSession } from "./ip-session";
import { type Limit, seconds } from "./limits";
import { spawnArgv, trace } from "./spawn";

const STALE = /Cannot find device|No such device|Device not found|does not exist/;

interface Entry {
  session: IpSession;
  /** The namespace's inode when the session started (named namespaces). */
  inode?: number;
}

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === "ENOENT";

export class LocalHost extends Host {
  readonly label = undefined;
  private readonly sessions = new Map<string, Entry>();
  private writes = 0;

  async run(argv: readonly string[], attempt?: Attempt, input?: string, limit?: Limit): Promise<RunResult> {
    if (argv.length === 0) throw new Error("run: empty argv");
    const r = await spawnArgv(argv, {}, input, limit);
    if (r.failed) throw Object.assign(r.notInstalled ? toolMissing(argv, argv[0], undefined, attempt) : commandFailed(argv, r.stderr, r.exitCode, undefined, attempt), { stdout: r.stdout });
    return { stdout: r.stdout, stderr: r.stderr };
  }

  protected spawnBatch(lines: readonly string[], target: Target, family: string): Promise<RunResult> {
    return this.run(ipArgv([...(family ? [family] : []), "-json", "-details", "-batch", "-"], target), undefined, lines.join("\n") + "\n");
  }

  // ── long-lived ip sessions ────────────────────────────────────────────────────────────
  private key = (target: Target, family = "") => `${target.netns ?? ""}\0${family}`;

  /** The live session of a namespace, started anew if it died, was retired, or its namespace was made anew. */
  private sessionFor(target: Target, family: string, inode: number | undefined): IpSession {
    const key = this.key(target, family);
    let entry = this.sessions.get(key);
    if (entry && !entry.session.dead && target.netns && inode !== entry.inode) {
      entry.session.close(); // a process in a deleted namespace would go on in the dead one
      entry = undefined;
    }
    if (!entry || entry.session.dead || entry.session.retired) {
      const argv = ipArgv([...(family ? [family] : []), "-json", "-details", "-force", "-batch", "-"], target);
      entry = { session: new IpSession(argv, undefined, seconds("ip") * 1000), inode };
      this.sessions.set(key, entry);
      trace("session", argv, 0);
    }
    return entry.session;
  }

  /** A link or namespace was deleted since every session was last retired. */
  private deletedSince = false;
  /** A line that can make a link name appear has been started by this process. */
  private madeNames = false;

  /**
   * ip caches the index of every name it has looked up, and trusts it: a link deleted behind a
   * session's back (a veth's peer, macvlans on a VLAN, a namespace's veth peers: a delete can
   * reach other namespaces) leaves its name cached with the old index. While the name stays
   * gone that does no harm (the kernel has no link of that index either: the answer is the
   * same). Once the name comes back under a new index, a `show` of it prints nothing, as if it
   * were gone (a set fails "No such device", which is retried on a fresh process). Indices are
   * not reused (the kernel counts them up per namespace), so only a name that comes back
   * matters. So: a deleted namespace's own sessions are retired at once (they would keep it
   * alive); once this process has made names, every delete retires every session (a create
   * may be under way beside it); until then a delete only marks the sessions stale, and they
   * are all retired before the first line that can make a name appear. Retired: its queued
   * work finishes, new work goes to a fresh process. A destroy, all deletes, keeps its sessions.
   */
  protected touched(lines: readonly (readonly string[])[]): void {
    for (const line of lines.filter(deletes)) {
      if (line[0] === "netns") for (const [key, { session }] of this.sessions) if (key.startsWith(`${line[2]}\0`)) session.retire();
      if (this.madeNames) this.retireAll();
      else this.deletedSince = true;
    }
  }

  protected before(lines: readonly (readonly string[])[]): void {
    if (!lines.some(makesNames)) return;
    this.madeNames = true;
    if (this.deletedSince) this.retireAll();
  }

  private retireAll(): void {
    this.deletedSince = false;
    for (const { session } of this.sessions.values()) session.retire();
  }

  protected async sessionBatch(commands: readonly (readonly string[])[], lines: readonly string[], target: Target, attempt: AttemptOf | undefined, family: string): Promise<unknown[][]> {
    // One look at the namespace per batch: that it is there, and the same one as its session's.
    const inode = target.netns ? (await this.statNetns(target.netns))?.ino : undefined;
    if (target.netns && inode === undefined) {
      // No process to start in a namespace that is not there: what `ip -n` would say.
      const err = new CommandError(ipArgv(commands[0], target), `Cannot open network namespace "${target.netns}": No such file or directory`, 255, attemptFor(attempt, commands[0]));
      err.line = commands[0];
      throw err;
    }
    let steps = await this.sessionFor(target, family, inode).run(lines);
    // Closed by another operation between being handed out and being used: on a fresh one.
    for (let tries = 0; steps.at(-1)?.notRun && tries < 3; tries++) {
      const done = steps.length - 1;
      steps = [...steps.slice(0, done), ...(await this.sessionFor(target, family, inode).run(lines.slice(done)))];
    }
    const failedAt = steps.length - 1;
    const last = steps[failedAt];
    if (last?.failed && !last.timedOut && STALE.test(last.printed.join("\n"))) {
      // Perhaps a cache gone stale behind the session's back: once more from there, on a fresh process.
      this.sessions.get(this.key(target, family))?.session.retire();
      steps = [...steps.slice(0, failedAt), ...(await this.sessionFor(target, family, inode).run(lines.slice(failedAt)))];
    }
    this.touched(commands.slice(0, steps.length));
    const failure = steps.findIndex((s) => s.failed);
    if (failure >= 0) {
      const line = commands[failure];
      if (steps[failure].notInstalled) throw Object.assign(toolMissing(ipArgv(line, target), "ip", undefined, attemptFor(attempt, line)), { line });
      const said = steps[failure].printed.join("\n") || "ip exited";
      const err = new CommandError(ipArgv(line, target), `${said}\nCommand failed -:${failure + 1}`, steps[failure].exited ? 255 : 1, attemptFor(attempt, line));
      err.line = line;
      throw err;
    }
    return parsePrinted(steps.flatMap((s) => s.printed), target, attemptFor(attempt, commands[0]));
  }

  // ── files and namespaces ──────────────────────────────────────────────────────────────
  protected async readFile(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, "utf8");
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  protected async writeFile(path: string, content: string): Promise<void> {
    await mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const tmp = `${path}.tmp${process.pid}.${++this.writes}`;
    await writeFile(tmp, content);
    await rename(tmp, path); // whole or not at all
  }

  protected remove(path: string): Promise<void> {
    return rm(path, { recursive: true, force: true });
  }

  protected async listDir(path: string): Promise<string[]> {
    try {
      return await readdir(path);
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
  }

  protected async statNetns(name: string): Promise<NetnsStat | undefined> {
    try {
      const s = await stat(`${NETNS_RUN_DIR}/${name}`, { bigint: true });
      return { ino: Number(s.ino), ctimeNs: String(s.ctimeNs) };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw new CommandError(["stat", `${NETNS_RUN_DIR}/${name}`], String((e as Error).message), undefined, { verb: "read", kind: "namespace", name });
    }
  }

  protected longLived(argv: readonly string[]): { argv: string[]; env: Record<string, string> } {
    return { argv: [...argv], env: {} };
  }

  protected async ownNetnsInode(): Promise<number> {
    return Number((await stat("/proc/self/ns/net")).ino);
  }

  close(): void {
    for (const { session } of this.sessions.values()) session.close();
    this.sessions.clear();
  }
}

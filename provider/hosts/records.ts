/**
 * The records: what the provider must remember about kernel state that has no place for an
 * ownership mark (a sysctl's value found before, a parent's promiscuous flag and the networks
 * that set it, which stack made a route, a qdisc or an nf_tables table). Each is a small JSON
 * file under /run, a tmpfs: it survives any crash of the CLI or the provider and goes when the
 * kernel state does (a reboot). They are kept per namespace, under
 * `/run/pulumi-linuxnet/<namespace id>/<kind>/<key>`: a named namespace by its inode and the
 * time its nsfs inode came to be (inode numbers are reused at once; a bind-mounted namespace's
 * inode time is stable), the provider's own by its inode.
 *
 * Records are shared between resources and between stacks (two provider processes at once),
 * so every change is one step under a lock held across processes on that host: the record
 * read, the caller's decision (and the kernel change it describes, where it must not be
 * separated from it), and the write, atomic (a temporary file renamed). The lock is a kernel
 * one: `flock` on /run/pulumi-linuxnet/.lock through a file descriptor that a long-lived shell
 * of the host (this machine's, or one over SSH) keeps open. flock locks belong to the open
 * file, not to the process that took them, so `flock -x 9` run by that shell holds the lock
 * until `flock -u 9`, and the kernel drops it when the shell ends: a provider killed with
 * SIGKILL closes the shell's input, the shell exits, and the next run is never wedged by a
 * lock nobody holds (no pid file to guess about).
 */
import { CommandError } from "../core/errors";
import type { Undo } from "../core/undo";
import { ShellSession } from "./shell-session";
import type { Target } from "./batch";
import { seconds } from "./limits";

export const RECORD_DIR = "/run/pulumi-linuxnet";
/** The host's records lock (inside the folder: a test host with a private /run/pulumi-linuxnet has its own). */
export const LOCK_FILE = `${RECORD_DIR}/.lock`;
/** How long a step waits for another process's step before it gives up (a step takes milliseconds). */
const LOCK_WAIT_S = 60;

/** What a host supplies: its file primitives, the namespace's record folder, and how to start a long-lived process there. */
export interface RecordFiles {
  /** The host as messages name it; undefined for this machine. */
  label(): string | undefined;
  readFile(path: string): Promise<string | undefined>;
  writeFile(path: string, content: string): Promise<void>;
  remove(path: string): Promise<void>;
  listDir(path: string): Promise<string[]>;
  /** The namespace's record folder name; undefined when it does not exist. */
  namespaceId(target: Target): Promise<string | undefined>;
  /** An argv (and environment) that runs `argv` on the host as a long-lived process with pipes. */
  longLived(argv: readonly string[]): { argv: string[]; env: Record<string, string> };
}

/** What a step decides: the record afterwards (undefined: none), or `keep` it as it is; and what the step returns. */
export type Outcome<T, R> = ({ keep: true } | { keep?: false; record: T | undefined }) & { result?: R };

/**
 * A step: `now` is the record as it is; `save` writes one at once, still under the lock (the
 * record of a kernel change the step makes next: a crash then leaves it behind, not the change
 * without it). If the step throws after a save, the record goes back to `now`.
 */
export type Step<T, R> = (now: T | undefined, save: (record: T | undefined) => Promise<void>) => Promise<Outcome<T, R>> | Outcome<T, R>;

export interface ChangeOptions<T> {
  /** Where the step registers its undo (a transaction's `onFailure`): the change is undone when the step it belongs to fails. */
  onFailure?: (undo: Undo) => void;
  /**
   * The undo, as a step of its own; default: the record goes back to what it was, if it still
   * holds what this step wrote (a record changed by another step since is left to it).
   */
  undo?: Step<T, unknown>;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class Records {
  private queue: Promise<unknown> = Promise.resolve();
  private shell?: ShellSession;

  constructor(private readonly files: RecordFiles) {}

  private where(path: string): string {
    const label = this.files.label();
    return `${path}${label ? ` on ${label}` : ""}`;
  }

  private async path(target: Target, kind: string, key: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9_.@+:\/%-]+$/.test(key) || key.includes("..")) throw new Error(`record key ${JSON.stringify(key)} cannot name a file safely`);
    const id = await this.files.namespaceId(target);
    return id && `${RECORD_DIR}/${id}/${kind}/${encodeURIComponent(key)}`;
  }

  private async readAt<T>(path: string | undefined): Promise<T | undefined> {
    if (!path) return undefined;
    let text: string | undefined;
    try {
      text = await this.files.readFile(path);
    } catch (e) {
      throw new Error(`the record ${this.where(path)} cannot be read: ${(e as Error).message}`);
    }
    if (text === undefined || text === "") return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new Error(`the record ${this.where(path)} is corrupt (${(e as Error).message}); remove it by hand after checking the setting it describes`);
    }
  }

  /** A record; undefined when there is none (or no such namespace). One that cannot be read or parsed is an error naming the file and host. */
  async read<T>(target: Target, kind: string, key: string): Promise<T | undefined> {
    return this.readAt<T>(await this.path(target, kind, key));
  }

  /** The keys of a namespace's records of one kind. */
  async keys(target: Target, kind: string): Promise<string[]> {
    const id = await this.files.namespaceId(target);
    const names = id ? await this.files.listDir(`${RECORD_DIR}/${id}/${kind}`) : [];
    return names.filter((n) => n && !/\.tmp\d+\.\d+$/.test(n)).map((n) => decodeURIComponent(n)); // not a write in flight
  }

  /**
   * One change of a record as one step under the host's lock: `step` gets the record as it is
   * (undefined: none) and says what it becomes; whatever else it does (a kernel change the
   * record describes) happens under the lock too. A record that cannot be read or parsed fails
   * the step before `step` runs. Steps must not nest (a step that waits for another deadlocks).
   */
  async change<T, R = void>(target: Target, kind: string, key: string, step: Step<T, R>, options: ChangeOptions<T> = {}): Promise<R> {
    const path = await this.path(target, kind, key);
    const { was, wrote, outcome } = await this.locked(async () => {
      const was = await this.readAt<T>(path);
      let saved = false;
      const save = (record: T | undefined) => ((saved = true), this.put(path, target, record));
      let outcome: Outcome<T, R>;
      try {
        outcome = await step(was, save);
      } catch (e) {
        if (saved) await this.put(path, target, was).catch((undoErr) => void ((e as Error).message += `; putting back the record also failed: ${(undoErr as Error).message}`));
        throw e;
      }
      if (outcome.keep && !saved) return { was, wrote: was, outcome };
      if (outcome.keep) throw new Error("a step that saved a record must say what it becomes");
      await this.put(path, target, outcome.record);
      return { was, wrote: outcome.record, outcome };
    });
    if (options.onFailure && wrote !== was) {
      const undo: Step<T, unknown> = options.undo ?? ((now) => (same(now, wrote) ? { record: was } : { keep: true }));
      options.onFailure(() => this.change(target, kind, key, undo));
    }
    return outcome.result as R;
  }

  /** Writes (undefined: removes) a record whole, under the lock, whatever it held (a corrupt one too). */
  async set(target: Target, kind: string, key: string, record: unknown): Promise<void> {
    const path = await this.path(target, kind, key);
    await this.locked(() => this.put(path, target, record));
  }

  private async put(path: string | undefined, target: Target, record: unknown): Promise<void> {
    if (record === undefined) {
      if (path) await this.files.remove(path);
      return;
    }
    if (!path) throw new CommandError([], `Cannot open network namespace "${target.netns}": No such file or directory`, 1);
    await this.files.writeFile(path, JSON.stringify(record));
  }

  /** The name of a namespace's record folder (its identity), taken before the namespace goes; undefined: no such namespace. */
  folder(target: Target): Promise<string | undefined> {
    return this.files.namespaceId(target);
  }

  /** Removes a namespace's record folder, by the name `folder` gave (the namespace may be gone already). */
  async removeFolder(id: string): Promise<void> {
    if (!/^\d+(-\d+)?$/.test(id)) throw new Error(`record folder ${JSON.stringify(id)} is no namespace identity`);
    await this.locked(() => this.files.remove(`${RECORD_DIR}/${id}`));
  }

  /** Forgets every record of a namespace (its state goes with it). */
  async removeAll(target: Target): Promise<void> {
    const id = await this.folder(target);
    if (id) await this.removeFolder(id);
  }

  // ── the lock ────────────────────────────────────────────────────────────────────────────
  /** Runs `work` holding the host's records lock: first among this process's steps, then across processes. */
  locked<R>(work: () => Promise<R>): Promise<R> {
    const next = this.queue.then(async () => {
      await this.acquire();
      try {
        return await work();
      } finally {
        await this.release();
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private lockShell(): ShellSession {
    if (!this.shell || this.shell.dead) {
      // The shell opens the lock file as its fd 9 and keeps it open for its whole life.
      const { argv, env } = this.files.longLived(["sh", "-c", 'mkdir -p "$1" && exec 9>>"$2" && exec sh -s', "sh", RECORD_DIR, LOCK_FILE]);
      this.shell = new ShellSession(argv, env, (LOCK_WAIT_S + seconds("command")) * 1000); // flock waits LOCK_WAIT_S itself
    }
    return this.shell;
  }

  private async acquire(): Promise<void> {
    for (let tries = 0; ; tries++) {
      // 5: not within the wait. 4: the lock file was removed and made anew since the shell opened
      // it (someone removed the folder): a lock on the old file excludes nobody; a fresh shell
      // opens the new one. Any other status is flock's own (127: not installed).
      // /proc/self/fd, not /dev/fd: a host without udev (a minimal VM) has no /dev/fd link.
      const r = await this.lockShell().run(["sh", "-c", 'flock -E 5 -x -w "$1" 9 || exit; [ /proc/self/fd/9 -ef "$2" ] || exit 4', "sh", String(LOCK_WAIT_S), LOCK_FILE]);
      if (r.exitCode === 0) return;
      this.shell?.close();
      if (r.exitCode === 4 && tries < 2) continue;
      const why =
        r.exitCode === 5
          ? `another process has held it for over ${LOCK_WAIT_S} s`
          : /flock: (?:command )?not found|flock: No such file/.test(r.stderr)
            ? "`flock` is not installed there (install util-linux)"
            : r.exitCode === 4
              ? "the lock file it holds open is not the one at that path, also from a fresh shell (something keeps replacing it)"
              : r.stderr.split("\n").filter(Boolean).pop() || `exit status ${r.exitCode}`;
      throw new Error(`cannot lock the records (${this.where(LOCK_FILE)}): ${why}`);
    }
  }

  private async release(): Promise<void> {
    const shell = this.shell;
    if (!shell) return;
    const r = await shell.run(["flock", "-u", "9"]);
    if (r.exitCode !== 0) shell.close(); // the shell's end drops the lock too
  }

  /** Ends the lock's shell (the kernel drops the lock with it). */
  close(): void {
    this.shell?.close();
    this.shell = undefined;
  }
}

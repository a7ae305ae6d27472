/**
 * A machine the provider works on: this one (local.ts) or one over SSH (ssh-host.ts). A
 * handler gets its host once, from the resource's `connection` (index.ts `hostFor`), and
 * passes it down; nothing asks for it from an ambient store. The host is the only thing that
 * starts processes, and every cache (its `ip` sessions or shells, what it has found out about
 * its tools, its locks) belongs to it, so two hosts never share an answer.
 *
 * What is the same on every host is written here once, over a few primitives an
 * implementation supplies: running an argv, running a batch of `ip` commands, and reading,
 * writing and removing a small file (the records) or telling a namespace's identity.
 */
import { type Attempt, CommandError } from "../core/errors";
import { type Limit, probeLimit } from "./limits";
import { Records } from "./records";
import { type AttemptOf, attemptFor, batchable, batchError, batchLine, execArgv, familyOf, ipArgv, needsOwnProcess, parsePrinted, sessionable, type Target, withoutOptions } from "./batch";

export type { AttemptOf, Target } from "./batch";
export { execArgv, ipArgv } from "./batch";

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface BatchOptions {
  /**
   * The first `atomic` commands are handed to `ip` in one piece, which stops at the first that
   * fails: an object and its ownership mark (the add and the alias) are made by one process
   * that finishes them even if the provider dies the moment after.
   */
  atomic?: number;
}

/** Where `ip netns` keeps its named namespaces (iproute2's NETNS_RUN_DIR). */
export const NETNS_RUN_DIR = "/run/netns";

/** Where the records live (hosts/records.ts). */
export { RECORD_DIR } from "./records";

/** "session" (default): long-lived processes; "spawn": one process (or ssh session) per command. */
export const spawnEach = () => process.env.LINUXNET_TRANSPORT === "spawn";

/** A namespace file's identity: its inode, and the time its nsfs inode came to be (ns). */
export interface NetnsStat {
  ino: number;
  ctimeNs: string;
}

export abstract class Host {
  /** The host as messages name it (`user@host:port`); undefined for the machine the provider runs on. */
  abstract readonly label: string | undefined;

  /**
   * Runs one argv (never a shell) and returns its output, or throws a CommandError worded from
   * `attempt`. `limit`: how long it may take (default: by what the argv is, limits.ts).
   */
  abstract run(argv: readonly string[], attempt?: Attempt, input?: string, limit?: Limit): Promise<RunResult>;

  /** The batch as one `ip -json -details -batch -` process of its own (and whatever the host does after a delete). */
  protected abstract spawnBatch(lines: readonly string[], target: Target, family: string): Promise<RunResult>;

  /** The batch on long-lived processes, where this host keeps them; undefined: it does not (then spawnBatch). */
  protected sessionBatch?(commands: readonly (readonly string[])[], lines: readonly string[], target: Target, attempt: AttemptOf | undefined, family: string): Promise<unknown[][]>;

  /** After commands ran in a spawned batch: what the host must forget (ip sessions' caches after a delete). */
  protected touched(_lines: readonly (readonly string[])[], _target: Target): void {}

  /** Before commands run, however they run: what the host must forget first (ip sessions' caches before a name can come back). */
  protected before(_lines: readonly (readonly string[])[]): void {}

  /** A file's text; undefined only when there is no such file (any other failure throws). */
  protected abstract readFile(path: string): Promise<string | undefined>;
  /** Writes a file whole or not at all (a temporary file renamed), making its folder. */
  protected abstract writeFile(path: string, content: string): Promise<void>;
  /** Removes a file or a folder with what it holds; one already gone is fine, any other failure throws. */
  protected abstract remove(path: string): Promise<void>;
  /** The names in a folder; none when there is no such folder (any other failure throws). */
  protected abstract listDir(path: string): Promise<string[]>;
  /** A named namespace's identity; undefined when it does not exist (any other failure throws). */
  protected abstract statNetns(name: string): Promise<NetnsStat | undefined>;
  /** The inode of the namespace the provider's commands run in when no netns is given. */
  protected abstract ownNetnsInode(): Promise<number>;

  /** Ends every long-lived process of this host. */
  abstract close(): void;

  // ── facts and locks, per host ─────────────────────────────────────────────────────────
  private readonly facts = new Map<string, Promise<unknown>>();
  /**
   * What this host says about itself (which iptables backend it has), asked once: the answer is
   * kept for the life of the process, a failure never (the next caller asks again), so one
   * dropped connection does not stand for the host's answer. Callers at the same time share one look.
   */
  fact<T>(key: string, find: () => Promise<T>): Promise<T> {
    const known = this.facts.get(key);
    if (known) return known as Promise<T>;
    const asked = find();
    this.facts.set(key, asked);
    asked.catch(() => {
      if (this.facts.get(key) === asked) this.facts.delete(key);
    });
    return asked;
  }

  private readonly locks = new Map<string, Promise<unknown>>();
  /** Runs `work` after every earlier work of the same key on this host has finished. */
  serialize<T>(key: string, work: () => Promise<T>): Promise<T> {
    const next = (this.locks.get(key) ?? Promise.resolve()).then(work);
    this.locks.set(key, next.catch(() => undefined));
    return next;
  }

  // ── ip ────────────────────────────────────────────────────────────────────────────────
  async ip(args: readonly string[], target: Target = {}, attempt?: Attempt): Promise<RunResult> {
    if (spawnEach() || !batchable(args) || !sessionable(args)) {
      this.before([args]);
      try {
        return await this.run(ipArgv(args, target), attempt);
      } finally {
        this.touched([args], target);
      }
    }
    const printed = await this.ipBatch([args], target, attempt);
    return { stdout: printed.map((p) => JSON.stringify(p)).join("\n"), stderr: "" };
  }

  /** `ip -json …`, parsed. iproute2 prints nothing (not `[]`) for some empty results. */
  async ipJson<T = unknown>(args: readonly string[], target: Target = {}, attempt?: Attempt): Promise<T[]> {
    if (!spawnEach() && batchable(args)) return ((await this.ipBatch([args], target, attempt))[0] ?? []) as T[];
    const { stdout } = await this.run(ipArgv(["-json", ...args], target), attempt);
    if (!stdout.trim()) return [];
    try {
      const parsed: unknown = JSON.parse(stdout);
      if (!Array.isArray(parsed)) throw new Error("not an array");
      return parsed as T[];
    } catch (e) {
      throw new CommandError(ipArgv(["-json", ...args], target), `unparsable JSON from ip: ${(e as Error).message}`, 0, attempt);
    }
  }

  /**
   * Several `ip` commands, in order, stopping at the first that fails (its error names that
   * command). Commands that show something print one JSON array each; those arrays are
   * returned in order, so a batch can change a link and read it back.
   */
  async ipBatch(commands: readonly (readonly string[])[], target: Target = {}, attempt?: AttemptOf, options: BatchOptions = {}): Promise<unknown[][]> {
    if (commands.length === 0) return [];
    this.before(commands);
    const lines = commands.map((c) => batchLine(withoutOptions(c).rest));
    if (commands.some(needsOwnProcess)) {
      // Global options a batch line cannot carry: each command as its own `ip`.
      const out: unknown[][] = [];
      for (const c of commands) {
        const { stdout } = await this.run(ipArgv(["-json", ...c], target), attemptFor(attempt, c));
        out.push(...parsePrinted(stdout.split("\n"), target, attemptFor(attempt, c)));
      }
      return out;
    }
    const family = familyOf(commands);
    if (family === undefined) {
      // Mixed families: each command on its own.
      const out: unknown[][] = [];
      for (const [k, c] of commands.entries()) out.push(...(await this.batchOnce([c], [lines[k]], target, attempt, withoutOptions(c).family)));
      return out;
    }
    if (!this.sessionBatch || spawnEach() || !commands.every(sessionable)) return this.batchOnce(commands, lines, target, attempt, family);
    const head = options.atomic ?? 0;
    const printed = head ? await this.batchOnce(commands.slice(0, head), lines.slice(0, head), target, attempt, family) : [];
    const rest = commands.slice(head);
    return [...printed, ...(rest.length ? await this.sessionBatch(rest, lines.slice(head), target, attempt, family) : [])];
  }

  private async batchOnce(commands: readonly (readonly string[])[], lines: readonly string[], target: Target, attempt: AttemptOf | undefined, family: string): Promise<unknown[][]> {
    let stdout: string;
    try {
      ({ stdout } = await this.spawnBatch(lines, target, family));
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      throw batchError(e, commands, target, attempt);
    } finally {
      this.touched(commands, target);
    }
    return parsePrinted(stdout.split("\n"), target, attemptFor(attempt, commands[0]));
  }

  // ── namespaces ────────────────────────────────────────────────────────────────────────
  /** The inode of a named namespace. */
  async netnsInode(name: string): Promise<number> {
    const s = await this.statNetns(name);
    if (!s) throw new CommandError(["stat", `${NETNS_RUN_DIR}/${name}`], `${NETNS_RUN_DIR}/${name}: No such file or directory`, 1, { verb: "read", kind: "namespace", name }, "not-found");
    return s.ino;
  }

  /** Whether a named namespace exists. An unreachable host is an error, never "not there". */
  async netnsExists(name: string): Promise<boolean> {
    return (await this.statNetns(name)) !== undefined;
  }

  // ── records (hosts/records.ts) ────────────────────────────────────────────────────────
  /** An argv (and environment) that runs `argv` on this host as a long-lived process with pipes. */
  protected abstract longLived(argv: readonly string[]): { argv: string[]; env: Record<string, string> };

  /** This host's records, changed under its cross-process lock (see records.ts). */
  readonly records = new Records({
    label: () => this.label,
    readFile: (p) => this.readFile(p),
    writeFile: (p, c) => this.writeFile(p, c),
    remove: (p) => this.remove(p),
    listDir: (p) => this.listDir(p),
    namespaceId: (t) => this.namespaceId(t),
    longLived: (argv) => this.longLived(argv),
  });

  private async namespaceId(target: Target): Promise<string | undefined> {
    if (!target.netns) return String(await this.ownNetnsInode());
    const s = await this.statNetns(target.netns);
    return s && `${s.ino}-${s.ctimeNs}`;
  }

  /** A record; undefined when there is none (or no such namespace). A record that cannot be read or parsed is an error naming the file and host. */
  readRecord<T>(target: Target, kind: string, key: string): Promise<T | undefined> {
    return this.records.read<T>(target, kind, key);
  }

  /** Writes a record whole, as one locked step (a change that depends on the record is `records.change`). */
  writeRecord(target: Target, kind: string, key: string, value: unknown): Promise<void> {
    return this.records.set(target, kind, key, value);
  }

  /** Removes a record (a corrupt one too), as one locked step; one already gone is fine. */
  removeRecord(target: Target, kind: string, key: string): Promise<void> {
    return this.records.set(target, kind, key, undefined);
  }

  /** The keys of a namespace's records of one kind (what a listing of the marked objects reads). */
  recordKeys(target: Target, kind: string): Promise<string[]> {
    return this.records.keys(target, kind);
  }

  /** The name of a namespace's record folder, to remove it once the namespace is gone (`removeRecordFolder`). */
  recordFolder(target: Target): Promise<string | undefined> {
    return this.records.folder(target);
  }

  removeRecordFolder(id: string): Promise<void> {
    return this.records.removeFolder(id);
  }

  /** Forgets every record of a namespace (when the stack deletes it: its state goes with it). */
  removeRecords(target: Target): Promise<void> {
    return this.records.removeAll(target);
  }

  /** Any other tool inside a namespace of this host; `limit` as for run, or a probe's own seconds (limits.ts adds the command limit). */
  exec(argv: readonly string[], target: Target = {}, attempt?: Attempt, input?: string, limit?: Limit | { probeSeconds: number }): Promise<RunResult> {
    return this.run(execArgv(argv, target), attempt, input, limit && "probeSeconds" in limit ? probeLimit(limit.probeSeconds) : limit);
  }
}

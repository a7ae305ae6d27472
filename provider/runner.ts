/**
 * The one place that spawns processes. Everything the provider does to the kernel goes
 * through `run`: argv arrays only (never a shell), a namespace target turned into
 * `ip -n NS …` / `ip netns exec NS …`, `-json` output parsed here, stderr turned into a
 * typed CommandError that says what was attempted on which object.
 */
import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";
import type { Attempt } from "./errors";
import { CommandError } from "./errors";
import { IpSession } from "./ip-session";
import { ShellSession } from "./shell-session";
import { sshArgv, sshProblem } from "./ssh";
import { type Connection, here, hostLabel } from "./where";

/** Where a command runs. Omitted netns: the namespace the provider process itself is in. */
export interface Target {
  netns?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

// execa is ESM-only; a dynamic import keeps this module loadable with require() (the
// dynamic-provider process and jest both load it as CommonJS) and defers its ~50 ms import
// until the first command actually runs.
type Execa = typeof import("execa", { with: { "resolution-mode": "import" } }).execa;
let execaPromise: Promise<Execa> | undefined;
function loadExeca(): Promise<Execa> {
  execaPromise ??= import("execa").then((m) => m.execa);
  return execaPromise;
}

const TIMEOUT_MS = 120_000;

/**
 * Runs one argv and returns its output, or throws a CommandError worded from `attempt`. On a
 * handler's connection (where.ts) the argv runs on that host, through ssh.
 */
export async function run(argv: readonly string[], attempt?: Attempt, input?: string): Promise<RunResult> {
  if (argv.length === 0) throw new Error("run: empty argv");
  const conn = here();
  if (conn && transport() === "session") return shellRun(conn, argv, attempt, input);
  const execa = await loadExeca();
  const { argv: full, env } = conn ? sshArgv(conn, argv) : { argv: [...argv], env: {} };
  if (process.env.LINUXNET_TRACE) process.stderr.write(`linuxnet: ${full.join(" ")}\n`);
  if (process.env.LINUXNET_TRACE_FILE) appendFileSync(process.env.LINUXNET_TRACE_FILE, `[spawn] ${full.join(" ")} <<< ${(input ?? "").replace(/\n/g, " ; ")}\n`);
  const t0 = performance.now();
  const release = conn ? await channel(conn) : () => undefined;
  const result = await execa(full[0], full.slice(1), {
    input,
    reject: false,
    timeout: TIMEOUT_MS,
    stripFinalNewline: true,
    env: { LC_ALL: "C", ...env },
  }).finally(release);
  // The benchmark sums the provider's spawns (count, wall ms) across the dynamic-provider process.
  if (process.env.LINUXNET_SPAWN_LOG) appendFileSync(process.env.LINUXNET_SPAWN_LOG, `${(performance.now() - t0).toFixed(2)} ${argv.join(" ")}\n`);
  if (result.failed) {
    const stderr = String(result.stderr || (result.timedOut ? `timed out after ${TIMEOUT_MS} ms` : result.shortMessage) || "");
    throw commandFailed(argv, stderr, result.exitCode, attempt);
  }
  return { stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") };
}

/**
 * With LINUXNET_TRANSPORT=spawn every command on a host is an ssh session of its own over the
 * host's one connection, which sshd allows 10 at once (MaxSessions): at most 8 run at a time.
 */
const CHANNELS_PER_HOST = 8;
const channelQueues = new Map<string, { free: number; waiting: Array<() => void> }>();

async function channel(conn: Connection): Promise<() => void> {
  const key = connectionKey(conn);
  const q = channelQueues.get(key) ?? channelQueues.set(key, { free: CHANNELS_PER_HOST, waiting: [] }).get(key)!;
  if (q.free > 0) q.free--;
  else await new Promise<void>((r) => q.waiting.push(r));
  return () => {
    const next = q.waiting.shift();
    if (next) next();
    else q.free++;
  };
}

/**
 * Shells are kept per set of connection settings (host first): one opened with a key must
 * never serve a resource that gives another key, or another host key.
 */
const connectionKey = (conn: Connection) => `${hostLabel(conn)}\0${createHash("sha256").update(JSON.stringify(conn)).digest("hex").slice(0, 20)}`;

// ── long-lived shells on other hosts ────────────────────────────────────────────────────
/**
 * Up to this many shells per host run commands in parallel (each one at a time). Each is a
 * channel of the host's one ssh connection; sshd allows 10 per connection (MaxSessions).
 */
const SHELLS_PER_HOST = 3;
const shells = new Map<string, ShellSession[]>();

/** A command on another host, through one of its long-lived shells (shell-session.ts). */
async function shellRun(conn: Connection, argv: readonly string[], attempt: Attempt | undefined, input?: string): Promise<RunResult> {
  const key = connectionKey(conn);
  let shell: ShellSession;
  for (;;) {
    const pool = (shells.get(key) ?? []).filter((s) => !s.dead);
    shells.set(key, pool);
    const idle = pool.find((s) => s.idle);
    if (idle) shell = idle;
    else if (pool.length >= SHELLS_PER_HOST) shell = pool.reduce((a, b) => (b.load < a.load ? b : a));
    else if (pool.length && !pool[0].isConnected) {
      // The first shell opens the host's ssh master: the others wait for it and ride it.
      await pool[0].connected;
      continue;
    } else {
      const remote = sshArgv(conn, ["sh", "-s"]);
      shell = new ShellSession(remote.argv, remote.env, TIMEOUT_MS);
      pool.push(shell);
    }
    break;
  }
  if (process.env.LINUXNET_TRACE_FILE) appendFileSync(process.env.LINUXNET_TRACE_FILE, `[shell ${hostLabel(conn)}] ${argv.join(" ")} <<< ${(input ?? "").replace(/\n/g, " ; ")}\n`);
  const t0 = performance.now();
  const result = await shell.run(argv, input);
  if (process.env.LINUXNET_SPAWN_LOG) appendFileSync(process.env.LINUXNET_SPAWN_LOG, `${(performance.now() - t0).toFixed(2)} [shell] ${argv.join(" ")}\n`);
  if (result.shellFailed) throw commandFailed(argv, result.stderr, 255, attempt, true);
  if (result.exitCode !== 0) throw commandFailed(argv, result.stderr || result.stdout || `exited ${result.exitCode}`, result.exitCode, attempt);
  return { stdout: result.stdout, stderr: result.stderr };
}

/**
 * The error for a failed command. Where ssh itself failed (the host unreachable, the key
 * refused, its host key changed, a tool missing there, the connection of a remote shell lost:
 * `lost`), that is what the line says, and the error is never mistaken for "already gone" (a
 * delete must not pass for an unreachable host).
 */
function commandFailed(argv: readonly string[], stderr: string, exitCode: number | undefined, attempt?: Attempt, lost = false): CommandError {
  const conn = here();
  const problem = conn && (lost ? (sshProblem(255, stderr) ?? "the connection ended") : sshProblem(exitCode, stderr));
  if (!problem) return new CommandError(argv, stderr, exitCode, attempt);
  const said = stderr.split("\n").map((l) => l.trim()).filter(Boolean).pop() ?? "";
  return new CommandError(argv, `ssh to ${hostLabel(conn)}: ${problem}${said ? ` (${said})` : ""}`, exitCode, attempt, problem.startsWith("a tool") ? "not-supported" : "failed");
}

/** `ip [-n NS] ARGS…` */
export function ipArgv(args: readonly string[], target: Target = {}): string[] {
  return target.netns ? ["ip", "-n", target.netns, ...args] : ["ip", ...args];
}

/** Any other tool (sysctl, iptables, ping, …) inside the target namespace. */
export function execArgv(argv: readonly string[], target: Target = {}): string[] {
  return target.netns ? ["ip", "netns", "exec", target.netns, ...argv] : [...argv];
}

/** A token `ip -batch` would split or strip (an empty alias, say): such a command gets a process of its own. */
const batchable = (args: readonly string[]) => args.every((t) => t !== "" && !/[\s"'\\#]/.test(t));

export async function ip(args: readonly string[], target: Target = {}, attempt?: Attempt): Promise<RunResult> {
  if (transport() === "spawn" || !batchable(args) || !sessionable(args)) return run(ipArgv(args, target), attempt);
  const printed = await ipBatch([args], target, attempt);
  return { stdout: printed.map((p) => JSON.stringify(p)).join("\n"), stderr: "" };
}

/** `ip -json …`, parsed. iproute2 prints nothing (not `[]`) for some empty results. */
export async function ipJson<T = unknown>(args: readonly string[], target: Target = {}, attempt?: Attempt): Promise<T[]> {
  if (transport() !== "spawn" && batchable(args)) return ((await ipBatch([args], target, attempt))[0] ?? []) as T[];
  const { stdout } = await run(ipArgv(["-json", ...args], target), attempt);
  if (!stdout.trim()) return [];
  try {
    const parsed: unknown = JSON.parse(stdout);
    if (!Array.isArray(parsed)) throw new Error("not an array");
    return parsed as T[];
  } catch (e) {
    throw new CommandError(ipArgv(["-json", ...args], target), `unparsable JSON from ip: ${(e as Error).message}`, 0, attempt);
  }
}

/** One batch line's tokens must survive iproute2's whitespace split unchanged. */
function batchLine(tokens: readonly string[]): string {
  const bad = tokens.find((t) => !batchable([t]));
  if (bad !== undefined) throw new Error(`ip -batch: token ${JSON.stringify(bad)} cannot be passed safely`);
  return tokens.join(" ");
}

type AttemptOf = Attempt | ((line: readonly string[]) => Attempt);

export interface BatchOptions {
  /**
   * The first `atomic` commands are handed to `ip` in one piece, which stops at the first that
   * fails: an object and its ownership mark (the add and the alias) are made by one process
   * that finishes them even if the provider dies the moment after.
   */
  atomic?: number;
}

/**
 * Several `ip` commands, in order, stopping at the first that fails (its error names that
 * command). Commands that show something print one JSON array each; those arrays are returned
 * in order, so a batch can change a link and read it back. By default the commands go to the
 * long-lived `ip -batch` process of the target's namespace (ip-session.ts); with
 * LINUXNET_TRANSPORT=spawn, or for the `atomic` head, to a process of their own.
 */
export async function ipBatch(commands: readonly (readonly string[])[], target: Target = {}, attempt?: AttemptOf, options: BatchOptions = {}): Promise<unknown[][]> {
  if (commands.length === 0) return [];
  const lines = commands.map((c) => batchLine(withoutOptions(c).rest));
  const family = familyOf(commands);
  if (commands.some((c) => withoutOptions(c).rest[0]?.startsWith("-"))) {
    // Global options a batch line cannot carry: each command as its own `ip`.
    const out: unknown[][] = [];
    for (const c of commands) {
      const { stdout } = await run(ipArgv(["-json", ...c], target), attemptFor(attempt, c));
      out.push(...parsePrinted(stdout.split("\n"), target, attemptFor(attempt, c)));
    }
    return out;
  }
  // On another host, a batch is one `ip -batch` process its long-lived shell starts (shell-session.ts says why).
  if (transport() === "spawn" || here() || family === undefined || !commands.every(sessionable)) return spawnBatch(commands, lines, target, attempt, family ?? "");
  const head = options.atomic ?? 0;
  const printed = head ? await spawnBatch(commands.slice(0, head), lines.slice(0, head), target, attempt, family) : [];
  return [...printed, ...(await sessionBatch(commands.slice(head), lines.slice(head), target, attempt, family))];
}

/**
 * `ip link show` sets process-wide state in iproute2 (preferred_family = AF_PACKET, do_link)
 * that no later command resets: after it, a long-lived process's `addr show` prints links
 * without their addresses. Such commands get a process of their own.
 */
function sessionable(command: readonly string[]): boolean {
  const rest = withoutOptions(command).rest;
  if (rest[0]?.startsWith("-")) return false; // another global option (-br, -s, …): not what a session runs with
  return !(rest[0] === "link" && ["show", "list", "lst", "ls"].includes(rest[1] ?? "show"));
}

/** A command's leading global options (`-4`, `-6`; `-json`/`-details`, which every batch has) and the rest. */
function withoutOptions(command: readonly string[]): { family: string; rest: readonly string[] } {
  let k = 0;
  let family = "";
  for (; k < command.length && /^-(4|6|json|j|details|d)$/.test(command[k]); k++) if (command[k] === "-4" || command[k] === "-6") family = command[k];
  return { family, rest: command.slice(k) };
}

/** The family option all commands share ("" for none); undefined if they differ (one process each then). */
function familyOf(commands: readonly (readonly string[])[]): string | undefined {
  const families = new Set(commands.map((c) => withoutOptions(c).family));
  return families.size === 1 ? [...families][0] : undefined;
}

const attemptFor = (attempt: AttemptOf | undefined, line?: readonly string[]) => (typeof attempt === "function" ? (line ? attempt(line) : undefined) : attempt);

function parsePrinted(lines: readonly string[], target: Target, attempt: Attempt | undefined): unknown[][] {
  try {
    return lines.filter((l) => /^\s*[[{]/.test(l)).map((l) => JSON.parse(l) as unknown[]);
  } catch (e) {
    throw new CommandError(ipArgv(["-batch", "-"], target), `unparsable JSON from ip -batch: ${(e as Error).message}`, 0, attempt);
  }
}

/** The batch as one `ip -json -details -batch -` process of its own. */
async function spawnBatch(commands: readonly (readonly string[])[], lines: readonly string[], target: Target, attempt: AttemptOf | undefined, family: string): Promise<unknown[][]> {
  if (family === "" && commands.some((c) => withoutOptions(c).family)) {
    // Mixed families: each command on its own.
    const out: unknown[][] = [];
    for (const [k, c] of commands.entries()) out.push(...(await spawnBatch([c], [lines[k]], target, attempt, withoutOptions(c).family)));
    return out;
  }
  let stdout: string;
  try {
    ({ stdout } = await run(ipArgv([...(family ? [family] : []), "-json", "-details", "-batch", "-"], target), attemptFor(attempt, commands[0]), lines.join("\n") + "\n"));
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    // iproute2 names the failing line ("Command failed -:N") for kernel errors, but exits at
    // once on an argument it cannot parse; then the line is the one holding the quoted token.
    const m = /Command failed -:(\d+)/.exec(e.stderr);
    const quoted = [...e.stderr.matchAll(/"([^"]+)"/g)].map((q) => q[1]);
    const failed = m ? commands[Number(m[1]) - 1] : commands.find((c) => c.some((t) => quoted.includes(t)));
    // The kind stays what the runner found (an ssh problem is never "not found").
    const err = new CommandError(failed ? ipArgv(failed, target) : e.argv, e.stderr, e.exitCode, attemptFor(attempt, failed ?? commands[0]), e.kind);
    err.line = failed;
    throw err;
  }
  for (const line of commands) forgetTouched(line, target);
  return parsePrinted(stdout.split("\n"), target, attemptFor(attempt, commands[0]));
}

// ── long-lived ip sessions ──────────────────────────────────────────────────────────────
/** "session" (default): long-lived `ip -batch` processes; "spawn": one process per batch. */
const transport = () => (process.env.LINUXNET_TRANSPORT === "spawn" ? "spawn" : "session");

interface Entry {
  session: IpSession;
  /** The namespace's inode when the session started (named namespaces). */
  inode?: number;
}
const sessions = new Map<string, Entry>();
const sessionKey = (target: Target, family = "") => `${target.netns ?? ""}\0${family}`;

/** A namespace's inode (undefined: not there). */
const inodeOrUndefined = (netns: string): Promise<number | undefined> => netnsInode(netns).catch(() => undefined);

/** The live session of a namespace, started anew if it died, was retired, or its namespace was made anew. */
async function sessionFor(target: Target, family: string, inode: number | undefined): Promise<IpSession> {
  const key = sessionKey(target, family);
  let entry = sessions.get(key);
  if (entry && !entry.session.dead && target.netns && inode !== entry.inode) {
    entry.session.close(); // a process in a deleted namespace would go on in the dead one
    entry = undefined;
  }
  if (!entry || entry.session.dead || entry.session.retired) {
    const argv = ipArgv([...(family ? [family] : []), "-json", "-details", "-force", "-batch", "-"], target);
    entry = { session: new IpSession(argv), inode };
    sessions.set(key, entry);
    if (process.env.LINUXNET_SPAWN_LOG) appendFileSync(process.env.LINUXNET_SPAWN_LOG, `0.00 [session] ${argv.join(" ")}\n`);
  }
  return entry.session;
}

/**
 * ip caches the index of every name it has looked up. A link created elsewhere under a name
 * it never looked up is no trouble; a link deleted behind its back is (the name may come back
 * with another index). Deleting a link or a namespace can delete links in other namespaces
 * too (a veth's peer, macvlans on a VLAN, a namespace's veth peers), so after any delete every
 * other session is retired: its queued work finishes, new work goes to a fresh process. A
 * deleted namespace's own session is retired too: it would go on in the dead namespace.
 */
function forgetTouched(line: readonly string[], target: Target): void {
  const deletes = (line[0] === "link" && line[1] === "del") || (line[0] === "netns" && line[1] === "del");
  if (!deletes) return;
  const own = sessionKey(target);
  for (const [key, { session }] of sessions) if (!key.startsWith(own) || line[0] === "netns") session.retire();
}

const STALE = /Cannot find device|No such device|Device not found|does not exist/;

async function sessionBatch(commands: readonly (readonly string[])[], lines: readonly string[], target: Target, attempt: AttemptOf | undefined, family: string): Promise<unknown[][]> {
  if (!commands.length) return [];
  // One look at the namespace per batch: that it is there, and the same one as its session's.
  const inode = target.netns ? await inodeOrUndefined(target.netns) : undefined;
  if (target.netns && inode === undefined) {
    // No process to start in a namespace that is not there: what `ip -n` would say.
    const err = new CommandError(ipArgv(commands[0], target), `Cannot open network namespace "${target.netns}": No such file or directory`, 255, attemptFor(attempt, commands[0]));
    err.line = commands[0];
    throw err;
  }
  let steps = await (await sessionFor(target, family, inode)).run(lines);
  // Closed by another operation between being handed out and being used: on a fresh one.
  for (let tries = 0; steps.at(-1)?.notRun && tries < 3; tries++) {
    const done = steps.length - 1;
    steps = [...steps.slice(0, done), ...(await (await sessionFor(target, family, inode)).run(lines.slice(done)))];
  }
  const failedAt = steps.length - 1;
  const last = steps[failedAt];
  if (last?.failed && STALE.test(last.printed.join("\n"))) {
    // Perhaps a cache gone stale behind the session's back: once more from there, on a fresh process.
    sessions.get(sessionKey(target, family))?.session.retire();
    steps = [...steps.slice(0, failedAt), ...(await (await sessionFor(target, family, inode)).run(lines.slice(failedAt)))];
  }
  commands.slice(0, steps.length).forEach((line) => forgetTouched(line, target));
  const failure = steps.findIndex((s) => s.failed);
  if (failure >= 0) {
    const line = commands[failure];
    const said = steps[failure].printed.join("\n") || "ip exited";
    const err = new CommandError(ipArgv(line, target), `${said}\nCommand failed -:${failure + 1}`, steps[failure].exited ? 255 : 1, attemptFor(attempt, line));
    err.line = line;
    throw err;
  }
  return parsePrinted(steps.flatMap((s) => s.printed), target, attemptFor(attempt, commands[0]));
}

/** Ends every session (their processes exit at the end of their input). */
export function closeSessions(): void {
  for (const { session } of sessions.values()) session.close();
  sessions.clear();
  for (const pool of shells.values()) for (const shell of pool) shell.close();
  shells.clear();
}

/** Where `ip netns` keeps its named namespaces (iproute2's NETNS_RUN_DIR). */
export const NETNS_RUN_DIR = "/run/netns";

/** The inode of a named namespace: a stat, not a spawn (on another host: `stat` there). */
export async function netnsInode(name: string): Promise<number> {
  const path = `${NETNS_RUN_DIR}/${name}`;
  const attempt = { verb: "read", kind: "namespace", name };
  if (here()) return Number((await run(["stat", "-L", "-c", "%i", path], attempt)).stdout.trim());
  const { stat } = await import("node:fs/promises");
  try {
    return (await stat(path)).ino;
  } catch (e) {
    throw new CommandError(["stat", path], String((e as Error).message), undefined, attempt);
  }
}

/** Whether a named namespace exists (here, or on the handler's host). */
export async function netnsExists(name: string): Promise<boolean> {
  if (here()) {
    // `test` says 1 for "not there"; anything else (ssh could not reach the host) is an error, never "gone".
    return run(["test", "-e", `${NETNS_RUN_DIR}/${name}`]).then(
      () => true,
      (e: unknown) => {
        if (e instanceof CommandError && e.exitCode === 1) return false;
        throw e;
      },
    );
  }
  const { existsSync } = await import("node:fs");
  return existsSync(`${NETNS_RUN_DIR}/${name}`);
}

// ── records kept beside the kernel state they describe ───────────────────────────────────
/**
 * Some kernel state has no place for an ownership mark (a sysctl's value, a parent's
 * promiscuous flag, which stack made a route). What the provider must remember about it is
 * kept in a small file under /run, a tmpfs: it survives any crash of the CLI or the provider
 * and goes when the kernel state does (a reboot). Records are kept per namespace: a named one
 * by its inode and the time its nsfs inode came to be (inode numbers are reused at once; a
 * bind-mounted namespace's inode time is stable), the provider's own by its inode.
 */
export const RECORD_DIR = "/run/pulumi-linuxnet";

async function namespaceId(target: Target): Promise<string> {
  if (here()) {
    // On another host: the same identity, read there with stat(1).
    const path = target.netns ? `${NETNS_RUN_DIR}/${target.netns}` : "/proc/self/ns/net";
    const { stdout } = await run(["stat", "-L", "-c", target.netns ? "%i-%.9Z" : "%i", path]);
    return stdout.trim().replace(".", "");
  }
  const { stat } = await import("node:fs/promises");
  if (!target.netns) return String((await stat("/proc/self/ns/net")).ino);
  const s = await stat(`${NETNS_RUN_DIR}/${target.netns}`, { bigint: true });
  return `${s.ino}-${s.ctimeNs}`;
}

async function recordPath(target: Target, kind: string, key: string): Promise<string> {
  if (!/^[A-Za-z0-9_.@+:\/%-]+$/.test(key) || key.includes("..")) throw new Error(`record key ${JSON.stringify(key)} cannot name a file safely`);
  return `${RECORD_DIR}/${await namespaceId(target)}/${kind}/${encodeURIComponent(key)}`;
}

export async function readRecord<T>(target: Target, kind: string, key: string): Promise<T | undefined> {
  try {
    const path = await recordPath(target, kind, key);
    if (here()) return JSON.parse((await run(["cat", path])).stdout) as T;
    const { readFile } = await import("node:fs/promises");
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (e) {
    // No record (`cat` says 1, or no file here) is undefined; ssh's own failures (255, 127) are errors.
    if (e instanceof CommandError && e.exitCode !== 1) throw e;
    return undefined;
  }
}

let recordWrites = 0;

export async function writeRecord(target: Target, kind: string, key: string, value: unknown): Promise<void> {
  const path = await recordPath(target, kind, key);
  const dir = path.slice(0, path.lastIndexOf("/"));
  const tmp = `${path}.tmp${process.pid}.${++recordWrites}`;
  if (here()) {
    // A fixed script; the paths are its arguments, quoted for the remote shell like every argv.
    await run(["sh", "-c", 'mkdir -p "$1" && cat > "$2" && mv -f "$2" "$3"', "sh", dir, tmp, path], undefined, JSON.stringify(value));
    return;
  }
  const { mkdir, rename, writeFile } = await import("node:fs/promises");
  await mkdir(dir, { recursive: true });
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, path); // whole or not at all
}

export async function removeRecord(target: Target, kind: string, key: string): Promise<void> {
  const path = await recordPath(target, kind, key).catch(() => undefined);
  if (!path) return;
  if (here()) await run(["rm", "-f", path]).catch(() => undefined);
  else await (await import("node:fs/promises")).rm(path, { force: true });
}

/** Forgets every record of a namespace (when the stack deletes it: its state goes with it). */
export async function removeRecords(target: Target): Promise<void> {
  const id = await namespaceId(target).catch(() => undefined);
  if (!id) return;
  if (here()) await run(["rm", "-rf", `${RECORD_DIR}/${id}`]).catch(() => undefined);
  else await (await import("node:fs/promises")).rm(`${RECORD_DIR}/${id}`, { recursive: true, force: true });
}

/** The keys of a namespace's records of one kind (none: []): what a listing of the marked objects reads. */
export async function recordKeys(target: Target, kind: string): Promise<string[]> {
  const id = await namespaceId(target).catch(() => undefined);
  if (!id) return [];
  const dir = `${RECORD_DIR}/${id}/${kind}`;
  const names = here()
    ? (await run(["sh", "-c", 'ls -1 "$1" 2>/dev/null || true', "sh", dir])).stdout.split("\n")
    : await (await import("node:fs/promises")).readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n && !/\.tmp\d+\.\d+$/.test(n)).map((n) => decodeURIComponent(n));
}

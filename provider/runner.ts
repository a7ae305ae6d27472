/**
 * The one place that spawns processes. Everything the provider does to the kernel goes
 * through `run`: argv arrays only (never a shell), a namespace target turned into
 * `ip -n NS …` / `ip netns exec NS …`, `-json` output parsed here, stderr turned into a
 * typed CommandError that says what was attempted on which object.
 */
import { appendFileSync } from "node:fs";
import type { Attempt } from "./errors";
import { CommandError } from "./errors";

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

/** Runs one argv and returns its output, or throws a CommandError worded from `attempt`. */
export async function run(argv: readonly string[], attempt?: Attempt, input?: string): Promise<RunResult> {
  if (argv.length === 0) throw new Error("run: empty argv");
  const execa = await loadExeca();
  if (process.env.LINUXNET_TRACE) process.stderr.write(`linuxnet: ${argv.join(" ")}\n`);
  const t0 = performance.now();
  const result = await execa(argv[0], argv.slice(1), {
    input,
    reject: false,
    timeout: TIMEOUT_MS,
    stripFinalNewline: true,
    env: { LC_ALL: "C" },
  });
  // The benchmark sums the provider's spawns (count, wall ms) across the dynamic-provider process.
  if (process.env.LINUXNET_SPAWN_LOG) appendFileSync(process.env.LINUXNET_SPAWN_LOG, `${(performance.now() - t0).toFixed(2)} ${argv.join(" ")}\n`);
  if (result.failed) {
    const stderr = result.stderr || (result.timedOut ? `timed out after ${TIMEOUT_MS} ms` : result.shortMessage);
    throw new CommandError(argv, String(stderr ?? ""), result.exitCode, attempt);
  }
  return { stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") };
}

/** `ip [-n NS] ARGS…` */
export function ipArgv(args: readonly string[], target: Target = {}): string[] {
  return target.netns ? ["ip", "-n", target.netns, ...args] : ["ip", ...args];
}

/** Any other tool (sysctl, iptables, ping, …) inside the target namespace. */
export function execArgv(argv: readonly string[], target: Target = {}): string[] {
  return target.netns ? ["ip", "netns", "exec", target.netns, ...argv] : [...argv];
}

export function ip(args: readonly string[], target: Target = {}, attempt?: Attempt): Promise<RunResult> {
  return run(ipArgv(args, target), attempt);
}

/** `ip -json …`, parsed. iproute2 prints nothing (not `[]`) for some empty results. */
export async function ipJson<T = unknown>(args: readonly string[], target: Target = {}, attempt?: Attempt): Promise<T[]> {
  const { stdout } = await ip(["-json", ...args], target, attempt);
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
  for (const t of tokens) {
    if (t === "" || /[\s"'\\#]/.test(t)) throw new Error(`ip -batch: token ${JSON.stringify(t)} cannot be passed safely`);
  }
  return tokens.join(" ");
}

/**
 * Several `ip` commands in one process (`ip [-n NS] -json -details -batch -`): one spawn
 * instead of N. Commands that show something print one JSON array per line; those arrays are
 * returned in order, so a batch can change a link and read it back in the same spawn.
 * iproute2 stops at the first failing line; the error names that line's command.
 */
export async function ipBatch(
  commands: readonly (readonly string[])[],
  target: Target = {},
  attempt?: Attempt | ((line: readonly string[]) => Attempt),
): Promise<unknown[][]> {
  const attemptOf = (line?: readonly string[]) => (typeof attempt === "function" ? (line ? attempt(line) : undefined) : attempt);
  if (commands.length === 0) return [];
  const script = commands.map(batchLine).join("\n") + "\n";
  let stdout: string;
  try {
    ({ stdout } = await run(ipArgv(["-json", "-details", "-batch", "-"], target), attemptOf(commands[0]), script));
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    // iproute2 names the failing line ("Command failed -:N") for kernel errors, but exits at
    // once on an argument it cannot parse; then the line is the one holding the quoted token.
    const m = /Command failed -:(\d+)/.exec(e.stderr);
    const quoted = [...e.stderr.matchAll(/"([^"]+)"/g)].map((q) => q[1]);
    const failed = m ? commands[Number(m[1]) - 1] : commands.find((c) => c.some((t) => quoted.includes(t)));
    const err = new CommandError(failed ? ipArgv(failed, target) : e.argv, e.stderr, e.exitCode, attemptOf(failed ?? commands[0]));
    err.line = failed;
    throw err;
  }
  try {
    return stdout
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as unknown[]);
  } catch (e) {
    throw new CommandError(ipArgv(["-batch", "-"], target), `unparsable JSON from ip -batch: ${(e as Error).message}`, 0, attemptOf(commands[0]));
  }
}

/** Where `ip netns` keeps its named namespaces (iproute2's NETNS_RUN_DIR). */
export const NETNS_RUN_DIR = "/run/netns";

/** The inode of a named namespace: a stat, not a spawn. */
export async function netnsInode(name: string): Promise<number> {
  const { stat } = await import("node:fs/promises");
  const path = `${NETNS_RUN_DIR}/${name}`;
  try {
    return (await stat(path)).ino;
  } catch (e) {
    throw new CommandError(["stat", path], String((e as Error).message), undefined, { verb: "read", kind: "namespace", name });
  }
}

// ── records kept beside the kernel state they describe ───────────────────────────────────
/**
 * Some kernel state has no place for an ownership mark (a sysctl's value). What the provider
 * must remember about it (the value found before it changed it, and who changed it) is kept
 * in a small file under /run, a tmpfs: it survives any crash of the CLI or the provider and
 * goes exactly when the kernel state does (a reboot). Records are keyed by the namespace's
 * inode, so a namespace made anew never inherits the records of an old one.
 */
export const RECORD_DIR = "/run/pulumi-linuxnet";

async function namespaceInode(target: Target): Promise<number> {
  if (target.netns) return netnsInode(target.netns);
  const { stat } = await import("node:fs/promises");
  return (await stat("/proc/self/ns/net")).ino;
}

async function recordPath(target: Target, kind: string, key: string): Promise<string> {
  if (!/^[A-Za-z0-9_.@+:\/-]+$/.test(key) || key.includes("..")) throw new Error(`record key ${JSON.stringify(key)} cannot name a file safely`);
  return `${RECORD_DIR}/${kind}/${await namespaceInode(target)}/${encodeURIComponent(key)}`;
}

export async function readRecord<T>(target: Target, kind: string, key: string): Promise<T | undefined> {
  const { readFile } = await import("node:fs/promises");
  try {
    return JSON.parse(await readFile(await recordPath(target, kind, key), "utf8")) as T;
  } catch {
    return undefined;
  }
}

let recordWrites = 0;

export async function writeRecord(target: Target, kind: string, key: string, value: unknown): Promise<void> {
  const { mkdir, rename, writeFile } = await import("node:fs/promises");
  const path = await recordPath(target, kind, key);
  await mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const tmp = `${path}.tmp${process.pid}.${++recordWrites}`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, path); // whole or not at all
}

export async function removeRecord(target: Target, kind: string, key: string): Promise<void> {
  const { rm } = await import("node:fs/promises");
  await rm(await recordPath(target, kind, key).catch(() => "/nonexistent"), { force: true });
}

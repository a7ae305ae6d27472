/** Spawning one process on this machine (argv arrays only, never a shell), for both hosts: the local one's commands, the SSH one's `ssh` processes. */
import { appendFileSync } from "node:fs";
import { type Limit, limitFor, timedOut } from "./limits";

// execa is ESM-only; a dynamic import keeps this module loadable with require() (the
// dynamic-provider process and jest both load it as CommonJS) and defers its ~50 ms import
// until the first command actually runs.
type Execa = typeof import("execa", { with: { "resolution-mode": "import" } }).execa;
let execaPromise: Promise<Execa> | undefined;
const loadExeca = (): Promise<Execa> => (execaPromise ??= import("execa").then((m) => m.execa));


/** For the benchmark and debugging: every command, with its wall time. */
export function trace(kind: string, argv: readonly string[], ms: number, input?: string): void {
  if (process.env.LINUXNET_TRACE) process.stderr.write(`linuxnet: ${argv.join(" ")}\n`);
  if (process.env.LINUXNET_TRACE_FILE) appendFileSync(process.env.LINUXNET_TRACE_FILE, `[${kind}] ${argv.join(" ")} <<< ${(input ?? "").replace(/\n/g, " ; ")}\n`);
  if (process.env.LINUXNET_SPAWN_LOG) appendFileSync(process.env.LINUXNET_SPAWN_LOG, `${ms.toFixed(2)} ${kind === "spawn" ? "" : `[${kind}] `}${argv.join(" ")}\n`);
}

/** Spawns one argv here with execa, killed past its limit (limits.ts); the SSH host uses it for its `ssh` processes too. */
export async function spawnArgv(argv: readonly string[], env: Record<string, string>, input?: string, limit: Limit = limitFor(argv, input)): Promise<{ failed: boolean; stdout: string; stderr: string; exitCode?: number; notInstalled?: boolean }> {
  const execa = await loadExeca();
  const t0 = performance.now();
  const r = await execa(argv[0], argv.slice(1), { input, reject: false, timeout: limit.ms, stripFinalNewline: true, env: { LC_ALL: "C", ...env } });
  trace("spawn", argv, performance.now() - t0, input);
  const stderr = r.timedOut ? timedOut(limit) : String(r.stderr || (r.failed ? r.shortMessage : "") || "");
  // ENOENT from the spawn itself: no such program on PATH (never a tool's own answer).
  const notInstalled = r.failed && r.exitCode === undefined && (r as { code?: string }).code === "ENOENT";
  return { failed: r.failed, stdout: String(r.stdout ?? ""), stderr, exitCode: r.exitCode, ...(notInstalled && { notInstalled }) };
}


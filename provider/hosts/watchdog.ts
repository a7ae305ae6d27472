/**
 * The dynamic-provider process ends when the Pulumi engine that started it is gone.
 *
 * The engine starts `pulumi-resource-pulumi-nodejs` (a sh script that runs node on
 * `@pulumi/pulumi/cmd/dynamic-provider` without exec) and ends it when the command finishes.
 * A `pulumi` CLI killed with SIGKILL ends nothing: the provider process kept serving a gone
 * engine, idle, for as long as anyone watched (more than six minutes), and with it what it
 * holds — its long-lived `ip -batch` sessions, each of which keeps its namespace alive even
 * after `ip netns del`, and the SSH masters of other hosts. Node has no parent-death signal, so
 * the process looks at the engine's /proc entry once a second and exits when it has gone (or
 * become a zombie, or its PID names another process now). Exiting closes the sessions' stdin,
 * so each `ip -batch` ends at its end of input; the exit hooks end the SSH masters.
 *
 * The engine ends a provider it is done with by SIGINT to the plugin's process group (then
 * SIGKILL after 5 s). Node's default for SIGINT, SIGTERM and SIGHUP is to die without its
 * "exit" hooks, which left the SSH host's private directory (copies of private keys, known_hosts
 * files) in /tmp after every run: the provider process therefore turns those signals into an
 * exit with the shell's code (128 + the signal's number), hooks included.
 */
import { readFileSync } from "node:fs";

const POLL_MS = 1000;
let started = false;

/** The parent PID and start time (clock ticks since boot) of a process, from /proc/PID/stat. */
export function procStat(pid: number): { ppid: number; state: string; start: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "PID (COMM) STATE PPID …": COMM may hold spaces and parentheses, so split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], ppid: Number(fields[1]), start: fields[19] };
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/**
 * The process that started this provider: our parent, or, when the parent is the plugin's sh
 * wrapper script, the wrapper's parent.
 */
export function engineOf(pid: number): { pid: number; start: string } | undefined {
  let parent = procStat(pid)?.ppid;
  if (parent && /pulumi-resource-pulumi-nodejs/.test(cmdline(parent))) parent = procStat(parent)?.ppid;
  const stat = parent && parent > 1 ? procStat(parent) : undefined;
  return parent && stat ? { pid: parent, start: stat.start } : undefined;
}

/** True while `engine` still runs: the same PID, the same start time, not a zombie. */
export function alive(engine: { pid: number; start: string }): boolean {
  const now = procStat(engine.pid);
  return now !== undefined && now.start === engine.start && now.state !== "Z";
}

/**
 * Starts watching, once per process, and only in Pulumi's dynamic-provider process (the
 * handlers also run inside tests, whose parents are not engines).
 */
export function watchEngine(): void {
  if (started) return;
  started = true;
  if (!/[\\/]cmd[\\/]dynamic-provider([\\/]index\.js)?$/.test(require.main?.filename ?? "")) return;
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) process.once(signal, () => process.exit(code));
  const engine = engineOf(process.pid);
  if (!engine) return;
  setInterval(() => {
    if (!alive(engine)) process.exit(1);
  }, POLL_MS).unref();
}

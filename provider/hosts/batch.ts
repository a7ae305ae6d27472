/**
 * Pure helpers for handing `ip` commands to `ip -batch`: which commands a batch line can carry,
 * how a batch splits by address family and global options, and which command of a batch an
 * error belongs to. No process is started here (host.ts and its implementations do that).
 */
import { type Attempt, CommandError } from "../core/errors";

/** Where a command runs on its host. Omitted netns: the namespace the provider process itself is in. */
export interface Target {
  netns?: string;
}

/** Who a failure of a batch line is worded for: one attempt, or one per line (a veth's two ends). */
export type AttemptOf = Attempt | ((line: readonly string[]) => Attempt);

export const attemptFor = (attempt: AttemptOf | undefined, line?: readonly string[]) => (typeof attempt === "function" ? (line ? attempt(line) : undefined) : attempt);

/** `ip [-n NS] ARGS…` */
export function ipArgv(args: readonly string[], target: Target = {}): string[] {
  return target.netns ? ["ip", "-n", target.netns, ...args] : ["ip", ...args];
}

/** Any other tool (sysctl, iptables, ping, …) inside the target namespace. */
export function execArgv(argv: readonly string[], target: Target = {}): string[] {
  return target.netns ? ["ip", "netns", "exec", target.netns, ...argv] : [...argv];
}

/** A token `ip -batch` would split or strip (an empty alias, say): such a command gets a process of its own. */
export const batchable = (args: readonly string[]) => args.every((t) => t !== "" && !/[\s"'\\#]/.test(t));

/** One batch line's tokens must survive iproute2's whitespace split unchanged. */
export function batchLine(tokens: readonly string[]): string {
  const bad = tokens.find((t) => !batchable([t]));
  if (bad !== undefined) throw new Error(`ip -batch: token ${JSON.stringify(bad)} cannot be passed safely`);
  return tokens.join(" ");
}

/** A command's leading global options (`-4`, `-6`; `-json`/`-details`, which every batch has) and the rest. */
export function withoutOptions(command: readonly string[]): { family: string; rest: readonly string[] } {
  let k = 0;
  let family = "";
  for (; k < command.length && /^-(4|6|json|j|details|d)$/.test(command[k]); k++) if (command[k] === "-4" || command[k] === "-6") family = command[k];
  return { family, rest: command.slice(k) };
}

/** The family option all commands share ("" for none); undefined if they differ (one process each then). */
export function familyOf(commands: readonly (readonly string[])[]): string | undefined {
  const families = new Set(commands.map((c) => withoutOptions(c).family));
  return families.size === 1 ? [...families][0] : undefined;
}

/** Whether a command carries a global option a batch line cannot (`-br`, `-s`, …): it then runs as its own `ip`. */
export const needsOwnProcess = (command: readonly string[]) => Boolean(withoutOptions(command).rest[0]?.startsWith("-"));

/**
 * `ip link show` sets process-wide state in iproute2 (preferred_family = AF_PACKET, do_link)
 * that no later command resets: after it, a long-lived process's `addr show` prints links
 * without their addresses. Such commands (and other global options) are never sent to a session.
 */
export function sessionable(command: readonly string[]): boolean {
  const rest = withoutOptions(command).rest;
  if (rest[0]?.startsWith("-")) return false;
  return !(rest[0] === "link" && ["show", "list", "lst", "ls"].includes(rest[1] ?? "show"));
}

/** Whether a batch line deletes something (a link, a namespace), which may delete links elsewhere too. */
export const deletes = (line: readonly string[]) => (line[0] === "link" && line[1] === "del") || (line[0] === "netns" && line[1] === "del");

/**
 * Whether a line can make a link name appear in a namespace under a new index: adding a link,
 * moving one into a namespace (`netns`), renaming one (`name`). A name deleted earlier can
 * come back so, and an ip process that cached the old index would then not find it.
 */
export const makesNames = (line: readonly string[]) => {
  const rest = withoutOptions(line).rest;
  return rest[0] === "link" && (rest[1] === "add" || (rest[1] === "set" && rest.some((t) => t === "netns" || t === "name")));
};

/** The JSON arrays a batch printed, one per command that shows something. */
export function parsePrinted(lines: readonly string[], target: Target, attempt: Attempt | undefined): unknown[][] {
  try {
    return lines.filter((l) => /^\s*[[{]/.test(l)).map((l) => JSON.parse(l) as unknown[]);
  } catch (e) {
    throw new CommandError(ipArgv(["-batch", "-"], target), `unparsable JSON from ip -batch: ${(e as Error).message}`, 0, attempt);
  }
}

/**
 * The command of a batch a failed `ip -batch` process was about. iproute2 names the failing
 * line ("Command failed -:N") for kernel errors, but exits at once on an argument it cannot
 * parse; then the line is the first holding the most of the quoted tokens (`argument "abc" is
 * wrong: Invalid "mtu" value` quotes the option's name too, which an earlier line may hold).
 */
export function failedLine(commands: readonly (readonly string[])[], stderr: string): readonly string[] | undefined {
  const m = /Command failed -:(\d+)/.exec(stderr);
  if (m) return commands[Number(m[1]) - 1];
  const quoted = [...stderr.matchAll(/"([^"]+)"/g)].map((q) => q[1]);
  const held = (c: readonly string[]) => quoted.filter((q) => c.includes(q)).length;
  return commands.reduce<readonly string[] | undefined>((best, c) => (held(c) > (best ? held(best) : 0) ? c : best), undefined);
}

/** The error of a batch, worded for the command that failed (the kind stays what the host found: an ssh problem is never "not found"). */
export function batchError(e: CommandError, commands: readonly (readonly string[])[], target: Target, attempt: AttemptOf | undefined): CommandError {
  const failed = failedLine(commands, e.stderr);
  const err = new CommandError(failed ? ipArgv(failed, target) : e.argv, e.stderr, e.exitCode, attemptFor(attempt, failed ?? commands[0]), e.kind);
  err.line = failed;
  return err;
}

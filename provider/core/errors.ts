/**
 * Typed errors for everything the kernel or a tool can say back. Error text is built here
 * and only here, so every failure reads the same way:
 *   failed to <verb> <kind> "<name>" in netns "<ns>"[ on host <user@host:port>]: `<command>`: <what the kernel said>
 */

export type ErrorKind = "not-found" | "exists" | "not-supported" | "permission" | "busy" | "invalid" | "failed";

/** What was being attempted, on which object; used to word the one-line error. */
export interface Attempt {
  verb: string;
  kind: string;
  name: string;
  netns?: string;
  /** The host (`user@host:port`) when it is not the machine the provider runs on. */
  host?: string;
}

/** Ordered: the first matching pattern decides the kind. Patterns are iproute2/iptables/sysctl stderr text. */
const PATTERNS: ReadonlyArray<[RegExp, ErrorKind]> = [
  [/Unknown device type|Operation not supported|not supported|Protocol not supported|Address family not supported|qdisc kind is unknown|Unknown qdisc/i, "not-supported"],
  [/File exists|already exists/i, "exists"],
  [
    /Cannot find device|does not exist|No such device|No such file or directory|Cannot open network namespace|No such process|cannot stat .*No such file|not found/i,
    "not-found",
  ],
  [/Operation not permitted|Permission denied|must be root/i, "permission"],
  [/Device or resource busy|Resource temporarily unavailable|Another app is currently holding the xtables lock/i, "busy"],
  [/Invalid argument|Numerical result out of range|is wrong|Error: .* invalid|Invalid "|inet prefix is expected|not a valid/i, "invalid"],
];

export function classify(stderr: string): ErrorKind {
  for (const [re, kind] of PATTERNS) if (re.test(stderr)) return kind;
  return "failed";
}

/** Extra words for messages whose cause is known but which the kernel words cryptically. */
function hint(argv: readonly string[], stderr: string): string {
  if (/Unknown device type/i.test(stderr)) {
    const type = argv[argv.indexOf("type") + 1];
    if (type === "vlan") return " (the kernel has no 802.1Q VLAN support (CONFIG_VLAN_8021Q); load the 8021q module)";
    if (type) return ` (the kernel has no support for link type "${type}")`;
  }
  if (/qdisc kind is unknown|Unknown qdisc/i.test(stderr)) {
    const kind = argv.find((t) => ["netem", "tbf", "htb"].includes(t));
    if (kind === "netem") return " (the kernel has no netem qdisc (CONFIG_NET_SCH_NETEM): load the sch_netem module; delay, jitter, loss, duplicate, corrupt and reorder need it, a rate alone uses tbf)";
    if (kind) return ` (the kernel has no ${kind} qdisc (sch_${kind}))`;
  }
  return "";
}

/** The most telling line of a tool's stderr: iproute2 prints "Error: ..." or "RTNETLINK answers: ...". */
export function kernelSays(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^Command failed/.test(l));
  const said = lines.find((l) => /^(Error|RTNETLINK answers):/.test(l)) ?? lines[0] ?? "";
  return said.replace(/^Error:\s*/, "");
}

/** A command that ran and failed. `kind` lets handlers treat "already gone" or "already there" as success. */
export class CommandError extends Error {
  readonly kind: ErrorKind;
  readonly argv: readonly string[];
  readonly stderr: string;
  readonly exitCode: number | undefined;
  /** In an `ip -batch`: the command (as given to ipBatch) that failed. */
  line?: readonly string[];
  /** What the command printed on stdout: some tools say their answer there and fail (ping with no reply). */
  stdout?: string;
  readonly attempt?: Attempt;

  constructor(argv: readonly string[], stderr: string, exitCode: number | undefined, attempt?: Attempt, kind?: ErrorKind) {
    const said = kernelSays(stderr) || `exit code ${exitCode ?? "unknown"}`;
    const command = argv.length ? `\`${argv.join(" ")}\`: ` : "";
    super(`${describe(attempt)}${command}${said}${hint(argv, stderr)}`);
    this.name = "CommandError";
    this.kind = kind ?? classify(stderr);
    this.argv = argv;
    this.stderr = stderr;
    this.exitCode = exitCode;
    this.attempt = attempt;
  }
}

/** The error worded for the host it happened on (a handler's errors all name a remote host). */
export function onHost(e: unknown, host: string | undefined): unknown {
  if (!host || !(e instanceof CommandError) || !e.attempt || e.attempt.host) return e;
  const err = new CommandError(e.argv, e.stderr, e.exitCode, { ...e.attempt, host }, e.kind);
  err.line = e.line;
  err.stack = e.stack;
  return err;
}

/** An input the provider refuses; the message already names field, value and rule. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

export function describe(attempt?: Attempt): string {
  if (!attempt) return "";
  const where = attempt.netns ? ` in netns "${attempt.netns}"` : "";
  const host = attempt.host ? ` on host ${attempt.host}` : "";
  return `failed to ${attempt.verb} ${attempt.kind} "${attempt.name}"${where}${host}: `;
}

/** A failure found by the provider itself (no command to blame), worded like every other one. */
export function objectError(attempt: Attempt, detail: string, kind: ErrorKind = "failed"): CommandError {
  return new CommandError([], detail, undefined, attempt, kind);
}

/** An object the provider expected and did not find. */
export const goneError = (attempt: Attempt, detail: string) => objectError(attempt, detail, "not-found");

/**
 * The result of `work`, or `gone` if the object (or its namespace) no longer exists: reads
 * report such an object as absent, deletes treat it as done.
 */
export async function unlessGone<T, G>(work: Promise<T>, gone: G): Promise<T | G> {
  try {
    return await work;
  } catch (e) {
    if (isKind(e, "not-found")) return gone;
    throw e;
  }
}

export function isKind(err: unknown, kind: ErrorKind): err is CommandError {
  return err instanceof CommandError && err.kind === kind;
}

/** Whether `err` is an `ip -batch` failure at exactly this command (say, the add of the object). */
export function failedAt(err: unknown, line: readonly string[]): boolean {
  return err instanceof CommandError && err.line === line;
}

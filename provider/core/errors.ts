/**
 * Typed errors for everything the kernel or a tool can say back. Error text is built here
 * and only here, so every failure reads the same way:
 *   failed to <verb> <kind> "<name>" in netns "<ns>"[ on host <user@host:port>]: `<command>`: <what the kernel said>
 * The kind is decided by how the command failed: a tool that is not installed first (its own
 * kind, never "not found"), then the words of the tool that printed them.
 */

export type ErrorKind = "not-found" | "exists" | "not-supported" | "permission" | "busy" | "invalid" | "missing-tool" | "failed";

/** What was being attempted, on which object; used to word the one-line error. */
export interface Attempt {
  verb: string;
  kind: string;
  name: string;
  netns?: string;
  /** The host (`user@host:port`) when it is not the machine the provider runs on. */
  host?: string;
}

/** The Debian package of each tool the provider runs: what a "not installed" error says to install. */
export const PACKAGE_OF: Readonly<Record<string, string>> = {
  ip: "iproute2",
  tc: "iproute2",
  bridge: "iproute2",
  sysctl: "procps",
  iptables: "iptables",
  ip6tables: "iptables",
  "iptables-save": "iptables",
  "ip6tables-save": "iptables",
  nft: "nftables",
  ping: "iputils-ping",
  nc: "netcat-openbsd",
  unshare: "util-linux",
  flock: "util-linux",
  ssh: "openssh-client",
  sh: "dash",
  ...Object.fromEntries(["cat", "mv", "mkdir", "rm", "ls", "stat", "mktemp"].map((t) => [t, "coreutils"])),
};

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);
/** Whether `argv` is `ip netns exec NS TOOL…` (hosts/batch.ts execArgv): ip starts the tool inside the namespace. */
const viaNetnsExec = (argv: readonly string[]) => basename(argv[0] ?? "") === "ip" && argv[1] === "netns" && argv[2] === "exec" && argv.length > 4;

/** The tool an argv runs: the one `ip netns exec` starts, else the first word (undefined: no command, the provider's own finding). */
export function toolOf(argv: readonly string[]): string | undefined {
  if (argv.length === 0) return undefined;
  return basename(viaNetnsExec(argv) ? argv[4] : argv[0]);
}

/**
 * The tool that could not be started, if that is why `argv` failed; decided by how it failed,
 * never by what a tool said about an object: `ip netns exec` saying its exec of the tool found
 * no such file (it exits 1, like a tool's own "no"), or a shell's status 127 (command not
 * found: a remote command runs under one), naming the tool the shell did not find.
 * (A local spawn that finds no file is seen by the host itself: ENOENT, see toolMissing.)
 */
export function missingTool(argv: readonly string[], stderr: string, exitCode: number | undefined): string | undefined {
  if (viaNetnsExec(argv)) {
    const exec = /^exec of "([^"]+)" failed: No such file or directory$/m.exec(stderr);
    if (exec) return basename(exec[1]);
  }
  if (exitCode !== 127) return undefined;
  // dash: "sh: 1: sysctl: not found"; bash: "bash: line 1: sysctl: command not found"; zsh: "zsh:1: command not found: sysctl";
  // util-linux's unshare/setpriv starting a program (its 127): "unshare: failed to execute stat: No such file or directory"
  const said =
    /^\S+?:(?: line)? ?\d*:? ?(\S+): (?:command )?not found$/m.exec(stderr) ??
    /command not found: (\S+)$/m.exec(stderr) ??
    /^\S+: failed to execute (\S+): No such file or directory$/m.exec(stderr);
  return said ? basename(said[1]) : toolOf(argv);
}

/**
 * Ordered per tool: the first matching pattern decides the kind. "Not found" (which reads and
 * deletes take for "gone") is only what the tool that printed it says about an object; any
 * other "No such file or directory" or "not found" is no answer about the object.
 */
const NOT_SUPPORTED: [RegExp, ErrorKind] = [
  /Unknown device type|Operation not supported|not supported|Protocol not supported|Address family not supported|qdisc kind is unknown|Unknown qdisc|Table does not exist \(do you need to insmod\?\)/i,
  "not-supported",
];
const GENERAL: ReadonlyArray<[RegExp, ErrorKind]> = [
  [/File exists|already exists/i, "exists"],
  [/Operation not permitted|Permission denied|must be root/i, "permission"],
  [/Device or resource busy|Resource temporarily unavailable|Another app is currently holding the xtables lock/i, "busy"],
  [/Invalid argument|Numerical result out of range|is wrong|Error: .* invalid|Invalid "|inet prefix is expected|not a valid/i, "invalid"],
];
/** What ip prints about a namespace it cannot enter (also before `ip netns exec` starts a tool), and what the provider says in its words. */
const NO_NETNS = /^Cannot open network namespace "[^"]*": No such file or directory$/m;
const IPROUTE2_GONE = /Cannot find device|does not exist|No such device|No such file or directory|No such process|Device not found/i;
const NOT_FOUND_BY_TOOL: Readonly<Record<string, RegExp>> = {
  ip: IPROUTE2_GONE,
  tc: IPROUTE2_GONE,
  bridge: IPROUTE2_GONE,
  sysctl: /^sysctl: cannot stat \/proc\/sys\/\S+: No such file or directory$/m,
  iptables: /No chain\/target\/match by that name|does not exist/,
  ip6tables: /No chain\/target\/match by that name|does not exist/,
  nft: /^Error: Could not process rule: No such file or directory$/m,
};

/** The kind of a failure, from how `argv` failed: a missing tool first, then what the tool that printed it said. */
export function classify(stderr: string, argv: readonly string[] = [], exitCode?: number): ErrorKind {
  if (missingTool(argv, stderr, exitCode)) return "missing-tool";
  if (NOT_SUPPORTED[0].test(stderr)) return NOT_SUPPORTED[1];
  const tool = toolOf(argv);
  const ipSaid = tool === undefined || basename(argv[0]) === "ip";
  if ((ipSaid && NO_NETNS.test(stderr)) || (tool !== undefined && NOT_FOUND_BY_TOOL[tool]?.test(stderr))) return "not-found";
  for (const [re, kind] of GENERAL) if (re.test(stderr)) return kind;
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
  /** The command's exit status; 127 for a tool that is not installed (toolMissing), however the runner said it. */
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
    this.kind = kind ?? classify(stderr, argv, exitCode);
    this.argv = argv;
    this.stderr = stderr;
    this.exitCode = exitCode;
    this.attempt = attempt;
  }
}

/**
 * The error for a tool that is not installed where `argv` ran (`where`: the host's label;
 * undefined: this machine), in place of what the runner said. Its exit code is 127, whatever
 * the runner's was (`ip netns exec` exits 1), so no check of a tool's own status (`iptables -C`
 * exits 1 for "no such rule", ping 1 for "no reply") can take a missing tool for an answer.
 */
export function toolMissing(argv: readonly string[], tool: string, where: string | undefined, attempt?: Attempt): CommandError {
  const pkg = PACKAGE_OF[tool];
  return new CommandError(argv, `\`${tool}\` is not installed on ${where ?? "this machine"}${pkg ? `: install ${pkg}` : ""}`, 127, attempt, "missing-tool");
}

/** The error of a command that ran and failed on a host (`where`, as toolMissing): a missing tool said so, anything else as the tool said it. */
export function commandFailed(argv: readonly string[], stderr: string, exitCode: number | undefined, where: string | undefined, attempt?: Attempt): CommandError {
  const tool = missingTool(argv, stderr, exitCode);
  return tool ? toolMissing(argv, tool, where, attempt) : new CommandError(argv, stderr, exitCode, attempt);
}

/** The same failure worded for another attempt (what one look shared by several objects failed for). */
export function reworded(e: unknown, attempt: Attempt): unknown {
  if (!(e instanceof CommandError)) return e;
  const err = new CommandError(e.argv, e.stderr, e.exitCode, attempt, e.kind);
  err.line = e.line;
  err.stdout = e.stdout;
  err.stack = e.stack;
  return err;
}

/** The error worded for the host it happened on (a handler's errors all name a remote host). */
export function onHost(e: unknown, host: string | undefined): unknown {
  if (!host || !(e instanceof CommandError) || !e.attempt || e.attempt.host) return e;
  return reworded(e, { ...e.attempt, host });
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

/**
 * How long one operation may take before the provider gives up on it, per kind of operation.
 * Each default can be changed by an environment variable of the `pulumi` process (the provider
 * inherits it), in seconds; a bad value fails the operation that reads it, in one line naming
 * the variable and the rule. Read at each use: a test or a long-lived process sees a change.
 */

export interface Limit {
  ms: number;
  /** What the limit is for and how to change it, for a timeout's message. */
  why: string;
}

const LIMITS = {
  /** One `ip` command (a line of a long-lived `ip -batch`, or an `ip` of its own). */
  ip: { env: "LINUXNET_TIMEOUT_IP", seconds: 30, what: "one ip command" },
  /** Added per line of an `ip -batch` to the ip limit: a batch of 200 namespaces may take longer than one command. */
  batchLine: { env: "LINUXNET_TIMEOUT_BATCH_LINE", seconds: 0.5, what: "each line of an ip batch" },
  /** Any other command (iptables, sysctl, tc, the records' files); a probe gets its own timeout on top. */
  command: { env: "LINUXNET_TIMEOUT_COMMAND", seconds: 60, what: "one command" },
  /** Opening the SSH connection to another host (ssh's ConnectTimeout). */
  connect: { env: "LINUXNET_TIMEOUT_SSH_CONNECT", seconds: 15, what: "opening an SSH connection" },
} as const;

export type LimitKind = keyof typeof LIMITS;

const MAX_SECONDS = 86_400;

/** A limit in seconds: its variable's value, else its default. */
export function seconds(kind: LimitKind): number {
  const { env, seconds: fallback } = LIMITS[kind];
  const raw = process.env[env];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!/^\s*\d*\.?\d+\s*$/.test(raw) || !(n > 0) || n > MAX_SECONDS) {
    throw new Error(`invalid ${env} ${JSON.stringify(raw)} (must be a number of seconds greater than 0 and at most ${MAX_SECONDS})`);
  }
  return n;
}

const limit = (kind: LimitKind, ms: number, extra = ""): Limit => ({ ms: Math.ceil(ms), why: `the limit for ${LIMITS[kind].what}${extra}; ${LIMITS[kind].env} changes it` });

/** A probe that may look for `probeSeconds`: that, and the command limit for the tool itself. */
export const probeLimit = (probeSeconds: number): Limit => limit("command", (probeSeconds + seconds("command")) * 1000, ` plus the probe's ${probeSeconds} s`);

/**
 * The limit of one argv, by what it is: an `ip -batch` (the ip limit and a share per line of
 * its input), another `ip`, or any other command.
 */
export function limitFor(argv: readonly string[], input?: string): Limit {
  if (argv[0] === "ip" && argv.includes("-batch")) {
    const lines = (input ?? "").split("\n").filter(Boolean).length;
    const ms = Math.ceil((seconds("ip") + lines * seconds("batchLine")) * 1000);
    return { ms, why: `the limit for a batch of ${lines} ip commands; ${LIMITS.ip.env} and ${LIMITS.batchLine.env} change it` };
  }
  if (argv[0] === "ip" && !(argv[1] === "netns" && argv[2] === "exec")) return limit("ip", seconds("ip") * 1000);
  return limit("command", seconds("command") * 1000);
}

/** The limit when a new SSH connection must be opened first: that, and the connect limit. */
export const withConnect = (l: Limit): Limit => ({ ms: l.ms + seconds("connect") * 1000, why: `${l.why}, plus ${seconds("connect")} s to connect` });

/** A timeout in one line: how long, and which limit. */
export const timedOut = (l: Limit) => `timed out after ${+(l.ms / 1000).toFixed(1)} s (${l.why})`;

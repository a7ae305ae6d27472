/**
 * What `ping` and `nc` say, and what it means for a probe's expectation: pure functions (the
 * probe kind in probe.ts runs the tools). Output is read as iputils and busybox print it under
 * LC_ALL=C (every host runs commands with LC_ALL=C).
 */

/** One echo reply as ping prints it. */
export interface Reply {
  from: string;
  ttl: number;
  /** Round trip in ms; busybox and iputils print it unless the clock was unusable. */
  timeMs?: number;
}

/** A ping run, read from its standard output. */
export interface PingOutput {
  transmitted: number;
  received: number;
  /** Every echo reply line, duplicates included. */
  replies: Reply[];
  /** ICMP errors that came back instead of replies: "From 10.0.1.1: Destination Host Unreachable". */
  icmpErrors: string[];
  /** The summary's average round trip (ms), if printed. */
  rttAvgMs?: number;
}

const REPLY = /^\d+ bytes from (\S+?):? (?:icmp_)?seq=\d+ ttl=(\d+)(?: time=([\d.]+) ms)?/;
const ICMP_ERROR = /^From (\S+?)(?: \(\S+\))?:? (?:icmp_)?seq=\d+ (.+?)\s*$/;
const COUNTS = /(\d+) packets transmitted, (\d+) (?:packets )?received/;
const RTT = /(?:rtt|round-trip) min\/avg\/max(?:\/mdev)? = [\d.]+\/([\d.]+)\//;

export function parsePing(stdout: string): PingOutput {
  const out: PingOutput = { transmitted: 0, received: 0, replies: [], icmpErrors: [] };
  for (const line of stdout.split("\n").map((l) => l.trim())) {
    const reply = REPLY.exec(line);
    if (reply) {
      out.replies.push({ from: reply[1], ttl: Number(reply[2]), ...(reply[3] !== undefined && { timeMs: Number(reply[3]) }) });
      continue;
    }
    const error = ICMP_ERROR.exec(line);
    if (error) {
      out.icmpErrors.push(`From ${error[1]}: ${error[2]}`);
      continue;
    }
    const counts = COUNTS.exec(line);
    if (counts) [out.transmitted, out.received] = [Number(counts[1]), Number(counts[2])];
    const rtt = RTT.exec(line);
    if (rtt) out.rttAvgMs = Number(rtt[1]);
  }
  // No summary (ping killed before it printed one): the reply lines are what there is.
  if (out.transmitted === 0) out.received = out.replies.length;
  return out;
}

/**
 * What ping wrote on stderr when the kernel refused to SEND (no route, an address still
 * tentative, a firewall rule in OUTPUT): iputils' `ping: connect: …` and `ping: sendmsg: …`,
 * busybox's `ping: sendto: …`. An answer of the network, not a failure of the probe. A socket
 * ping could not open (`ping: socket: Operation not permitted`: no CAP_NET_RAW, and its group
 * not in net.ipv4.ping_group_range) sent nothing: no answer at all.
 */
export const REFUSED_TO_SEND = /^(?:\S*ping6?: )?(?:connect|sendmsg|sendto): (?:Network is unreachable|No route to host|Cannot assign requested address|Operation not permitted|Permission denied|Network is down|Host is down)$/m;

/** What iputils and busybox say when ping cannot open its ICMP socket. */
const NO_SOCKET = /^(?:\S*ping6?: )?(?:socket|icmp open socket): (.+)$|^(?:\S*ping6?: )?(permission denied \(are you root\?\))$/m;

/**
 * What a ping that exited 1 or 2 saw: the network's answer where ping sent (its summary counts
 * what it sent; ICMP errors came back) or the kernel refused to send; undefined where it
 * never sent (the probe failed: `pingSocketProblem` says why when it could not open its socket).
 */
export function pingAnswer(stdout: string, stderr: string, at: string): Seen | undefined {
  const out = parsePing(stdout);
  if (out.transmitted > 0 || out.replies.length > 0 || out.icmpErrors.length > 0) return seenFromPing(out, stderr, at);
  const refused = REFUSED_TO_SEND.exec(stderr);
  if (refused) return { via: "icmp", reachable: false, sent: 0, received: 0, error: refused[0].replace(/^\S*ping6?: /, ""), at };
  return undefined;
}

/** Why ping could not open its socket, in one line; undefined if that is not why it failed. */
export function pingSocketProblem(stderr: string): string | undefined {
  const m = NO_SOCKET.exec(stderr);
  if (!m) return undefined;
  const said = m[1] ? `socket: ${m[1]}` : m[2];
  return `ping could not open its ICMP socket (${said}), so it sent nothing: it needs CAP_NET_RAW, or its group in net.ipv4.ping_group_range of the namespace`;
}

/** The line of a tool's stderr worth showing: "connect: Network is unreachable". */
export function saidOnStderr(stderr: string): string {
  // (A command that printed nothing there is worded by the runner: "Command failed with exit code 1: …".)
  const line = stderr.split("\n").map((l) => l.trim()).find((l) => l && !/^Warning:|^ping: Warning|^Command failed with/.test(l)) ?? "";
  return line.replace(/^(ping|nc): /, "");
}

/** `nc -z -v` on stderr: why a connect failed ("Connection refused"), undefined when it succeeded. */
export function ncFailure(stderr: string): string {
  const failed = /failed: (.+?)\s*$/m.exec(stderr);
  if (failed) return failed[1];
  if (/timed out/.test(stderr)) return "connect timed out";
  return saidOnStderr(stderr) || "no connection";
}

// ── what was seen, and whether it is what was expected ─────────────────────────────────

/** What a probe saw: its `seen` output. */
export interface Seen {
  /** How it looked: ICMP echo (ping) or a TCP connect to `port` (nc). */
  via: "icmp" | "tcp";
  /** An echo reply came back (ICMP), or the TCP connection was accepted. */
  reachable: boolean;
  /** ICMP: the TTL of the last reply (64 from a Linux host on the same link; each router on the way takes one). */
  ttl?: number;
  /** ICMP: the average round trip of the replies, in ms. */
  rttMs?: number;
  /** ICMP: echo requests sent, and replies received. */
  sent?: number;
  received?: number;
  /** Why nothing came back, as the network or the tool said it (an ICMP error, "connect: Network is unreachable", "Connection refused"). */
  error?: string;
  /** Why the probe could not look at all (its namespace is gone): it then holds no expectation. */
  couldNotRun?: string;
  /** When it looked (ISO 8601). */
  at: string;
}

/** The expectation, as the probe's inputs state it. */
export interface Expectation {
  expect: "reachable" | "unreachable";
  ttl?: number;
  maxRtt?: number;
  port?: number;
  timeout: number;
}

/** Seen from one ping run (its stdout) and what it said on stderr. */
export function seenFromPing(out: PingOutput, stderr: string, at: string): Seen {
  const last = out.replies.at(-1);
  const times = out.replies.map((r) => r.timeMs).filter((t): t is number => t !== undefined);
  const rtt = out.rttAvgMs ?? (times.length ? times.reduce((a, b) => a + b, 0) / times.length : undefined);
  const reachable = out.replies.length > 0 || out.received > 0;
  const error = reachable ? undefined : out.icmpErrors[0] ?? (saidOnStderr(stderr) || undefined);
  return {
    via: "icmp",
    reachable,
    ...(last && { ttl: last.ttl }),
    ...(reachable && rtt !== undefined && { rttMs: Math.round(rtt * 1000) / 1000 }),
    sent: Math.max(out.transmitted, out.replies.length),
    received: Math.max(out.received, reachable ? 1 : 0),
    ...(error && { error }),
    at,
  };
}

/** Whether what was seen is what was expected. */
export function holds(e: Expectation, seen: Seen): boolean {
  if (seen.couldNotRun !== undefined) return false;
  if (e.expect === "unreachable") return !seen.reachable;
  if (!seen.reachable) return false;
  if (e.ttl !== undefined && seen.ttl !== e.ttl) return false;
  if (e.maxRtt !== undefined && (seen.rttMs === undefined || seen.rttMs > e.maxRtt)) return false;
  return true;
}

/** The answer a refresh compares: a change in it is drift; the round trip and the time alone are not. */
export const answerOf = (e: Expectation, s: Seen) => JSON.stringify([s.reachable, s.ttl ?? null, s.couldNotRun ?? null, holds(e, s)]);

const ms = (v: number) => `${Math.round(v * 1000) / 1000} ms`;

/** "reachable with TTL 63 within 5 ms" */
export function expectedWords(e: Expectation): string {
  const parts: string[] = [e.expect];
  if (e.ttl !== undefined) parts.push(`with TTL ${e.ttl}`);
  if (e.maxRtt !== undefined) parts.push(`within ${ms(e.maxRtt)}`);
  return parts.join(" ");
}

/** "no reply in 3 s (From 10.0.1.1: Destination Host Unreachable)", "a reply with TTL 64 in 0.05 ms" */
export function seenWords(e: Expectation, s: Seen): string {
  if (s.couldNotRun !== undefined) return `nothing: it could not run (${s.couldNotRun})`;
  const why = s.error ? ` (${s.error})` : "";
  if (s.via === "tcp") return s.reachable ? "a connection" : `no connection in ${e.timeout} s${why}`;
  if (!s.reachable) return `no reply in ${e.timeout} s${why}`;
  const n = s.received ?? 1;
  return `${n > 1 ? `${n} replies` : "a reply"}${s.ttl !== undefined ? ` with TTL ${s.ttl}` : ""}${s.rttMs !== undefined ? ` in ${ms(s.rttMs)}` : ""}`;
}

/** The one line a probe that does not hold fails with: from, to, expected, seen. */
export function failureLine(from: string, to: string, e: Expectation, s: Seen): string {
  return `probe ${from} → ${to}: expected ${expectedWords(e)}, got ${seenWords(e, s)}`;
}

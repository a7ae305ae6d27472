/**
 * Probe: an expectation of reachability, from a namespace (of this machine or one over SSH)
 * to an address: ICMP echo by default (`ping`), or a TCP connect to a port (`nc -z`). It runs
 * at create and update, after what it depends on, and fails the step with one line when the
 * expectation does not hold; `read` (refresh) looks again and reports what it sees now, and a
 * probe whose recorded answer no longer holds diffs as an update, so the next `up` re-checks it.
 * It makes no kernel object: nothing to mark as owned, nothing to delete.
 *
 * Timing: ping sends an echo request every 0.2 s until `count` replies came or `timeout`
 * seconds passed (`ping -c COUNT -w TIMEOUT -i 0.2`); where the kernel refuses to send at all
 * (no route yet, an IPv6 address still tentative) it is asked again every 0.2 s within the same
 * timeout. So a reachable destination answers as soon as the path is up (ARP, a bridge port
 * coming up: milliseconds here), and "unreachable" is concluded only after `timeout` seconds
 * without a reply — what an unreachable expectation always costs.
 */
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { CommandError, isKind, objectError } from "../core/errors";
import { handlers, type KindSpec, type Props } from "../core/kind";
import { ifNameProblem, netnsName, ownership, type CheckFailure } from "../core/validate";
import type { Host, Target } from "../hosts";
import { KINDS } from "../registry";
import { failureLine, holds, ncFailure, parsePing, pingAnswer, pingSocketProblem, answerOf, type Expectation, type Seen, seenFromPing } from "../core/probe-answer";

// ── schema ──────────────────────────────────────────────────────────────────────────────
const show = (v: unknown) => JSON.stringify(v);
const TO_RULE = "must be an IPv4 or IPv6 address like 172.16.10.2 or fd00::2 (a prefix length, as links take addresses, is dropped; an IPv6 link-local address may carry its interface: fe80::1%eth0)";

/** Why an address cannot be pinged as one host, or undefined. */
function targetProblem(a: ipaddr.IPv4 | ipaddr.IPv6, text: string): string | undefined {
  const range = a.range();
  if (range === "unspecified") return "must not be the unspecified address (it names no host)";
  if (range === "multicast") return "must not be a multicast address (a group, not a host)";
  if (range === "broadcast") return "must not be the limited broadcast address (not a host)";
  if (a.kind() === "ipv6" && (range === "ipv4Mapped" || text.includes("."))) return "must not be an IPv4 address inside IPv6 like ::ffff:1.2.3.4: give the IPv4 address itself";
  return undefined;
}

/** The destination: an address, normalized as the kernel prints it (a CIDR's prefix dropped). */
const destination = z.string({ error: `invalid to (${TO_RULE})` }).transform((v, ctx) => {
  const fail = (rule: string) => {
    ctx.addIssue({ code: "custom", message: `invalid to ${show(v)} (${rule})` });
    return z.NEVER;
  };
  const m = /^([0-9A-Fa-f:.]+)(?:%([^/]+))?(?:\/(\d{1,3}))?$/.exec(v.trim());
  if (!m || !ipaddr.isValid(m[1]) || (m[1].includes(".") && !m[1].includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(m[1]))) return fail(TO_RULE);
  const a = ipaddr.parse(m[1]);
  if (m[3] !== undefined && Number(m[3]) > (a.kind() === "ipv4" ? 32 : 128)) return fail(TO_RULE);
  const problem = targetProblem(a, m[1]);
  if (problem) return fail(problem);
  if (m[2] !== undefined) {
    if (a.kind() !== "ipv6" || a.range() !== "linkLocal") return fail("may name an interface (%NAME) only after an IPv6 link-local address");
    const zone = ifNameProblem(m[2]);
    if (zone) return fail(`its interface ${show(m[2])} ${zone}`);
    return `${a.toString()}%${m[2]}`;
  }
  return a.toString();
});

const wholeNumber = (field: string, min: number, max: number, unit = "") =>
  z.number({ error: `invalid ${field} (must be a whole number from ${min} to ${max}${unit})` }).refine((v) => Number.isInteger(v) && v >= min && v <= max, {
    error: (iss) => `invalid ${field} ${show(iss.input)} (must be a whole number from ${min} to ${max}${unit})`,
  });

export const schema = z
  .strictObject({
    netns: netnsName("netns").optional(),
    to: destination,
    port: wholeNumber("port", 1, 65535).optional(),
    expect: z.enum(["reachable", "unreachable"], { error: (iss) => `invalid expect ${show(iss.input)} (must be "reachable" or "unreachable")` }).default("reachable"),
    ttl: wholeNumber("ttl", 1, 255).optional(),
    maxRtt: z
      .number({ error: "invalid maxRtt (must be a number of milliseconds above 0)" })
      .refine((v) => Number.isFinite(v) && v > 0, { error: (iss) => `invalid maxRtt ${show(iss.input)} (must be a number of milliseconds above 0)` })
      .optional(),
    count: wholeNumber("count", 1, 100).default(1),
    timeout: wholeNumber("timeout", 1, 60, " seconds").default(3),
    /** Values whose change re-runs the probe (as pulumi-command's `triggers`). */
    triggers: z.array(z.unknown(), { error: "invalid triggers (must be a list)" }).optional(),
    ...ownership(),
  })
  .superRefine((i, ctx) => {
    const refuse = (field: "ttl" | "maxRtt" | "count", rule: string) => ctx.addIssue({ code: "custom", path: [field], message: `invalid ${field} ${show(i[field])} (${rule})` });
    for (const field of ["ttl", "maxRtt"] as const) {
      if (i[field] === undefined) continue;
      if (i.expect === "unreachable") refuse(field, 'must be left out when expect is "unreachable": no reply is expected to measure');
      else if (i.port !== undefined) refuse(field, "must be left out with port: a TCP connect has no reply TTL or round trip to check (leave port out to check them with ICMP)");
    }
    if (i.port !== undefined && i.count !== 1) refuse("count", "must be left out with port: a TCP probe needs one accepted connection");
  });
export type ProbeInputs = z.output<typeof schema>;

export interface ProbeOutputs extends Record<string, unknown> {
  seen: Seen;
  /** Whether `seen` is what was expected (false only after a refresh saw otherwise). */
  holds: boolean;
}

// ── replacement ─────────────────────────────────────────────────────────────────────────
const replaceOn = KINDS.probe.replaceOn;

// ── argv builders ───────────────────────────────────────────────────────────────────────
const family = (to: string) => (to.includes(":") ? "-6" : "-4");

export const argv = {
  /** Echo requests every 0.2 s until COUNT replies or SECONDS passed; -n: no name lookups. */
  ping: (to: string, count: number, seconds: number) => ["ping", "-n", family(to), "-c", String(count), "-w", String(seconds), "-i", "0.2", to],
  /** One TCP connect, no data (-z), reason on stderr (-v). */
  tcp: (to: string, port: number, seconds: number) => ["nc", "-z", "-v", "-n", family(to), "-w", String(seconds), to, String(port)],
  /** Its usage text, to see that this nc can do -z and -w. */
  tcpTool: () => ["nc", "-h"],
};

// ── looking ─────────────────────────────────────────────────────────────────────────────
const RETRY_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const target = (i: ProbeInputs): Target => ({ netns: i.netns });
const toWords = (i: ProbeInputs) => `${i.to}${i.port !== undefined ? ` port ${i.port}` : ""}`;
const subject = (i: ProbeInputs) => ({ kind: "probe", name: `${i.netns ?? "(pulumi's netns)"} → ${toWords(i)}`, netns: i.netns });
const attempt = (verb: string, i: ProbeInputs) => ({ verb, ...subject(i) });
/** The probe's origin as its failure line says it: the namespace, and the host when it is another machine. */
const fromWords = (host: Host, i: ProbeInputs) => `${i.netns ?? "(pulumi's netns)"}${host.label ? ` on ${host.label}` : ""}`;

/** Whether the host has an nc that can make a TCP probe (-z, -w); asked once per host (a failure to ask is thrown, and asked again). */
function tcpTool(host: Host): Promise<boolean> {
  const canProbe = (usage: string) => /-z\b/.test(usage) && /-w\b/.test(usage);
  return host.fact("probe:nc", async () => {
    try {
      const { stdout, stderr } = await host.run(argv.tcpTool());
      return canProbe(stdout + stderr);
    } catch (e) {
      // No nc at all is an answer; some nc (busybox) print their usage and exit 1. Anything
      // else (the host did not answer) is no answer.
      if (isKind(e, "missing-tool")) return false;
      if (e instanceof CommandError && e.exitCode === 1) return canProbe(`${e.stdout ?? ""}${e.stderr}`);
      throw e;
    }
  });
}

const NO_TCP_TOOL = "a TCP probe needs nc with -z and -w (Debian's netcat-openbsd) on the host, and there is none; install it there, or leave port out to probe with ICMP";

/** One run of the tool, at most `seconds` long: what it saw. Failures of the tool itself throw. */
async function lookOnce(host: Host, i: ProbeInputs, seconds: number, verb: string): Promise<Seen> {
  const at = new Date().toISOString();
  if (i.port !== undefined) {
    try {
      await host.exec(argv.tcp(i.to, i.port, seconds), target(i), attempt(verb, i), undefined, { probeSeconds: seconds });
      return { via: "tcp", reachable: true, at };
    } catch (e) {
      if (e instanceof CommandError && e.exitCode === 1) return { via: "tcp", reachable: false, error: ncFailure(e.stderr), at };
      throw e;
    }
  }
  try {
    const { stdout, stderr } = await host.exec(argv.ping(i.to, i.count, seconds), target(i), attempt(verb, i), undefined, { probeSeconds: seconds });
    return seenFromPing(parsePing(stdout), stderr, at);
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    // 1: no reply (the summary is on stdout); 1 or 2: the kernel would not send (no route, …),
    // or ping's own failure (no socket): then the probe saw nothing, and says why.
    const seen = e.exitCode === 1 || e.exitCode === 2 ? pingAnswer(e.stdout ?? "", e.stderr, at) : undefined;
    if (seen) return seen;
    const socket = pingSocketProblem(e.stderr);
    throw socket ? objectError(attempt(verb, i), socket, "permission") : e;
  }
}

/** Looks until an answer comes or the timeout passes (see the top of this file). */
export async function look(host: Host, i: ProbeInputs, verb: string): Promise<Seen> {
  if (i.port !== undefined && !(await tcpTool(host))) throw objectError(attempt(verb, i), NO_TCP_TOOL, "not-supported");
  const deadline = Date.now() + i.timeout * 1000;
  for (;;) {
    const seen = await lookOnce(host, i, Math.max(1, Math.ceil((deadline - Date.now()) / 1000)), verb);
    if (seen.reachable || Date.now() + RETRY_MS >= deadline) return seen;
    await sleep(RETRY_MS);
  }
}

/** A probe whose expectation does not hold: its message is the one line `up` fails with. */
export class ProbeFailed extends Error {
  constructor(
    message: string,
    readonly seen: Seen,
  ) {
    super(message);
    this.name = "ProbeFailed";
  }
}

/** Looks, and fails with one line unless the expectation holds. */
async function check(host: Host, i: ProbeInputs, verb: string): Promise<ProbeOutputs> {
  const seen = await look(host, i, verb);
  if (!holds(i as Expectation, seen)) throw new ProbeFailed(failureLine(fromWords(host, i), toWords(i), i as Expectation, seen), seen);
  return { seen, holds: true };
}

const spec: KindSpec<typeof schema, ProbeOutputs> = {
  kind: "Probe",
  schema,
  replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}→${toWords(i).replace(" port ", ":")}`,

  /** At preview: a TCP probe needs its tool on the host. */
  async checkKernel(host, i): Promise<CheckFailure[]> {
    if (i.port === undefined || (await tcpTool(host))) return [];
    return [{ property: "port", reason: `invalid port ${i.port} (${NO_TCP_TOOL})` }];
  },

  create: (host, i) => check(host, i, "run"),
  update: (host, _o, n) => check(host, n, "run"),

  /**
   * What is seen now. The same answer as recorded (reachable or not, the reply TTL, whether it
   * holds) keeps the recorded outputs, round trip and time included, so a refresh shows a
   * change only when the answer changed. A namespace gone is seen as "could not run".
   */
  async read(host, i, state) {
    let seen: Seen;
    try {
      seen = await look(host, i, "read");
    } catch (e) {
      if (!isKind(e, "not-found") || i.netns === undefined || (await host.netnsExists(i.netns))) throw e;
      seen = { via: i.port === undefined ? "icmp" : "tcp", reachable: false, couldNotRun: `netns "${i.netns}" does not exist`, at: new Date().toISOString() };
    }
    const e = i as Expectation;
    const old = state.seen;
    if (old && answerOf(e, old) === answerOf(e, seen)) return { inputs: i, outs: { seen: old, holds: holds(e, old) } };
    return { inputs: i, outs: { seen, holds: holds(e, seen) } };
  },

  async delete() {
    // Nothing to undo: a probe only looks.
  },

  async existing() {
    return undefined; // makes nothing, so never meets "exists"
  },
};

const derived = handlers(spec);

/**
 * The derived handlers, with one more reason to update: a probe whose recorded answer does not
 * hold (a refresh saw it change) is run again by the next `up` even if its inputs are the same.
 */
export const probe = {
  ...derived,
  async diff(id: string, olds: Props, news: Props): Promise<{ changes?: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
    const d = await derived.diff(id, olds, news);
    return d.changes === false && olds.holds === false ? { ...d, changes: true } : d;
  },
};

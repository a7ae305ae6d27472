/**
 * NamespaceFleet: N like members as one resource, each a named namespace with a veth whose own
 * end (`ifname`, default eth0) carries the member's addresses and default routes and whose
 * other end, named like the member, is a port of `bridge` in `netns`. As a thousand Namespace
 * and VethPair resources, a thousand members cost the engine a state rewrite per step; as one
 * resource they cost what the kernel does (core/members.ts: batched `ip`).
 *
 * The inputs the state holds name every member (`members[k]`: name and addresses), whatever
 * the program wrote (core/fleet-plan.ts): so the engine's own diff names each member that
 * changes (`members[17].addresses[0]`), and an update touches only those members, adds or
 * removes only the members at the edge, and leaves the others' namespaces and links as they
 * are. A member whose name is taken by an object the fleet does not own is refused (an
 * unmarked namespace is built into with `adopt`); its own leftover of a killed `up` is made
 * again; a member holding other stacks' objects is never deleted (the namespace guard).
 *
 * IPv6: no link-local address on either end unless `linkLocal` (`addrgenmode none`), and the
 * members' `subnet6` addresses without duplicate address detection (`nodad`): no DAD, router
 * or listener solicitations. A thousand members doing those on one bridge overflowed the
 * kernel's input backlog (bench/storm.sh, N=1000: 1.1 million packets dropped during the
 * build and 1 million in the 30 s after with IPv6 on as the kernel has it; none with this).
 */
import { z } from "zod";
import { type Drift, expand, type FleetShape, type Member, type MemberState, ROLE_END } from "../core/fleet-plan";
import { defined, handlers, holdsUnknown, type KindSpec, type Props } from "../core/kind";
import { argv, eachLimited, makeMembers, once, PARALLEL, removeMembers } from "../core/members";
import { DRIFTS, driftOf, memberAttempt, observe, type Seen1, statesOf, whole } from "../core/member-look";
import { addresses as addressList, ipAddress, mtu, subnet } from "../core/net";
import { markOf } from "../core/owner";
import { failureLine, holds, type Expectation } from "../core/probe-answer";
import { bool, ifName, ifNameProblem, netnsName, ownership } from "../core/validate";
import type { Host } from "../hosts";
import { KINDS } from "../registry";
import { look, schema as probeSchema } from "./probe";

// ── schema ──────────────────────────────────────────────────────────────────────────────
const show = (v: unknown) => JSON.stringify(v);
/** The largest fleet: far above what one bridge or one machine serves well, low enough to refuse a typo. */
export const MAX_MEMBERS = 20000;

const wholeNumber = (field: string, min: number, max: number) =>
  z.number({ error: `invalid ${field} (must be a whole number from ${min} to ${max})` }).refine((v) => Number.isInteger(v) && v >= min && v <= max, {
    error: (iss) => `invalid ${field} ${show(iss.input)} (must be a whole number from ${min} to ${max})`,
  });

/** A member's name names its namespace and its port: a namespace name that is also an interface name. */
const memberName = (field: string) =>
  netnsName(field).superRefine((v, ctx) => {
    const problem = ifNameProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (${problem}: it also names the member's port)` });
  });

const member = z.strictObject({
  name: memberName("members[].name"),
  /** As given, or from `subnet`/`subnet6` by position. */
  addresses: addressList("members[].addresses").unwrap().optional(),
});

/** The fleet-level expectation: every member reaches `to` (what a Probe checks, from each member). */
const expectation = z.strictObject({
  to: probeSchema.shape.to,
  port: probeSchema.shape.port,
  expect: probeSchema.shape.expect,
  count: probeSchema.shape.count,
  timeout: probeSchema.shape.timeout,
  /** How many members are probed at once. */
  parallel: wholeNumber("expect.parallel", 1, 256).default(32),
});

const raw = z.strictObject({
  count: wholeNumber("count", 1, MAX_MEMBERS).optional(),
  namePrefix: memberName("namePrefix").optional(),
  /** The first member's number (`namePrefix` + number). */
  start: wholeNumber("start", 0, 1_000_000).default(0),
  members: z.array(member, { error: "invalid members (must be a list of { name, addresses? })" }).optional(),
  netns: netnsName("netns").optional(),
  bridge: ifName("bridge").optional(),
  ifname: ifName("ifname").default("eth0"),
  subnet: subnet("subnet").optional(),
  subnet6: subnet("subnet6").optional(),
  firstHost: wholeNumber("firstHost", 0, 2 ** 31).default(2),
  gateway: ipAddress("gateway").optional(),
  gateway6: ipAddress("gateway6").optional(),
  mtu: mtu("mtu").optional(),
  loopbackUp: bool("loopbackUp").default(true),
  /** An IPv6 link-local address on each member's own end (with its DAD, router and listener solicitations: see the top of this file). */
  linkLocal: bool("linkLocal").default(false),
  /** Multicast flooding to the members' ports (the bridge's default: on). */
  mcastFlood: bool("mcastFlood").default(true),
  expect: expectation.optional(),
  ...ownership(),
});

type Raw = z.output<typeof raw>;

export const schema = raw.superRefine((v, ctx) => {
  const r = expand(v);
  if (!Array.isArray(r)) ctx.addIssue({ code: "custom", path: r.path, message: r.message });
});

/** The inputs with every member named and addressed (what the state holds after check). */
export type FleetInputs = Omit<Raw, "members"> & FleetShape;

/**
 * The inputs as the handlers take them: members expanded. A state's members (check wrote them
 * so) are taken as they are: a refresh may have recorded what the kernel had, which the rules
 * need not accept (a member whose addresses were flushed by hand), and `up` must still repair
 * it and `destroy` remove it.
 */
function full(v: Raw): FleetInputs {
  if (v.count === undefined && v.members?.every((m) => Array.isArray(m.addresses))) return { ...v, members: v.members.map((m) => ({ name: m.name, addresses: m.addresses! })) };
  const members = expand(v);
  if (!Array.isArray(members)) throw new Error(`NamespaceFleet: ${members.message}`);
  return { ...v, members };
}

export interface FleetOutputs extends Record<string, unknown> {
  /** Per member, in the order of `members`. */
  memberStates: MemberState[];
  /** The expectation's answer at the last create, update or refresh. */
  expectation?: { holds: boolean; checked: number; failing: string[] };
}

const subjectOf = (i: FleetInputs) => ({ kind: "namespace fleet", name: `${i.members[0].name}…${i.members[i.members.length - 1].name} (${i.members.length} members)` });

// ── the expectation ─────────────────────────────────────────────────────────────────────
/** How many failing members a message names. */
const NAMED = 5;

type ExpectationSeen = NonNullable<FleetOutputs["expectation"]>;

/** Probes from every member, `parallel` at once: which members break the expectation (in the fleet's order), and the first one's line. */
async function checkExpectation(host: Host, i: FleetInputs, verb: string): Promise<{ result: ExpectationSeen; first?: string } | undefined> {
  const e = i.expect;
  if (!e) return undefined;
  const to = `${e.to}${e.port !== undefined ? ` port ${e.port}` : ""}`;
  const failing: Array<{ k: number; line: string }> = [];
  await eachLimited(i.members, e.parallel, async (m, k) => {
    const probe = { netns: m.name, to: e.to, port: e.port, expect: e.expect, count: e.count, timeout: e.timeout } as Parameters<typeof look>[1];
    const seen = await look(host, probe, verb);
    if (!holds(probe as Expectation, seen)) failing.push({ k, line: failureLine(`${m.name}${host.label ? ` on ${host.label}` : ""}`, to, probe as Expectation, seen) });
  });
  failing.sort((a, b) => a.k - b.k);
  return { result: { holds: failing.length === 0, checked: i.members.length, failing: failing.map((f) => i.members[f.k].name) }, first: failing[0]?.line };
}

/** Fails the step in one line when the expectation does not hold, naming the first members that break it. */
export class ExpectationFailed extends Error {
  constructor(i: FleetInputs, seen: ExpectationSeen, first: string) {
    const names = seen.failing.slice(0, NAMED).join(", ");
    const more = seen.failing.length > NAMED ? ` and ${seen.failing.length - NAMED} more` : "";
    super(`fleet expectation does not hold for ${seen.failing.length} of ${seen.checked} members (${names}${more}); the first: ${first}`);
    this.name = "ExpectationFailed";
  }
}

async function expectationAfter(host: Host, i: FleetInputs): Promise<ExpectationSeen | undefined> {
  const checked = await checkExpectation(host, i, "check");
  if (checked && !checked.result.holds) throw new ExpectationFailed(i, checked.result, checked.first!);
  return checked?.result;
}

// ── handlers ────────────────────────────────────────────────────────────────────────────
const byName = (list: readonly Member[]) => new Map(list.map((m) => [m.name, m]));

/** What the state says a member has (after refresh: what the kernel had), as the inside's diff takes it. */
function recorded(o: FleetInputs, m: Member, drift: Drift = {}): Seen1 {
  const had = <T>(f: (typeof DRIFTS)[number], declared: T): T => (f in drift ? ((drift[f] ?? undefined) as T) : declared);
  return {
    inode: 0,
    loAlias: o.owner && markOf(o.owner),
    loopbackUp: had("loopbackUp", o.loopbackUp),
    alias: o.owner && markOf(o.owner, ROLE_END),
    up: had("up", true),
    mtu: o.mtu,
    addresses: m.addresses,
    gateway: had("gateway", o.gateway),
    gateway6: had("gateway6", o.gateway6),
  };
}

/** Settings of the ports whose change sets every port again. */
const PORTS = ["bridge", "mcastFlood", "owner"] as const;

/**
 * Makes the kernel match `n`, from what the state says it has (`o`: after refresh, what the
 * kernel had): members no longer declared removed, new ones (and ones a refresh found missing
 * or broken) made, and of the rest only those whose inside differs touched, in place. The
 * others are not looked at, and keep their namespaces, links and recorded identities.
 */
async function converge(host: Host, o: FleetInputs, n: FleetInputs, state: Partial<FleetOutputs>, verb: string): Promise<FleetOutputs> {
  const news = byName(n.members);
  const olds = byName(o.members);
  await removeMembers(host, n, o.members.filter((m) => !news.has(m.name)), verb);
  // A member the state holds but not whole (a refresh found it missing or broken) is made again.
  const wasWhole = new Set((state.memberStates ?? o.members).map((m) => m.name));
  const made = await makeMembers(host, n, n.members.filter((m) => !olds.has(m.name) || !wasWhole.has(m.name)));
  const kept = n.members.filter((m) => olds.has(m.name) && wasWhole.has(m.name));
  const before = new Map((state.memberStates ?? []).map(({ drift: _d, ...s }) => [s.name, s]));
  const drifts = new Map((state.memberStates ?? []).map((s) => [s.name, s.drift]));
  if (PORTS.some((f) => o[f] !== n[f])) await once(host, kept.flatMap((m) => argv.port(n, m).slice(1)), n.netns, (line) => memberAttempt(verb, line[3], n.netns));
  await eachLimited(kept, PARALLEL, async (m) => {
    const lines = argv.inside(n, m, recorded(o, olds.get(m.name)!, drifts.get(m.name)));
    if (lines.length) await once(host, lines, m.name, () => memberAttempt(verb, m.name));
  });
  const expectation = await expectationAfter(host, n);
  return { memberStates: n.members.flatMap((m) => made.get(m.name) ?? before.get(m.name) ?? []), ...(expectation && { expectation }) };
}

const spec: KindSpec<typeof schema, FleetOutputs> = {
  kind: KINDS.namespaceFleet.kind,
  schema,
  replaceOn: KINDS.namespaceFleet.replaceOn,
  subject: (i) => subjectOf(full(i)),
  id: (i) => `fleet:${i.netns ?? ""}/${full(i).members[0].name}`,

  async create(host, raw) {
    const i = full(raw);
    const made = await makeMembers(host, i, i.members);
    try {
      const expectation = await expectationAfter(host, i);
      return { memberStates: i.members.map((m) => made.get(m.name)!), ...(expectation && { expectation }) };
    } catch (e) {
      // The step fails, so no state will hold the members: nothing of it may stay behind.
      await removeMembers(host, i, i.members, "create", false).catch((undoErr: Error) => {
        if (e instanceof Error) e.message += `; cleanup also failed: ${undoErr.message}`;
      });
      throw e;
    }
  },

  // Never "exists": a fleet decides member by member (clearWay).
  async existing() {
    return undefined;
  },

  async read(host, raw, state) {
    const i = full(raw);
    const { seen, ports } = await observe(host, i, "read");
    const wholes = i.members.filter((m) => whole(i, seen.get(m.name), ports.get(m.name)));
    if (!wholes.length) return undefined; // every member gone: the fleet is
    // Every member keeps its place (the engine diffs the list by position, so a gap would name
    // every member after it): one missing or broken is left out of `memberStates`, and the next
    // `up` makes it again; a member's routes or links changed by hand are its `drift`, not the fleet's.
    const inputs: FleetInputs = { ...i, members: i.members.map((m) => ({ name: m.name, addresses: seen.get(m.name)?.addresses ?? [] })) };
    const checked = await checkExpectation(host, inputs, "read");
    const same = checked && state.expectation && state.expectation.holds === checked.result.holds && state.expectation.failing.join() === checked.result.failing.join();
    const { count: _c, namePrefix: _p, start: _s, ...stored } = inputs;
    const memberStates = statesOf(inputs, seen, ports).map((st) => ({ ...st, ...(driftOf(i, seen.get(st.name)!) && { drift: driftOf(i, seen.get(st.name)!) }) }));
    return { inputs: stored as FleetInputs, outs: { memberStates, ...(checked && { expectation: same ? state.expectation : checked.result }) } };
  },

  update: (host, o, n, state) => converge(host, full(o), full(n), state, "update"),

  async delete(host, raw) {
    const i = full(raw);
    await removeMembers(host, i, i.members, "delete");
  },
};

const derived = handlers(spec);

/** The inputs the state keeps: every member named and addressed (so the engine's diff names each member), `count` and `namePrefix` spent. */
function stored(inputs: Props): Props {
  const i = full(inputs as Raw);
  const { count: _c, namePrefix: _p, start: _s, ...rest } = i;
  return rest;
}

/**
 * The derived handlers, with the members expanded at check, and two more reasons to update,
 * even if the inputs are the same: a fleet whose expectation did not hold at the last refresh
 * is checked again by the next `up`, and a member it found missing or broken is made again,
 * one whose routes or links differ repaired.
 */
export const namespaceFleet = {
  ...derived,
  async check(olds: Props, news: Props) {
    const r = await derived.check(olds, news);
    if (!r.inputs || holdsUnknown(r.inputs)) return r;
    return { ...r, inputs: defined(stored(r.inputs)) };
  },
  async diff(id: string, olds: Props, news: Props): Promise<{ changes?: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
    const d = await derived.diff(id, olds, news);
    const e = olds.expectation as FleetOutputs["expectation"];
    // A member a refresh found missing or broken (in `members`, not in `memberStates`) is made
    // again by the next `up`; one with routes or links changed by hand (`drift`) repaired.
    const states = olds.memberStates as MemberState[] | undefined;
    const names = new Set(states?.map((s) => s.name));
    const broken = Array.isArray(olds.members) && Array.isArray(states) && ((olds.members as Member[]).some((m) => !names.has(m.name)) || states.some((s) => s.drift));
    return d.changes === false && ((e && !e.holds) || broken) ? { ...d, changes: true } : d;
  },
};


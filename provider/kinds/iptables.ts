/**
 * IptablesRule: one rule in a table/chain of a namespace (`iptables -t nat -A POSTROUTING -o
 * enp0s8.100 -j MASQUERADE`), given as argv tokens (never a shell string). Every rule carries
 * its ownership mark as a comment (`-m comment --comment linuxnet:…`), so `-C` finds exactly
 * it and delete removes exactly it, whatever else is in the chain. `-w` waits for the xtables
 * lock, so concurrent changes are safe.
 */
import { z } from "zod";
import { CommandError, isKind, objectError, reworded, unlessGone } from "../core/errors";
import { handlers, type KindSpec } from "../core/kind";
import { markOf } from "../core/owner";
import { rollback } from "../core/undo";
import type { Host, Step, Target } from "../hosts";
import { netnsName, ownership } from "../core/validate";
import { KINDS } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
export const TABLES = ["filter", "nat", "mangle", "raw", "security"] as const;

/** Options that would make the rule something else than one rule of this resource. */
const NOT_IN_A_RULE = new Set([
  ...["-A", "--append", "-I", "--insert", "-D", "--delete", "-R", "--replace", "-C", "--check", "-L", "--list", "-S", "--list-rules"],
  ...["-F", "--flush", "-Z", "--zero", "-N", "--new-chain", "-X", "--delete-chain", "-P", "--policy", "-E", "--rename-chain"],
  ...["-t", "--table", "-w", "--wait", "-W", "--wait-interval", "--comment"],
]);

const ruleTokens = z
  .array(z.string({ error: "invalid rule (must be a list of argv tokens like [\"-o\", \"eth0\", \"-j\", \"MASQUERADE\"])" }), {
    error: 'invalid rule (must be a list of argv tokens like ["-o", "eth0", "-j", "MASQUERADE"])',
  })
  .superRefine((tokens, ctx) => {
    if (tokens.length === 0) ctx.addIssue({ code: "custom", message: "invalid rule [] (must not be empty: give at least a target, like [\"-j\", \"ACCEPT\"])" });
    for (const [k, t] of tokens.entries()) {
      const problem =
        t === "" || /[\0\n]/.test(t)
          ? "must not be empty or hold a newline"
          : NOT_IN_A_RULE.has(t)
            ? `must not be the option ${t}: the table, chain, position and the rule's comment (its ownership mark) are set by the resource`
            : t === "comment" && tokens[k - 1] === "-m"
              ? "must not add a comment match: the comment is the rule's ownership mark"
              : undefined;
      if (problem) {
        ctx.addIssue({ code: "custom", path: [k], message: `invalid rule token ${JSON.stringify(t)} (${problem})` });
        break; // the first bad token says it; the ones after it may only follow from it
      }
    }
  });

const positionRule = (v: unknown) => `invalid position ${JSON.stringify(v)} (must be "append" or a whole number from 1: insert at that place)`;

export const schema = z.strictObject({
  table: z.enum(TABLES, { error: (iss) => `invalid table ${JSON.stringify(iss.input)} (must be one of ${TABLES.map((t) => `"${t}"`).join(", ")})` }).default("filter"),
  chain: z.string({ error: "invalid chain (must be a string)" }).refine((v) => /^[A-Za-z0-9_.-]{1,28}$/.test(v) && !v.startsWith("-"), {
    error: (iss) => `invalid chain ${JSON.stringify(iss.input)} (must be 1–28 letters, digits or _ . -, not starting with "-", like FORWARD or POSTROUTING)`,
  }),
  rule: ruleTokens,
  position: z
    .union([z.literal("append"), z.number().refine((n) => Number.isInteger(n) && n >= 1, { error: (iss) => positionRule(iss.input) })], {
      error: (iss) => positionRule(iss.input),
    })
    .default("append"),
  family: z.enum(["ipv4", "ipv6"], { error: (iss) => `invalid family ${JSON.stringify(iss.input)} (must be "ipv4" or "ipv6")` }).default("ipv4"),
  netns: netnsName("netns").optional(),
  ...ownership(),
});
export type RuleInputs = z.output<typeof schema>;

export interface RuleOutputs extends Record<string, unknown> {
  /** The comment that marks the rule as this resource's (empty without an owner). */
  comment: string;
}


// ── argv builders ───────────────────────────────────────────────────────────────────────
const binary = (i: RuleInputs) => (i.family === "ipv6" ? "ip6tables" : "iptables");
const mark = (i: RuleInputs) => (i.owner === undefined ? undefined : markOf(i.owner));
/** The rule with its mark: what `-C` and `-D` are given. */
const marked = (i: RuleInputs) => [...i.rule, ...(mark(i) ? ["-m", "comment", "--comment", mark(i)!] : [])];

export const argv = {
  add: (i: RuleInputs) => [binary(i), "-w", "-t", i.table, ...(i.position === "append" ? ["-A", i.chain] : ["-I", i.chain, String(i.position)]), ...marked(i)],
  check: (i: RuleInputs, spec = marked(i)) => [binary(i), "-w", "-t", i.table, "-C", i.chain, ...spec],
  del: (i: RuleInputs, spec = marked(i)) => [binary(i), "-w", "-t", i.table, "-D", i.chain, ...spec],
  list: (i: RuleInputs) => [binary(i), "-w", "-t", i.table, "-S", i.chain],
};

/** Splits an `iptables -S` line as iptables quotes it (double quotes, backslash escapes). */
export function splitRuleLine(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]);
  return out;
}

/** The tokens of the rule in `-S` output that carries `comment`, without `-A CHAIN`; undefined if none. */
export function findMarked(listing: string, chain: string, comment: string): string[] | undefined {
  for (const line of listing.split("\n")) {
    const tokens = splitRuleLine(line);
    if (tokens[0] !== "-A" || tokens[1] !== chain) continue;
    const at = tokens.findIndex((t, k) => t === "--comment" && tokens[k + 1] === comment);
    if (at >= 0) return tokens.slice(2);
  }
  return undefined;
}

/** The place (from 1) in its chain of the rule in `-S` output that carries `comment`; undefined if none. */
export function placeOf(listing: string, chain: string, comment: string): number | undefined {
  const rules = listing.split("\n").map(splitRuleLine).filter((t) => t[0] === "-A" && t[1] === chain);
  const at = rules.findIndex((t) => t.some((x, k) => x === "--comment" && t[k + 1] === comment));
  return at < 0 ? undefined : at + 1;
}

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: RuleInputs) => ({ kind: "iptables rule", name: `-t ${i.table} ${i.chain} ${i.rule.join(" ")}`, netns: i.netns });
const attempt = (verb: string, i: RuleInputs) => ({ verb, ...subject(i) });
const target = (i: RuleInputs): Target => ({ netns: i.netns });

/** `-C`: true if the rule is there, false if not (exit 1); any other failure (a bad rule) is the error. */
async function present(host: Host, i: RuleInputs, verb: string, spec?: string[]): Promise<boolean> {
  try {
    await host.exec(argv.check(i, spec), target(i), attempt(verb, i));
    return true;
  } catch (e) {
    if (e instanceof CommandError && e.exitCode === 1) return false;
    throw e;
  }
}

/** Our rule as `-S` lists it (found by its mark), or undefined (also when its chain or namespace is gone). */
async function listed(host: Host, i: RuleInputs, verb: string): Promise<string[] | undefined> {
  if (!mark(i)) return undefined;
  try {
    const { stdout } = await host.exec(argv.list(i), target(i), attempt(verb, i));
    return findMarked(stdout, i.chain, mark(i)!);
  } catch (e) {
    // A missing chain: legacy says "No chain/target/match" (not-found), iptables-nft 1.8.9 "chain `X' in table `t' is incompatible".
    if (isKind(e, "not-found") || (e instanceof CommandError && /^iptables v\S+ \(nf_tables\): chain `[^']*' in table `[^']*' is incompatible/m.test(e.stderr))) return undefined;
    throw e;
  }
}

// One table of one namespace is changed by one of this provider's operations at a time: a
// rule's add must not slip between another's "table is empty now" and that table's removal.
function inTable<T>(host: Host, i: RuleInputs, work: () => Promise<T>): Promise<T> {
  return host.serialize(`iptables\0${i.netns ?? ""}\0${tableKey(i)}`, work);
}

const outputs = (i: RuleInputs): RuleOutputs => ({ comment: mark(i) ?? "" });

// ── tables: put back as found ───────────────────────────────────────────────────────────
/**
 * With the nf_tables backend (Debian's `iptables`), the first rule in a table creates the
 * table, and deleting the rule leaves it behind, empty. So a create that finds the table
 * absent records that in /run, and the delete that empties it removes it again (`nft delete
 * table`): `iptables-save` after destroy is what it was before up. With the legacy backend,
 * or without `nft`, an emptied table stays.
 */
const nftFamily = (i: RuleInputs) => (i.family === "ipv6" ? "ip6" : "ip");
const tableKey = (i: RuleInputs) => `${nftFamily(i)}-${i.table}`;
/** Whether this host's iptables is the nf_tables one: asked once per host (each host has its own); a failure to ask is the error. */
const isNftBackend = (host: Host, i: RuleInputs, verb: string) =>
  host.fact(`nft-backend:${binary(i)}`, async () => (await host.run([binary(i), "-V"])).stdout.includes("nf_tables")).catch((e: unknown) => {
    throw reworded(e, attempt(verb, i)); // one look for every rule on the host: worded for this one
  });

/** True/false where the nf_tables backend and `nft` can tell; undefined where there is no `nft`. */
async function tableExists(host: Host, i: RuleInputs): Promise<boolean | undefined> {
  if (!(await isNftBackend(host, i, "create"))) return undefined;
  try {
    const { stdout } = await host.exec(["nft", "list", "tables", nftFamily(i)], target(i), attempt("create", i));
    return stdout.split("\n").some((l) => l.trim() === `table ${nftFamily(i)} ${i.table}`);
  } catch (e) {
    if (isKind(e, "missing-tool")) return undefined;
    throw e;
  }
}

/**
 * One locked step on the table's record (hosts/records.ts): what the kernel's table is and the
 * record of who made it change together, also across processes (two stacks), so a rule's add
 * never slips between another's "the table is empty now" and the table's removal.
 */
const onTable = <R>(host: Host, i: RuleInputs, step: Step<{ owner?: string }, R>) => host.records.change(target(i), "iptables-table", tableKey(i), step);

/** Adds the rule; a table it makes is recorded first. */
const addRule = (host: Host, i: RuleInputs) =>
  onTable(host, i, async (_r, save) => {
    const made = (await tableExists(host, i)) === false;
    if (made) await save({ owner: i.owner });
    await host.exec(argv.add(i), target(i), attempt("create", i));
    return made ? { record: { owner: i.owner } } : { keep: true };
  });

/** After a delete: a table this stack created goes again once no rule or chain of anyone is left in it. */
const dropTableIfEmptied = (host: Host, i: RuleInputs) =>
  onTable(host, i, async (r) => {
    if (!r) return { keep: true };
    const { stdout } = await host.exec([binary(i), "-w", "-t", i.table, "-S"], target(i), attempt("delete", i));
    const empty = stdout.split("\n").every((l) => !l.trim() || /^-P \S+ ACCEPT$/.test(l.trim()));
    if (!empty) return { keep: true };
    await unlessGone(host.exec(["nft", "delete", "table", nftFamily(i), i.table], target(i), attempt("delete", i)), undefined);
    return { record: undefined };
  });

const spec: KindSpec<typeof schema, RuleOutputs> = {
  kind: KINDS.iptables.kind,
  schema,
  replaceOn: KINDS.iptables.replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}/${i.family}/${i.table}/${i.chain}/${mark(i) ?? i.rule.join(" ")}`,

  // Its own rule (an interrupted create) or an identical unmarked one: "exists", decided by
  // the marks like every other kind.
  create: (host, i) =>
    inTable(host, i, async () => {
      if ((await present(host, i, "create")) || (mark(i) && (await present(host, i, "create", i.rule)))) {
        throw objectError(attempt("create", i), "the rule is already in the chain", "exists");
      }
      await addRule(host, i);
      if (!(await present(host, i, "create"))) throw objectError(attempt("create", i), "the kernel did not apply it: the rule is not in the chain");
      return outputs(i);
    }),

  async existing(host, i) {
    if (await present(host, i, "create")) return { claims: [{ is: "ours" }] };
    if (mark(i) && (await present(host, i, "create", i.rule))) return { claims: [{ is: "unmarked" }] };
    return undefined;
  },

  // Found by its mark; a rule changed by hand reads as the tokens iptables lists for it.
  async read(host, i) {
    const found = await listed(host, i, "read");
    if (!found) return mark(i) || !(await unlessGone(present(host, i, "read"), false)) ? undefined : { inputs: i, outs: outputs(i) };
    const same = await present(host, i, "read");
    const at = found.findIndex((t, k) => t === "-m" && found[k + 1] === "comment" && found[k + 2] === "--comment");
    const rule = same ? i.rule : at >= 0 ? [...found.slice(0, at), ...found.slice(at + 4)] : found;
    return { inputs: { ...i, rule }, outs: outputs(i) };
  },

  // A new rule or place: the rule as it stands (found by its old mark) goes, the declared one
  // comes; if the kernel refuses the new one, the old one is put back at the place it had and
  // the error reported (with the put-back's own failure, if any). An unmarked twin it adopts goes too.
  update: (host, o, n) =>
    inTable(host, n, async () => {
      const old = await listed(host, o, "update");
      const place = old && placeOf((await host.exec(argv.list(o), target(o), attempt("update", o))).stdout, o.chain, mark(o)!);
      const unchanged = o.position === n.position && (await present(host, n, "update"));
      if (n.adopt && mark(n) && (await present(host, n, "update", n.rule))) await host.exec(argv.del(n, n.rule), target(n), attempt("update", n));
      if (!unchanged) {
        if (old) await host.exec(argv.del(o, old), target(o), attempt("update", o));
        try {
          await host.exec(argv.add(n), target(n), attempt("update", n));
        } catch (e) {
          if (old) await rollback(e, () => host.exec([binary(o), "-w", "-t", o.table, ...(place ? ["-I", o.chain, String(place)] : ["-A", o.chain]), ...old], target(o), attempt("put back", o)));
          throw e;
        }
      }
      if (!(await present(host, n, "update"))) throw objectError(attempt("update", n), "the kernel did not apply it: the rule is not in the chain");
      return outputs(n);
    }),

  delete: (host, i) =>
    inTable(host, i, async () => {
      const found = await listed(host, i, "delete");
      if (found) await unlessGone(host.exec(argv.del(i, found), target(i), attempt("delete", i)), undefined);
      else if (!mark(i) && (await unlessGone(present(host, i, "delete"), false))) await host.exec(argv.del(i), target(i), attempt("delete", i));
      await unlessGone(dropTableIfEmptied(host, i), undefined); // a namespace gone took its tables with it
    }),
};

export const iptables = handlers(spec);

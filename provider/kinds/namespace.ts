/**
 * Namespace: a named network namespace (`ip netns add NAME`), loopback up by default. Its
 * ownership mark is the alias of its `lo`, set by the same `ip -batch` that adds it.
 */
import { z } from "zod";
import { failedAt, goneError, objectError, unlessGone } from "../core/errors";
import { handlers, type KindSpec } from "../core/kind";
import { othersIn, othersProblem, unreadableProblem } from "../core/marked";
import { claimOf, markOf, notOurs, observedOwner, stillOurs } from "../core/owner";
import type { Host } from "../hosts";
import { transaction } from "../core/undo";
import { bool, netnsName, ownership } from "../core/validate";
import { KINDS } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
export const schema = z.strictObject({
  name: netnsName("name"),
  loopbackUp: bool("loopbackUp").default(true),
  ...ownership(),
});
export type NamespaceInputs = z.output<typeof schema>;

export interface NamespaceOutputs extends Record<string, unknown> {
  /** Inode of the namespace (as in `/proc/PID/ns/net -> net:[INODE]`): tells a recreated namespace from the old one. */
  inode: number;
}


// ── argv builders ───────────────────────────────────────────────────────────────────────
const loState = (i: Pick<NamespaceInputs, "owner" | "loopbackUp">) => [...(i.owner === undefined ? [] : ["alias", markOf(i.owner)]), i.loopbackUp ? "up" : "down"];

export const argv = {
  add: (name: string) => ["netns", "add", name],
  del: (name: string) => ["netns", "del", name],
  /** Marks `lo` and sets it up or down, from inside the namespace (`ip -n NAME …`). */
  loopback: (i: Pick<NamespaceInputs, "owner" | "loopbackUp">) => ["link", "set", "dev", "lo", ...loState(i)],
  /**
   * The same, as a line of a batch run outside the namespace. `ip -batch` has no per-line
   * `-n`, so it execs `ip` inside (an argv, no shell): the add and the mark are then one
   * process, which finishes even if the provider dies the moment it handed over the batch.
   */
  loopbackFromOutside: (i: NamespaceInputs) => ["netns", "exec", i.name, "ip", "link", "set", "dev", "lo", ...loState(i)],
  /** `addr show`, not `link show`: that one leaves a long-lived `ip -batch` showing links only (ip-session.ts). */
  showLoopback: () => ["-details", "addr", "show", "dev", "lo"], // -details: the alias (the mark) is printed only with it
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: Pick<NamespaceInputs, "name">) => ({ kind: "namespace", name: i.name });
const attempt = (verb: string, i: Pick<NamespaceInputs, "name">) => ({ verb, ...subject(i) });

const loJson = z.looseObject({ ifname: z.string(), flags: z.array(z.string()).optional(), ifalias: z.string().optional() });

/** The namespace's loopback as the kernel has it, or undefined if the namespace is gone. */
async function observe(host: Host, i: NamespaceInputs, verb: string): Promise<{ loopbackUp: boolean; alias?: string; inode: number } | undefined> {
  const look = async () => {
    const [lo] = await host.ipJson(argv.showLoopback(), { netns: i.name }, attempt(verb, i));
    const parsed = loJson.safeParse(lo);
    if (!parsed.success) throw objectError(attempt(verb, i), `\`ip -n ${i.name} -json ${argv.showLoopback().join(" ")}\` printed no loopback interface`);
    return { loopbackUp: Boolean(parsed.data.flags?.includes("UP")), alias: parsed.data.ifalias || undefined, inode: await host.netnsInode(i.name) };
  };
  return unlessGone(look(), undefined);
}

const spec: KindSpec<typeof schema, NamespaceOutputs> = {
  kind: KINDS.namespace.kind,
  schema,
  replaceOn: KINDS.namespace.replaceOn,
  subject,
  id: (i) => i.name,

  create: (host, i) => {
    const add = argv.add(i.name);
    return transaction(async (onFailure) => {
      onFailure(async (e) => failedAt(e, add) || unlessGone(host.ip(argv.del(i.name)), undefined));
      await host.ipBatch([add, argv.loopbackFromOutside(i)], {}, attempt("create", i), { atomic: 2 });
      return { inode: await host.netnsInode(i.name) };
    });
  },

  async existing(host, i) {
    const seen = await observe(host, i, "create");
    return seen && { claims: [claimOf(seen.alias, i.owner)] };
  },

  async read(host, i) {
    const seen = await observe(host, i, "read");
    if (!seen || !stillOurs(seen.alias, i.owner)) return undefined;
    return { inputs: { ...i, loopbackUp: seen.loopbackUp, owner: observedOwner(seen.alias, i.owner) }, outs: { inode: seen.inode } };
  },

  // Sets loopback and the mark as declared (idempotent, so drift is repaired too).
  async update(host, o, n) {
    const seen = await observe(host, n, "update");
    if (!seen) throw goneError(attempt("update", n), "the namespace no longer exists (run `pulumi refresh`, then `pulumi up` recreates it)");
    if (!stillOurs(seen.alias, o.owner)) throw objectError(attempt("update", n), notOurs("the namespace at this name", seen.alias), "exists");
    await host.ip(argv.loopback(n), { netns: n.name }, attempt(`set loopback ${n.loopbackUp ? "up" : "down"} in`, n));
    return { inode: seen.inode };
  },

  async delete(host, i) {
    const seen = await observe(host, i, "delete");
    if (!seen || !stillOurs(seen.alias, i.owner)) return; // gone already, or another owner's now: done
    // Deleting a namespace deletes everything in it: never another stack's objects.
    const others = await othersIn(host, i.name, i.owner).catch(async (e: Error) => {
      if (!(await host.netnsExists(i.name))) return []; // gone meanwhile: nothing in it to spare
      throw objectError(attempt("delete", i), unreadableProblem(e.message));
    });
    if (others.length) throw objectError(attempt("delete", i), othersProblem(others), "busy");
    // What was recorded about its state goes with it, once it is gone: a failed delete keeps
    // the values to put back. The records' folder is named by the namespace's identity: taken first.
    const records = await host.recordFolder({ netns: i.name });
    await unlessGone(host.ip(argv.del(i.name), {}, attempt("delete", i)), undefined);
    if (records) await host.removeRecordFolder(records);
  },
};

export const namespace = handlers(spec);

/**
 * Namespace: a named network namespace (`ip netns add NAME`), loopback up by default.
 */
import { z } from "zod";
import { unlessGone } from "./errors";
import { handlers, type KindSpec } from "./kind";
import { ip, ipJson, netnsInode } from "./runner";
import { transaction } from "./undo";
import { bool, netnsName } from "./validate";

// ── schema ──────────────────────────────────────────────────────────────────────────────
export const schema = z.strictObject({
  name: netnsName("name"),
  loopbackUp: bool("loopbackUp").default(true),
});
export type NamespaceInputs = z.output<typeof schema>;

export interface NamespaceOutputs extends Record<string, unknown> {
  /** Inode of the namespace (as in `/proc/PID/ns/net -> net:[INODE]`): tells a recreated namespace from the old one. */
  inode: number;
}

// ── replacement ─────────────────────────────────────────────────────────────────────────
const replaceOn = ["name"] as const;

// ── argv builders ───────────────────────────────────────────────────────────────────────
export const argv = {
  add: (name: string) => ["netns", "add", name],
  del: (name: string) => ["netns", "del", name],
  loopback: (up: boolean) => ["link", "set", "lo", up ? "up" : "down"],
  showLoopback: () => ["link", "show", "lo"],
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const attempt = (verb: string, name: string) => ({ verb, kind: "namespace", name });

interface LinkJson {
  ifname: string;
  flags?: string[];
}

async function observe(name: string): Promise<{ loopbackUp: boolean; inode: number } | undefined> {
  const look = async () => {
    const [lo] = await ipJson<LinkJson>(argv.showLoopback(), { netns: name }, attempt("read", name));
    return { loopbackUp: Boolean(lo?.flags?.includes("UP")), inode: await netnsInode(name) };
  };
  return unlessGone(look(), undefined);
}

const spec: KindSpec<typeof schema, NamespaceOutputs> = {
  kind: "Namespace",
  schema,
  replaceOn,
  id: (i) => i.name,

  create: (i) =>
    transaction(async (onFailure) => {
      await ip(argv.add(i.name), {}, attempt("create", i.name));
      onFailure(() => ip(argv.del(i.name)));
      if (i.loopbackUp) await ip(argv.loopback(true), { netns: i.name }, attempt("set loopback up in", i.name));
      return { inode: await netnsInode(i.name) };
    }),

  async read(i) {
    const seen = await observe(i.name);
    return seen && { inputs: { ...i, loopbackUp: seen.loopbackUp }, outs: { inode: seen.inode } };
  },

  // The only in-place setting: set it as declared (idempotent, so drift is repaired too).
  async update(_o, n) {
    await ip(argv.loopback(n.loopbackUp), { netns: n.name }, attempt(`set loopback ${n.loopbackUp ? "up" : "down"} in`, n.name));
    return { inode: await netnsInode(n.name) };
  },

  async delete(i) {
    await unlessGone(ip(argv.del(i.name), {}, attempt("delete", i.name)), undefined); // gone already: done
  },
};

export const namespace = handlers(spec);

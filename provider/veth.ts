/**
 * VethPair: two veth ends made by one kernel call, each created directly in its own namespace
 * (`ip link add A netns X type veth peer name B netns Y`): moving an end afterwards costs
 * 14–19 ms and serialises other link changes.
 */
import { z } from "zod";
import { goneError, isKind } from "./errors";
import { handlers, type KindSpec } from "./kind";
import { deleteLink, linkFields, master, observedConfig, parseLink, readLink, reconcileArgv, showArgv, verifyApplied, type LinkSeen } from "./link";
import { ipArgv, ipBatch, run } from "./runner";
import { transaction } from "./undo";

// ── schema ──────────────────────────────────────────────────────────────────────────────
const end = (prefix: string) => z.strictObject({ ...linkFields(prefix), master: master(prefix) });

export const schema = z
  .strictObject({ end: end("end."), peer: end("peer.") })
  .superRefine((v, ctx) => {
    if (v.end.name === v.peer.name && v.end.netns === v.peer.netns) {
      const where = v.end.netns ? `namespace "${v.end.netns}"` : "the same namespace";
      ctx.addIssue({
        code: "custom",
        path: ["peer", "name"],
        message: `invalid peer.name ${JSON.stringify(v.peer.name)} (must differ from end.name when both ends are in ${where})`,
      });
    }
  });
export type VethInputs = z.output<typeof schema>;
type End = VethInputs["end"];

export interface VethOutputs extends Record<string, unknown> {
  /** ifindex of `end` in its namespace. */
  endIfindex: number;
  /** ifindex of `peer` in its namespace: what `ethtool -S <end>` calls peer_ifindex. */
  peerIfindex: number;
  endMac: string;
  peerMac: string;
  endMtu: number;
  peerMtu: number;
}

// ── replacement ─────────────────────────────────────────────────────────────────────────
const replaceOn = ["end.name", "end.netns", "peer.name", "peer.netns"];

// ── argv builders ───────────────────────────────────────────────────────────────────────
const inNetns = (netns?: string) => (netns ? ["netns", netns] : []);

export const argv = {
  /** Runs in the provider's own namespace; each end names its target namespace. */
  add: (i: VethInputs) => ["link", "add", "name", i.end.name, ...inNetns(i.end.netns), "type", "veth", "peer", "name", i.peer.name, ...inNetns(i.peer.netns)],
  /** Lines that configure a just-created end (down, no addresses, kernel-chosen MTU and MAC). */
  configure: (e: End) => reconcileArgv(e, { addresses: [], up: false }),
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const attempt = (verb: string, e: End) => ({ verb, kind: "veth end", name: e.name, netns: e.netns });

/**
 * Runs each end's lines in its namespace, one `ip -batch` per namespace (in parallel); each
 * batch ends with a show of its ends, which must match what was declared. Returns the ends as
 * the kernel has them now. An error names the end whose command failed.
 */
async function applyAndRead(jobs: Array<{ e: End; lines: string[][] }>, verb: string): Promise<LinkSeen[]> {
  const byNs = new Map<string | undefined, { lines: string[][]; ends: End[] }>();
  for (const { e, lines } of jobs) {
    const group = byNs.get(e.netns) ?? byNs.set(e.netns, { lines: [], ends: [] }).get(e.netns)!;
    group.lines.push(...lines, showArgv(e.name));
    group.ends.push(e);
  }
  const seen = new Map<End, LinkSeen>();
  await Promise.all(
    [...byNs.values()].map(async ({ lines, ends }) => {
      const endOf = (line: readonly string[]) => ends.find((e) => line[line.indexOf("dev") + 1] === e.name) ?? ends[0];
      const printed = await ipBatch(lines, { netns: ends[0].netns }, (line) => attempt(verb, endOf(line)));
      ends.forEach((e, k) => {
        const s = parseLink(printed[k]);
        if (!s) throw goneError(attempt(verb, e), "the link vanished while it was being configured");
        verifyApplied(e, s, attempt(verb, e));
        seen.set(e, s);
      });
    }),
  );
  return jobs.map(({ e }) => seen.get(e)!);
}

/**
 * `ip netns del` returns before the kernel has destroyed the namespace's devices, so a name
 * freed by it can still be taken for a moment: retry briefly on "exists" before giving up.
 */
async function addPair(i: VethInputs): Promise<void> {
  const cmd = ipArgv(argv.add(i));
  for (let delay = 25; ; delay *= 2) {
    try {
      await run(cmd, attempt("create", i.end));
      return;
    } catch (e) {
      if (!isKind(e, "exists") || delay > 800) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * Deleting either end destroys both. If `end` is already gone (say, with its namespace), the
 * peer may still be on its way out: delete it too, which is a no-op if it is gone.
 */
async function deletePair(i: VethInputs, verb: string): Promise<void> {
  if (!(await deleteLink(i.end.name, i.end.netns, attempt(verb, i.end)))) await deleteLink(i.peer.name, i.peer.netns, attempt(verb, i.peer));
}

async function readPair(i: VethInputs): Promise<[LinkSeen, LinkSeen] | undefined> {
  const [a, b] = await Promise.all([readLink(i.end.name, i.end.netns, attempt("read", i.end)), readLink(i.peer.name, i.peer.netns, attempt("read", i.peer))]);
  if (!a || !b || a.kind !== "veth" || b.kind !== "veth") return undefined;
  return [a, b];
}

const outputsOf = ([a, b]: [Pick<LinkSeen, "ifindex" | "mac" | "mtu">, Pick<LinkSeen, "ifindex" | "mac" | "mtu">]): VethOutputs => ({
  endIfindex: a.ifindex,
  peerIfindex: b.ifindex,
  endMac: a.mac,
  peerMac: b.mac,
  endMtu: a.mtu,
  peerMtu: b.mtu,
});

const spec: KindSpec<typeof schema, VethOutputs> = {
  kind: "VethPair",
  schema,
  replaceOn,
  id: (i) => `${i.end.netns ?? ""}/${i.end.name}`,

  create: (i) =>
    transaction(async (onFailure) => {
      await addPair(i);
      onFailure(() => deletePair(i, "clean up"));
      const [a, b] = await applyAndRead([{ e: i.end, lines: argv.configure(i.end) }, { e: i.peer, lines: argv.configure(i.peer) }], "configure");
      return outputsOf([a, b]);
    }),

  async read(i) {
    const pair = await readPair(i);
    if (!pair) return undefined;
    const [a, b] = pair;
    return { inputs: { end: observedConfig(i.end, a), peer: observedConfig(i.peer, b) }, outs: outputsOf(pair) };
  },

  async update(o, n) {
    const pair = await readPair(n);
    if (!pair) throw goneError(attempt("update", n.end), "the pair no longer exists (run `pulumi refresh`, then `pulumi up` recreates it)");
    const [a, b] = pair;
    const after = await applyAndRead(
      [
        { e: n.end, lines: reconcileArgv(n.end, a, o.end) },
        { e: n.peer, lines: reconcileArgv(n.peer, b, o.peer) },
      ],
      "update",
    );
    return outputsOf([after[0], after[1]]);
  },

  delete: (i) => deletePair(i, "delete"),
};

export const veth = handlers(spec);

/**
 * MacvlanNetwork: a Docker-style macvlan network on one host (`docker network create -d
 * macvlan --subnet … --gateway … -o parent=enp0s8 mac1`). Like Docker's, it is mostly
 * configuration its endpoints take (parent, mode, subnet, gateway); in the kernel it may
 * switch the parent promiscuous (as macvlan setups by hand do with `ip link set enp0s8
 * promisc on`; delete puts back what it found, and only if it changed it) and make a host
 * "shim": a macvlan interface of the host itself on the same parent, since a parent cannot
 * talk to its own macvlan children. Endpoints add their /32 route through the shim, so the
 * host reaches its containers.
 */
import { z } from "zod";
import { failedAt, goneError, objectError } from "../core/errors";
import { handlers, type KindSpec } from "../core/kind";
import { aliasFor, deleteOwnLink, parseLink, readLink, showArgv, verifyApplied, type LinkSeen } from "../core/link";
import { linkLines, type OwnedLink, takenBy } from "../core/link-engine";
import { hostPrefix, hostProblem, ipAddress, subnet } from "../core/net";
import { claimOf, notOurs, observedOwner, stillOurs } from "../core/owner";
import type { ChangeOptions, Host, Step } from "../hosts";
import { transaction, type Undo } from "../core/undo";
import { bool, ifName, ifNameProblem, netnsName, ownership } from "../core/validate";
import { KINDS, shimDefaultName } from "../registry";

// ── schema ──────────────────────────────────────────────────────────────────────────────
export const MACVLAN_MODES = ["bridge", "vepa", "private", "passthru", "source"] as const;
export const macvlanMode = (field: string) =>
  z.enum(MACVLAN_MODES, { error: (iss) => `invalid ${field} ${JSON.stringify(iss.input)} (must be one of ${MACVLAN_MODES.map((m) => `"${m}"`).join(", ")})` }).default("bridge");

export const schema = z
  .strictObject({
    /** The network's name (Docker's), used for the shim's default name. */
    name: ifName("name"),
    parent: ifName("parent"),
    netns: netnsName("netns").optional(),
    mode: macvlanMode("mode"),
    subnet: subnet("subnet"),
    gateway: ipAddress("gateway"),
    promiscuous: bool("promiscuous").optional(),
    hostAccess: z.strictObject({ name: ifName("hostAccess.name").optional(), address: ipAddress("hostAccess.address") }).optional(),
    ...ownership(),
  })
  .superRefine((v, ctx) => {
    const gw = hostProblem(v.gateway, v.subnet);
    if (gw) ctx.addIssue({ code: "custom", path: ["gateway"], message: `invalid gateway "${v.gateway}" (${gw})` });
    if (!v.hostAccess) return;
    const at = (field: string, message: string) => ctx.addIssue({ code: "custom", path: ["hostAccess", field], message });
    const problem = hostProblem(v.hostAccess.address, v.subnet) ?? (v.hostAccess.address === v.gateway ? "must not be the gateway's address" : undefined);
    if (problem) at("address", `invalid hostAccess.address "${v.hostAccess.address}" (${problem})`);
    if (v.mode !== "bridge") at("name", `invalid hostAccess with mode "${v.mode}" (must be mode "bridge": only there do macvlan interfaces of one parent reach each other)`);
    if (v.hostAccess.name === undefined && ifNameProblem(shimDefault(v.name))) {
      at("name", `invalid hostAccess.name (the default NAME-shim "${shimDefault(v.name)}" ${ifNameProblem(shimDefault(v.name))}: set hostAccess.name, e.g. "shim")`);
    }
    if (v.hostAccess.name === v.parent) at("name", `invalid hostAccess.name "${v.parent}" (must differ from the parent)`);
  })
  .overwrite((v) => (v.hostAccess ? { ...v, hostAccess: { ...v.hostAccess, name: v.hostAccess.name ?? shimDefault(v.name) } } : v));
export type NetworkInputs = z.output<typeof schema>;

export const shimDefault = shimDefaultName;

export interface NetworkOutputs extends Record<string, unknown> {
  parentIfindex: number;
  parentMtu: number;
  /** Whether the parent was promiscuous before this network set `promiscuous` (what delete puts back). */
  promiscFound?: boolean;
  shimIfindex?: number;
  shimMac?: string;
}

// ── argv builders ───────────────────────────────────────────────────────────────────────
type Shim = { name: string; address: string };
const shimOf = (i: NetworkInputs) => i.hostAccess as Shim | undefined;
/** The host shim as the link engine takes it: a macvlan of the host on the parent, with a host address (/32 or /128). */
const shimLink = (i: NetworkInputs, s: Shim): OwnedLink => ({ role: "shim", config: { name: s.name, netns: i.netns, addresses: [`${s.address}/${hostPrefix(s.address)}`], up: true }, infoKind: "macvlan" });

export const argv = {
  promisc: (parent: string, on: boolean) => ["link", "set", "dev", parent, "promisc", on ? "on" : "off"],
  addShim: (i: NetworkInputs, s: Shim) => ["link", "add", "link", i.parent, "name", s.name, "type", "macvlan", "mode", "bridge"],
  /** Marks, addresses and brings up the shim. */
  shim: (i: NetworkInputs, s: Shim, current: Partial<LinkSeen>) => linkLines(i.owner, shimLink(i, s), current),
};

// ── handlers ────────────────────────────────────────────────────────────────────────────
const subject = (i: NetworkInputs) => ({ kind: "macvlan network", name: i.name, netns: i.netns });
const attempt = (verb: string, i: NetworkInputs) => ({ verb, ...subject(i) });
const isPromisc = (s: LinkSeen) => s.flags.includes("PROMISC");

interface Seen {
  parent: LinkSeen;
  shim?: LinkSeen;
}

/** The parent and the shim (if declared), in one spawn; the parent must exist. */
async function look(host: Host, i: NetworkInputs, verb: string, lines: string[][] = [], add?: readonly string[]): Promise<Seen> {
  const shim = shimOf(i);
  const shows = [showArgv(i.parent), ...(shim ? [showArgv(shim.name)] : [])];
  // The shim's add and its mark go to ip in one piece (with whatever comes before them).
  const atomic = add ? lines.indexOf(add as string[]) + (i.owner === undefined ? 1 : 2) : 0;
  const printed = await host.ipBatch([...lines, ...shows], { netns: i.netns }, (line) => attempt(line === add ? "create" : verb, i), { atomic });
  const parent = parseLink(printed[0]);
  if (!parent) throw goneError(attempt(verb, i), `its parent "${i.parent}" does not exist${i.netns ? ` in netns "${i.netns}"` : ""}`);
  return { parent, shim: shim ? parseLink(printed[1]) : undefined };
}

/** Reads what exists (the shim may not), tolerating a missing shim. */
async function observe(host: Host, i: NetworkInputs, verb: string): Promise<Seen | undefined> {
  const parent = await readLink(host, i.parent, i.netns, attempt(verb, i));
  if (!parent) return undefined;
  const shim = shimOf(i);
  return { parent, shim: shim ? await readLink(host, shim.name, i.netns, attempt(verb, i)) : undefined };
}

function outputsOf(i: NetworkInputs, seen: Seen, promiscFound?: boolean): NetworkOutputs {
  return {
    parentIfindex: seen.parent.ifindex,
    parentMtu: seen.parent.mtu,
    ...(i.promiscuous !== undefined && { promiscFound }),
    ...(seen.shim && { shimIfindex: seen.shim.ifindex, shimMac: seen.shim.mac }),
  };
}

function verify(i: NetworkInputs, seen: Seen, verb: string): void {
  if (i.promiscuous !== undefined && isPromisc(seen.parent) !== i.promiscuous) {
    throw objectError(attempt(verb, i), `the kernel did not apply it: the parent "${i.parent}" is ${isPromisc(seen.parent) ? "" : "not "}promiscuous`);
  }
  const shim = shimOf(i);
  if (!shim) return;
  if (!seen.shim) throw goneError(attempt(verb, i), `the host shim "${shim.name}" vanished while it was being configured`);
  verifyApplied({ ...shimLink(i, shim).config, alias: aliasFor(i.owner, "shim") }, seen.shim, attempt(verb, i));
}

// ── the parent's promiscuous flag: shared, put back by the last network that set it ────────
/**
 * Networks that set a parent's flag, and what the flag was before the first of them did: kept
 * in a record under /run (hosts/records.ts). Joining and leaving are each one locked step that
 * reads the record, changes the flag and writes the record, so two networks made or removed
 * at once (two stacks) never lose an owner, and the flag is put back only by the last one.
 */
interface PromiscRecord {
  found: boolean;
  owners: string[];
}
const onPromisc = <R>(host: Host, i: NetworkInputs, step: Step<PromiscRecord, R>, options?: ChangeOptions<PromiscRecord>) => host.records.change({ netns: i.netns }, "promisc", i.parent, step, options);
const setPromisc = (host: Host, i: NetworkInputs, on: boolean, verb: string) => host.ipBatch([argv.promisc(i.parent, on)], { netns: i.netns }, attempt(verb, i));
const me = (i: NetworkInputs) => i.owner ?? "";

/** The step that leaves the networks that set the flag; the last one puts back what was found (`fallback`: what the state says, without a record). */
const leaving = (host: Host, i: NetworkInputs, fallback: boolean | undefined, verb: string): Step<PromiscRecord, void> => async (r) => {
  const owners = (r?.owners ?? []).filter((o) => o !== me(i));
  if (r && owners.length) return { record: { ...r, owners } }; // another network still wants it
  const back = r?.found ?? fallback;
  if (back !== undefined && back !== i.promiscuous) {
    const parent = await readLink(host, i.parent, i.netns, attempt(verb, i));
    if (parent && isPromisc(parent) === i.promiscuous) await setPromisc(host, i, back, verb); // not changed by hand since
  }
  return { record: undefined };
};

/** Joins the networks that set the flag, and sets it; returns what was found before the first of them. Undone by leaving again. */
function joinPromisc(host: Host, i: NetworkInputs, verb: string, onFailure?: (undo: Undo) => void): Promise<boolean> {
  return onPromisc<boolean>(
    host,
    i,
    async (r) => {
      const parent = await readLink(host, i.parent, i.netns, attempt(verb, i));
      if (!parent) throw goneError(attempt(verb, i), `its parent "${i.parent}" does not exist${i.netns ? ` in netns "${i.netns}"` : ""}`);
      const found = r ? r.found : isPromisc(parent);
      if (isPromisc(parent) !== i.promiscuous) await setPromisc(host, i, i.promiscuous!, verb);
      return { record: { found, owners: [...new Set([...(r?.owners ?? []), me(i)])] }, result: found };
    },
    { onFailure, undo: (r, save) => leaving(host, i, r?.found, "clean up")(r, save) },
  );
}

/** Leaves them (the last one puts the flag back). */
const leavePromisc = (host: Host, i: NetworkInputs, fallback: boolean | undefined, verb: string) => onPromisc(host, i, leaving(host, i, fallback, verb));

/** Lines that move the shim to what `n` declares (the flag is joinPromisc's and leavePromisc's). */
function reconcileLines(n: NetworkInputs, seen: Seen): string[][] {
  const lines: string[][] = [];
  const shim = shimOf(n);
  if (shim) lines.push(...(seen.shim ? [] : [argv.addShim(n, shim)]), ...argv.shim(n, shim, seen.shim ?? { addresses: [], up: false }));
  return lines;
}

const spec: KindSpec<typeof schema, NetworkOutputs> = {
  kind: KINDS.macvlanNetwork.kind,
  schema,
  replaceOn: KINDS.macvlanNetwork.replaceOn,
  subject,
  id: (i) => `${i.netns ?? ""}/${i.parent}/${i.name}`,

  // One read of the parent, the flag (one locked step with its record), then one batch: the
  // shim (added and marked first), and the read-back.
  create: async (host, i) => {
    const before = await observe(host, { ...i, hostAccess: undefined }, "create");
    if (!before) throw goneError(attempt("create", i), `its parent "${i.parent}" does not exist${i.netns ? ` in netns "${i.netns}"` : ""}`);
    const shim = shimOf(i);
    const add = shim && argv.addShim(i, shim);
    return transaction(async (onFailure) => {
      const found = i.promiscuous === undefined ? undefined : await joinPromisc(host, i, "create", onFailure);
      if (add) onFailure(async (e) => failedAt(e, add) || deleteOwnLink(host, shim.name, i.netns, i.owner, "shim", attempt("clean up", i), "macvlan"));
      const lines = add && shim ? [add, ...argv.shim(i, shim, { addresses: [], up: false })] : [];
      const seen = await look(host, i, "configure", lines, add);
      verify(i, seen, "configure");
      return outputsOf(i, seen, found);
    });
  },

  async existing(host, i) {
    const shim = shimOf(i);
    const s = shim && (await takenBy(host, shimLink(i, shim), { ...attempt("create", i), kind: "macvlan network's host shim" }));
    return s ? { claims: [claimOf(s.alias, i.owner, "shim")] } : undefined;
  },

  async read(host, i, state) {
    const seen = await observe(host, i, "read");
    if (!seen) return undefined; // the parent is gone, and the network with it
    const shim = shimOf(i);
    const shimOurs = seen.shim && seen.shim.kind === "macvlan" && stillOurs(seen.shim.alias, i.owner, "shim");
    const hasAddress = shimOurs && seen.shim!.addresses.some((a) => a.split("/")[0] === shim!.address);
    const inputs: NetworkInputs = {
      ...i,
      ...(i.promiscuous !== undefined && { promiscuous: isPromisc(seen.parent) }),
      // A shim gone, not ours any more, or without its address reads as no host access: up makes it again.
      hostAccess: shim && hasAddress ? { name: shim.name, address: shim.address } : undefined,
      owner: shim && shimOurs ? observedOwner(seen.shim!.alias, i.owner, "shim") : i.owner,
    };
    return { inputs, outs: outputsOf(i, { parent: seen.parent, shim: shimOurs ? seen.shim : undefined }, state.promiscFound) };
  },

  async update(host, o, n, state) {
    const seen = await observe(host, n, "update");
    if (!seen) throw goneError(attempt("update", n), `its parent "${n.parent}" does not exist${n.netns ? ` in netns "${n.netns}"` : ""}`);
    const [oldShim, newShim] = [shimOf(o), shimOf(n)];
    if (seen.shim && !stillOurs(seen.shim.alias, o.owner, "shim")) {
      throw objectError(attempt("update", n), notOurs(`the host shim "${newShim!.name}"`, seen.shim.alias), "exists");
    }
    // The flag: newly declared joins the networks that set it; no longer declared leaves them
    // (and the last one puts back what was found).
    let found = state.promiscFound;
    if (n.promiscuous !== undefined) found = await joinPromisc(host, n, "update");
    else if (o.promiscuous !== undefined) await leavePromisc(host, o, found, "update");
    if (oldShim && oldShim.name !== newShim?.name) await deleteOwnLink(host, oldShim.name, n.netns, o.owner, "shim", attempt("update", n), "macvlan");
    const current = oldShim && oldShim.name !== newShim?.name ? { ...seen, shim: undefined } : seen;
    const after = await look(host, n, "update", reconcileLines(n, current));
    verify(n, after, "update");
    return outputsOf(n, after, n.promiscuous === undefined ? undefined : found);
  },

  async delete(host, i, state) {
    const shim = shimOf(i);
    if (shim) await deleteOwnLink(host, shim.name, i.netns, i.owner, "shim", attempt("delete", i), "macvlan");
    if (i.promiscuous !== undefined) await leavePromisc(host, i, state.promiscFound, "delete");
  },
};

export const macvlanNetwork = handlers(spec);

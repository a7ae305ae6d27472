/**
 * `pulumi-linuxnet orphans`: the kernel objects that carry a mark of this project's stacks (or
 * of one stack's) but that no state holds — what a lost state leaves behind (`pulumi stack rm
 * --force`, a deleted backend directory) — on this machine and on every SSH host a state of
 * the project names or the command line gives. `--delete` removes them, after printing what it
 * removes, each as its kind's delete removes it (provider/core/marked.ts lists them). The states
 * are read with the real CLI (stacks.ts); a state that cannot be read, or an update of a
 * stack of the project in progress (whose objects are marked before the engine checkpoints
 * them), stops the command, since nothing may then be called lost. The states are read again
 * before each removal when they may have changed; a namespace or host that cannot be read is
 * reported, and never called clean.
 */
import { existsSync, readFileSync } from "node:fs";
import { handlersFor } from "../../provider";
import { deleteLink, readLink } from "../../provider/core/link";
import { describeMarked, type Marked, type MarkedKind, markedObjects, REMOVAL_ORDER, REMOVED_BY, stackOf } from "../../provider/core/marked";
import { describeOwner, encodePart, markOf, ownerInMark } from "../../provider/core/owner";
import { connection as connectionSchema } from "../../provider/core/validate";
import { closeHosts, type Connection, hostFor, hostLabel } from "../../provider/hosts";
import type { KindKey } from "../../provider/registry";
import type { OrphansCommand } from "../args";
import { CliError } from "../errors";
import { backendUrl, readStates, type States, stacksNow } from "./stacks";


/** The project: --project, else the `name:` of Pulumi.yaml in the current directory. */
function projectName(given: string | undefined): string {
  if (given !== undefined) return given;
  const file = ["Pulumi.yaml", "Pulumi.yml"].find((f) => existsSync(f));
  const name = file && /^name:\s*["']?([^"'\s#]+)/m.exec(readFileSync(file, "utf8"))?.[1];
  if (!name) throw new CliError("no project: run it in the directory of the project's Pulumi.yaml, or pass --project NAME", 2);
  return name;
}

/** `[user@]host[:port]` (an IPv6 address in brackets) with the key options, checked by the provider's own rules. */
function hostFromCommandLine(spec: string, cmd: OrphansCommand): Connection {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@]+)(?::(\d+))?$/.exec(spec);
  const raw = {
    host: m?.[2]?.replace(/^\[|\]$/g, "") ?? spec,
    port: m?.[3] === undefined ? undefined : Number(m[3]),
    user: m?.[1],
    privateKey: cmd.identity === undefined ? undefined : readKey(cmd.identity),
    knownHosts: cmd.knownHosts,
    insecureIgnoreHostKey: cmd.insecureIgnoreHostKey,
  };
  const parsed = connectionSchema().safeParse(raw);
  if (!m || !parsed.success || !parsed.data) throw new CliError(`invalid --host ${JSON.stringify(spec)} (${parsed.error?.issues[0]?.message ?? "must be [USER@]HOST[:PORT]"})`, 2);
  return parsed.data as Connection;
}

function readKey(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read --identity ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
  }
}

/** Held: the state of its stack has its owner (a shortened mark is compared as shortened). */
function heldBy(owners: Set<string>): (m: Marked) => boolean {
  const shortened = new Set([...owners].flatMap((o) => [undefined, "end", "peer", "shim"].map((role) => ownerInMark(markOf(o, role))!)));
  return (m) => owners.has(m.owner) || shortened.has(m.owner);
}

interface Found {
  host: string;
  connection?: Connection;
  object: Marked;
}

const line = (f: Found) => `  ${f.host}: ${describeMarked(f.object)} — ${describeOwner(f.object.owner)}`;

const complain = (line: string) => process.stderr.write(`pulumi-linuxnet orphans: ${line}\n`);

/** Runs the command; resolves to what goes to stdout (problems on a host go to stderr, and make the exit status 1). */
export async function orphans(cmd: OrphansCommand): Promise<string> {
  const project = projectName(cmd.project);
  const given = cmd.hosts.map((h) => hostFromCommandLine(h, cmd));
  try {
    const backend = await backendUrl();
    let states = await readStates(backend, project);
    const ours = (owner: string) => owner.split("/")[0] === encodePart(project) && (cmd.stack === undefined || stackOf(owner) === `${encodePart(project)}/${encodePart(cmd.stack)}`);
    const places: Array<{ host: string; connection?: Connection }> = [{ host: "this machine" }];
    for (const c of [...states.hosts, ...given]) if (!places.some((p) => p.host === hostLabel(c))) places.push({ host: hostLabel(c), connection: c });

    let found: Found[] = [];
    let failed = false;
    // A host a state names that cannot be reached as the state says is not looked at: never clean.
    for (const u of states.unusable) complain(`could not look on ${u}`);
    failed ||= states.unusable.length > 0;
    for (const p of places) {
      try {
        const { objects, unreadable } = await markedObjects(hostFor(p.connection));
        for (const u of unreadable) complain(`could not list the objects in netns "${u.netns}" on ${p.host}: ${u.cause}`);
        failed ||= unreadable.length > 0;
        for (const object of objects) if (ours(object.owner)) found.push({ host: p.host, connection: p.connection, object });
      } catch (e) {
        complain(`could not list the objects on ${p.host}: ${(e as Error).message}`);
        failed = true;
      }
    }
    // Listing takes a while: what a state holds is decided by the states as they are after it.
    states = await statesNow(backend, project, states);
    found = found.filter((f) => !heldBy(states.owners)(f.object));
    const whose = cmd.stack === undefined ? `project "${project}"` : `stack "${cmd.stack}" of project "${project}"`;
    const where = places.map((p) => p.host).join(", ");
    if (failed) process.exitCode = 1;
    if (!found.length) {
      if (failed) return `found no object marked by ${whose} that no state holds in what could be read on ${where}; what could not be read (above) was not looked at\n`;
      return `no orphans: every object marked by ${whose} on ${where} is held by a state\n`;
    }
    const order = (f: Found) => REMOVAL_ORDER.indexOf(f.object.kind);
    found.sort((a, b) => order(a) - order(b));
    const out = `${found.length} object${found.length === 1 ? "" : "s"} marked by ${whose} that no state holds (looked on ${where}${failed ? "; not all could be read, above" : ""}):\n${found.map(line).join("\n")}\n`;
    if (!cmd.delete) return `${out}remove them with --delete\n`;
    process.stdout.write(`${out}removing them:\n`);
    let removed = 0;
    for (const f of found) {
      try {
        // An update may have started, or a state changed, since the listing: read them again first.
        states = await statesNow(backend, project, states);
      } catch (e) {
        complain(`${(e as Error).message}; not removing the rest`);
        process.exitCode = 1;
        break;
      }
      if (heldBy(states.owners)(f.object)) {
        process.stdout.write(`  left ${f.host}: ${describeMarked(f.object)}: a state holds it now\n`);
        continue;
      }
      try {
        await removeMarked(f.object, f.connection);
        removed++;
        process.stdout.write(`  removed ${f.host}: ${describeMarked(f.object)}\n`);
      } catch (e) {
        process.exitCode = 1;
        complain(`could not remove ${describeMarked(f.object)} on ${f.host}: ${(e as Error).message}`);
      }
    }
    return `removed ${removed} of ${found.length}\n`;
  } finally {
    closeHosts();
  }
}

/** The states as they are now: the same when `stack ls` says nothing changed (and no update runs), else read again. */
async function statesNow(backend: string, project: string, last: States): Promise<States> {
  const { version } = await stacksNow(backend, project);
  return version === last.version ? last : readStates(backend, project);
}

/**
 * Removes one object as its kind's delete does (the handlers take the host from the
 * connection given with the inputs): a namespace only if it holds no other stack's objects,
 * a sysctl's value put back if it still holds what the stack set; a link only while it still
 * carries the mark it was listed with.
 */
export async function removeMarked(m: Marked, connection?: Connection): Promise<void> {
  const withHost = (props: Record<string, unknown>) => ({ ...props, ...(connection ? { connection } : {}) });
  const key = REMOVED_AS[m.kind];
  if (key === "link") {
    const host = hostFor(connection);
    const attempt = { verb: "remove", kind: "link", name: m.name, netns: m.netns };
    if ((await readLink(host, m.name, m.netns, attempt))?.alias === m.mark) await deleteLink(host, m.name, m.netns, attempt);
    return;
  }
  // A mark too long for the kernel is cut short and ends in a hash of the whole (core/owner.ts):
  // its owner cannot be read back whole, and a kind's delete, finding no mark of that owner,
  // would leave the object and say nothing. Never report such a removal as done.
  if (m.mark !== undefined && SHORTENED.test(m.mark)) {
    throw new Error(`its mark is shortened (${m.mark}), so its owner cannot be read back whole: remove it by hand`);
  }
  await handlersFor(key).delete(m.name, withHost({ ...m.inputs, ...m.state }));
}

/** How `--delete` removes each marked kind: as a link (of whichever kind), or by that kind's own delete (its registry key). */
export const REMOVED_AS: Readonly<Record<MarkedKind, KindKey | "link">> = { link: "link", ...REMOVED_BY };

/** The end of a mark shortened to the kernel's 255 bytes: `~` and 16 hex digits of the whole's hash. */
const SHORTENED = /~[0-9a-f]{16}$/;

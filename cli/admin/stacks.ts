/**
 * What the backend says of a project's stacks, for `pulumi-linuxnet orphans`: their states
 * (the owners they hold and the hosts they name) and whether an update of one is under way.
 * Everything is read with the real CLI (`pulumi whoami`, `pulumi stack ls`, `pulumi stack
 * export --show-secrets`) and, for a file backend, from the lock files the CLI writes there.
 *
 * An update in progress makes the states no guide to what is lost: the provider marks an
 * object before the engine checkpoints it (with PULUMI_SKIP_CHECKPOINTS, not until the end),
 * so the running stack's objects would look lost. The Pulumi Cloud says so in `stack ls
 * --json` (`updateInProgress`); a file backend does not (its `SupportsProgress` is false) but
 * holds a lock file per running command under `.pulumi/locks/organization/PROJECT/STACK/`
 * (pkg/backend/diy/lock.go) until it ends. Where neither tells, nothing is listed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { kernelSays } from "../../provider/core/errors";
import { connection as connectionSchema } from "../../provider/core/validate";
import { type Connection, local } from "../../provider/hosts";
import { CliError } from "../errors";
import { revealedAll } from "../../model/values";

async function pulumi(args: string[]): Promise<string> {
  try {
    return (await local.run(["pulumi", ...args, "--non-interactive"])).stdout;
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr;
    throw new CliError(`could not read the states: \`pulumi ${args.join(" ")}\` failed: ${stderr ? kernelSays(stderr) : (e as Error).message}`);
  }
}

/** One entry of `pulumi stack ls --json`. */
export interface Listed {
  name: string;
  lastUpdate?: string;
  updateInProgress?: boolean;
  resourceCount?: number;
}

/** A running update: the stack, and what tells (the lock's writer, or the backend's word). */
export interface Running {
  stack: string;
  how: string;
}

/** A lock file of the file backend (pkg/backend/diy/lock.go `lockContent`). */
interface LockContent {
  pid?: number;
  username?: string;
  hostname?: string;
  timestamp?: string;
}

const stackName = (listed: string) => listed.split("/").pop()!;

/** The folder of a `file://` backend URL, as the CLI resolves it (`~`, a relative path); undefined for any other backend. */
export function fileBackendDir(url: string, cwd = process.cwd()): string | undefined {
  if (!url.startsWith("file://")) return undefined;
  const path = decodeURIComponent(url.slice("file://".length).split("?")[0]);
  if (path === "~" || path.startsWith("~/")) return join(homedir(), path.slice(2));
  return resolve(cwd, path);
}

/** The lock files of one stack of a file backend (project-scoped layout, and the older one without projects). */
function lockFiles(dir: string, project: string, stack: string): Array<{ file: string; lock: LockContent }> {
  const out: Array<{ file: string; lock: LockContent }> = [];
  for (const folder of [join(dir, ".pulumi", "locks", "organization", project, stack), join(dir, ".pulumi", "locks", stack)]) {
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // no lock: nothing runs
      throw new CliError(`cannot tell whether stack "${stack}" has an update in progress: cannot read ${folder}: ${(e as Error).message}`);
    }
    for (const name of names.filter((n) => n.endsWith(".json"))) {
      const file = join(folder, name);
      let lock: LockContent = {};
      try {
        lock = JSON.parse(readFileSync(file, "utf8")) as LockContent;
      } catch {
        // A lock being written, or one unreadable: a lock all the same.
      }
      out.push({ file, lock });
    }
  }
  return out;
}

/**
 * The project's stacks with an update in progress, as the backend tells: the Cloud by
 * `updateInProgress`, a file backend by its lock files. Throws when it cannot tell (another
 * DIY backend: S3, GCS, Azure, PostgreSQL), since then nothing may be called lost.
 */
export function runningUpdates(backend: string, project: string, listed: readonly Listed[], locksOf = lockFiles): Running[] {
  const dir = fileBackendDir(backend);
  if (dir !== undefined) {
    return listed.flatMap((s) => {
      const locks = locksOf(dir, project, stackName(s.name));
      if (!locks.length) return [];
      const { lock, file } = locks[0];
      const by = lock.pid === undefined ? `a lock file, ${file}` : `pid ${lock.pid} on ${lock.hostname ?? "?"} since ${lock.timestamp ?? "?"} (${file})`;
      return [{ stack: stackName(s.name), how: by }];
    });
  }
  if (/^https?:\/\//.test(backend)) {
    // The Cloud sets updateInProgress wherever a stack has had an update (a running one's time is 0).
    return listed.filter((s) => s.updateInProgress === true).map((s) => ({ stack: stackName(s.name), how: "the backend says so" }));
  }
  throw new CliError(`cannot tell whether a stack of project "${project}" has an update in progress: the backend ${backend.split("?")[0]} does not say (\`pulumi stack ls\` reports no progress there), so nothing can be called lost`);
}

/** The refusal while updates run: one line naming the stacks. */
export function updatesProblem(project: string, running: readonly Running[]): string {
  const names = running.map((r) => `"${r.stack}"`).join(", ");
  return (
    `${running.length === 1 ? "stack" : "stacks"} ${names} of project "${project}" ${running.length === 1 ? "has an update" : "have updates"} in progress ` +
    `(${running.map((r) => `${r.stack}: ${r.how}`).join("; ")}): what it makes would look lost until the engine checkpoints it; ` +
    "run this again once it has ended (a lock left by a killed command goes with `pulumi cancel --stack NAME`)"
  );
}

interface StateResource {
  type?: string;
  urn?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** What the states of the project hold, read while no update of it ran. */
export interface States {
  /** The stacks' names. */
  stacks: string[];
  owners: Set<string>;
  /** Every host the states name (also with --stack: a lost stack's hosts are often another stack's too). */
  hosts: Connection[];
  /** Hosts the states name whose connection cannot be used here (a known_hosts file gone, say): each in words, with why. */
  unusable: string[];
  /** `stack ls` as it was when they were read: a later one that differs means they changed. */
  version: string;
}

/** The backend's URL, as `pulumi whoami` resolves it here (environment, project, login). */
export async function backendUrl(): Promise<string> {
  const url = (JSON.parse(await pulumi(["whoami", "--json"])) as { url?: unknown }).url;
  if (typeof url !== "string" || !url) throw new CliError("could not read the states: `pulumi whoami --json` names no backend URL");
  return url;
}

/**
 * The stacks as `stack ls` lists them, as one string to compare (the file backend's
 * `lastUpdate` is the time of the state's last write), after refusing if an update runs.
 */
export async function stacksNow(backend: string, project: string): Promise<{ listed: Listed[]; version: string }> {
  const listed = (JSON.parse((await pulumi(["stack", "ls", "--all", "--project", project, "--json"])) || "[]") as Listed[]).sort((a, b) => a.name.localeCompare(b.name));
  const running = runningUpdates(backend, project, listed);
  if (running.length) throw new CliError(updatesProblem(project, running));
  return { listed, version: JSON.stringify(listed.map((s) => [s.name, s.lastUpdate, s.resourceCount])) };
}

/**
 * Reads every state of the project. The stacks are listed before and after (no update may run
 * then); a state written in between is read again, a few times at most.
 */
export async function readStates(backend: string, project: string): Promise<States> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = await stacksNow(backend, project);
    const states = await exported(before.listed);
    const after = await stacksNow(backend, project);
    if (after.version === before.version) return { ...states, version: after.version };
  }
  throw new CliError(`could not read the states: those of project "${project}" kept changing while they were read; run this again when no command runs on them`);
}

async function exported(listed: readonly Listed[]): Promise<Omit<States, "version">> {
  const owners = new Set<string>();
  const hosts: Connection[] = [];
  const unusable: string[] = [];
  for (const { name } of listed) {
    const state = JSON.parse(await pulumi(["stack", "export", "--stack", name, "--show-secrets"])) as { deployment?: { resources?: StateResource[] } };
    for (const r of state.deployment?.resources ?? []) {
      if (!r.type?.startsWith("pulumi-nodejs:dynamic/linuxnet:")) continue;
      const props = { ...r.inputs, ...r.outputs };
      if (typeof props.owner === "string") owners.add(props.owner);
      if (props.connection === undefined) continue;
      // The key inside a connection is a secret of its own (the SDK makes it one): reveal every level.
      const c = connectionSchema().safeParse(revealedAll(props.connection));
      if (c.success && c.data) hosts.push(c.data as Connection);
      else if (!c.success) {
        const host = (revealedAll(props.connection) as { host?: unknown }).host;
        unusable.push(`the host ${JSON.stringify(host)} that stack "${stackName(name)}" names (${r.type.split(":").pop()} ${JSON.stringify(r.urn?.split("::").pop())}): ${c.error.issues[0]?.message ?? "its connection is not valid"}`);
      }
    }
  }
  return { stacks: listed.map((s) => stackName(s.name)), owners, hosts, unusable };
}

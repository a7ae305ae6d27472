/**
 * The hosts: this machine, and machines over SSH, one object per set of connection settings
 * (a host reached with another key is another object: a shell opened with one key must never
 * serve a resource that gives another). A handler asks here once, at the top of its call.
 */
import { createHash } from "node:crypto";
import type { Connection } from "./connection";
import type { Host } from "./host";
import { LocalHost } from "./local";
import { SshHost } from "./ssh-host";

export type { Connection } from "./connection";
export { hostLabel } from "./connection";
export { type ChangeOptions, type Outcome, Records, type Step } from "./records";
export { execArgv, Host, ipArgv, NETNS_RUN_DIR, RECORD_DIR, type BatchOptions, type RunResult, type Target } from "./host";

/** The machine the provider runs on. */
export const local = new LocalHost();

const remote = new Map<string, SshHost>();
const keyOf = (c: Connection) => createHash("sha256").update(JSON.stringify(c)).digest("hex");

/** The host a resource's connection names; none: this machine. */
export function hostFor(connection: Connection | undefined): Host {
  if (!connection) return local;
  const key = keyOf(connection);
  let host = remote.get(key);
  if (!host) remote.set(key, (host = new SshHost(connection)));
  return host;
}

/** Ends every long-lived process of every host (their processes exit at the end of their input). */
export function closeHosts(): void {
  local.close();
  local.records.close();
  for (const h of remote.values()) (h.close(), h.records.close());
  remote.clear();
}

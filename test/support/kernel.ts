/**
 * Helpers for the kernel tier: unique names per test file, and cleanup of everything a test
 * made, also when it fails. All of it runs inside the sandbox the guard has checked.
 */
import { readdirSync, statSync } from "node:fs";
import { isKind } from "../../provider/errors";
import { ip, ipJson, NETNS_RUN_DIR, run } from "../../provider/runner";

let counter = 0;
/** A name no other test file uses: prefix, this worker's pid, a counter. */
export function uniqueName(prefix: string): string {
  return `${prefix}${process.pid}x${counter++}`;
}

export function namedNamespaces(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR).sort();
  } catch {
    return [];
  }
}

export function inodeOf(netns: string): number {
  return statSync(`${NETNS_RUN_DIR}/${netns}`).ino;
}

/** Deletes the given namespaces, ignoring those already gone. Use in afterEach/afterAll. */
export async function removeNamespaces(names: Iterable<string>): Promise<void> {
  for (const name of names) {
    try {
      await ip(["netns", "del", name]);
    } catch (e) {
      if (!isKind(e, "not-found")) throw e;
    }
  }
}

export interface LinkState {
  ifname: string;
  ifindex: number;
  flags: string[];
  operstate: string;
}

export async function links(netns?: string): Promise<LinkState[]> {
  return ipJson<LinkState>(["link", "show"], { netns });
}

export { run };

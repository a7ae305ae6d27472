/**
 * Helpers for the kernel tier: unique names per test file, and cleanup of everything a test
 * made, also when it fails. All of it runs inside the sandbox the guard has checked.
 */
import { readdirSync, statSync } from "node:fs";
import { unlessGone } from "../../provider/core/errors";
import { ip, ipJson, NETNS_RUN_DIR, run } from "./local";

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
  for (const name of names) await unlessGone(ip(["netns", "del", name]), undefined);
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

/**
 * What is left in the sandbox: its named namespaces and the links of its own namespace. After a
 * stack's destroy that must be none and `lo` alone, whatever names the stack used.
 */
export async function leftInSandbox(): Promise<{ namespaces: string[]; links: string[] }> {
  return { namespaces: namedNamespaces(), links: (await links()).map((l) => l.ifname).sort() };
}
export const EMPTY_SANDBOX = { namespaces: [], links: ["lo"] };

/** A namespace for one test, removed by `removeNamespaces(made)` in afterEach. */
export async function freshNamespace(made: Set<string>, prefix = "k"): Promise<string> {
  const n = uniqueName(prefix);
  await ip(["netns", "add", n]);
  made.add(n);
  await ip(["link", "set", "lo", "up"], { netns: n });
  return n;
}

export interface AddrState extends LinkState {
  master?: string;
  mtu: number;
  address: string;
  link_index?: number;
  addr_info: Array<{ family: string; local: string; prefixlen: number; scope: string }>;
}

/** The link as `ip -d -j addr show dev NAME` has it, or undefined. */
export async function linkState(name: string, netns?: string): Promise<AddrState | undefined> {
  const [l] = await unlessGone(ipJson<AddrState>(["-details", "addr", "show", "dev", name], { netns }), []);
  return l;
}

export async function addressesOf(name: string, netns?: string): Promise<string[]> {
  const l = await linkState(name, netns);
  return (l?.addr_info ?? []).filter((a) => a.scope !== "link").map((a) => `${a.local}/${a.prefixlen}`);
}

/** One ICMP echo from a namespace; true if answered. */
export async function pings(fromNetns: string | undefined, address: string, waitSeconds = 1): Promise<boolean> {
  const argv = ["ping", "-c", "1", "-W", String(waitSeconds), address];
  try {
    await run(fromNetns ? ["ip", "netns", "exec", fromNetns, ...argv] : argv);
    return true;
  } catch {
    return false;
  }
}

export type Props = Record<string, unknown>;

/** A handler's check, which must pass: the inputs it returns. */
export async function checked(h: { check: Function }, props: Props): Promise<Props> {
  const r = await h.check({}, props);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

/** What a command prints inside a namespace. */
export const nsExec = async (ns: string, ...argv: string[]) => (await run(["ip", "netns", "exec", ns, ...argv])).stdout;

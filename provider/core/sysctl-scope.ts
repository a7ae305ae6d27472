/**
 * Which sysctls belong to a network namespace, and which are one value for the whole machine.
 *
 * The rule: a key is per network namespace when it is under `net.` and a fresh network
 * namespace has it, writable. Everything outside `net.` (`vm.swappiness`, `kernel.panic`,
 * `fs.*`) is one value per machine, whatever namespace it is written from. Inside `net.`, the
 * kernel registers each table either per namespace (`register_net_sysctl(net, …)` from a
 * pernet init: its data is that namespace's) or only for the initial namespace (global data:
 * `net.core.netdev_max_backlog`, `net.ipv4.tcp_mem`, and before 6.x kernels also
 * `net.core.rmem_max`); since Linux 5.13 ("net: Ensure net namespace isolation of sysctls",
 * ensure_safe_net_sysctl in net/sysctl_net.c) the kernel refuses to show another namespace a
 * writable entry whose data is global: such entries are missing there, or read-only. So the
 * kernel itself answers the question, the same way on every version: look at the key from a
 * namespace made for the look (`unshare --net`, gone when the look ends). A static list would
 * be wrong on some kernel: `net.core.rmem_max` became per namespace in 2025.
 */
import type { Host } from "../hosts";
import { CommandError } from "./errors";

export type Scope = "netns" | "global" | "read-only";

/** Why a key outside `net.` is refused without `hostWide`. */
export const NOT_NET = "is not per network namespace (only net.* keys are): it is one value for the whole machine, shared by every namespace";

/** Interface-named keys (`net.ipv4.conf.eth0.forwarding`) looked at as the fresh namespace has them (`…conf.default…`). */
export function asInFreshNamespace(key: string): string {
  const parts = key.split(".");
  const at = parts.findIndex((p) => p === "conf" || p === "neigh");
  if (at >= 0 && parts[at + 1] !== undefined && parts[at + 1] !== "all") parts[at + 1] = "default";
  return parts.join(".");
}

/** The file of a dotted key (an interface name with dots is written with "/", as sysctl(8) takes it). */
export const procPath = (key: string) => `/proc/sys/${key.split(".").map((p) => p.replace(/\//g, ".")).join("/")}`;

/**
 * Where a `net.*` key lives: "netns" (each namespace has its own), "global" (only the initial
 * namespace has it) or "read-only" (other namespaces may only read it); undefined where the
 * look cannot be made (no `unshare`, or not allowed to make a namespace): then nothing is refused.
 * One process on the host, at preview.
 */
export function scopeOf(host: Host, key: string): Promise<Scope | undefined> {
  return host.run(["unshare", "--net", "stat", "-L", "-c", "%a", procPath(asInFreshNamespace(key))]).then(
    ({ stdout }) => (/^[2367]/.test(stdout.trim()) ? "netns" : "read-only"), // the owner's digit of the mode has the write bit
    (e: unknown) => (e instanceof CommandError && /cannot stat/.test(e.stderr) ? "global" : undefined),
  );
}

/** The reason a `net.*` key of this scope is refused without `hostWide`, or undefined. */
export function scopeProblem(scope: Scope | undefined): string | undefined {
  if (scope === "global") return "is not per network namespace: the kernel has it only in the initial network namespace, one value for the whole machine";
  if (scope === "read-only") return "is not per network namespace: namespaces other than the initial one may only read it, one value for the whole machine";
  return undefined;
}

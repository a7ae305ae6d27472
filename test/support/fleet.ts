/**
 * The fleet test program (test/programs/fleet: a host namespace with bridge br0 and N
 * namespaces, each with an end on it) as the fault-injection tests check it: converged (every
 * namespace there and reaching the bridge, nothing else, a preview with no changes) or gone.
 */
import { links, namedNamespaces, pings } from "./kernel";
import type { PulumiStack } from "./pulumi";

export class Fleet {
  /** N namespaces + N pairs + the host namespace + the bridge. */
  readonly resources: number;

  constructor(
    readonly stack: PulumiStack,
    readonly n: number,
    readonly prefix: string,
  ) {
    this.resources = 2 * n + 2;
  }

  /** The stack's namespaces that exist now. */
  namespaces(): string[] {
    return namedNamespaces().filter((n) => n.startsWith(this.prefix));
  }

  /** Every namespace reaches the bridge; nothing besides the stack's objects exists; no drift. */
  async expectConverged(): Promise<void> {
    const { n, prefix } = this;
    expect(this.namespaces().sort()).toEqual([`${prefix}h`, ...[...Array(n).keys()].map((i) => `${prefix}${i}`)].sort());
    expect((await links(`${prefix}h`)).length).toBe(n + 2); // lo, br0 and one port per namespace
    const unreached: string[] = [];
    // In groups, so that a few hundred namespaces do not start a few hundred pings at once.
    for (let i = 0; i < n; i += 50) {
      const group = [...Array(Math.min(50, n - i)).keys()].map((k) => `${prefix}${i + k}`);
      const ok = await Promise.all(group.map((ns) => pings(ns, "10.250.0.1")));
      unreached.push(...group.filter((_, k) => !ok[k]));
    }
    expect(unreached).toEqual([]);
    expect((await this.stack.preview("--expect-no-changes")).code).toBe(0);
  }

  /** Nothing of the stack's is left: no namespace of it, no link in the sandbox's own namespace. */
  async expectNothingLeft(): Promise<void> {
    expect(this.namespaces()).toEqual([]);
    expect((await links()).map((l) => l.ifname)).toEqual(["lo"]);
  }
}

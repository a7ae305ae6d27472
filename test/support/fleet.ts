/**
 * The fleet test program (test/programs/fleet: a host namespace with bridge br0 and N
 * namespaces, each with an end on it) as the fault-injection tests check it: converged (every
 * namespace there and reaching the bridge, nothing else, a preview with no changes) or gone.
 */
import { links, namedNamespaces, pings, run } from "./kernel";
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
    let unreached: string[] = [];
    // In groups, so that a few hundred namespaces do not start a few hundred pings at once.
    for (let i = 0; i < n; i += 50) {
      const group = [...Array(Math.min(50, n - i)).keys()].map((k) => `${prefix}${i + k}`);
      const ok = await Promise.all(group.map((ns) => pings(ns, "10.250.0.1")));
      unreached.push(...group.filter((_, k) => !ok[k]));
    }
    // A one-second ping among fifty on a loaded machine can miss (ARP); one that converged
    // answers a slower retry, one that did not never does.
    for (let attempt = 0; attempt < 2 && unreached.length > 0; attempt++) {
      const ok = await Promise.all(unreached.map((ns) => pings(ns, "10.250.0.1", 3)));
      unreached = unreached.filter((_, k) => !ok[k]);
    }
    for (const ns of unreached) {
      const i = Number(ns.slice(prefix.length));
      const shown = async (argv: string[]): Promise<string> => run(argv).then((r) => r.stdout, (e: Error) => e.message);
      const own = await shown(["ip", "-n", ns, "-d", "addr", "show"]);
      const port = await shown(["ip", "-n", `${prefix}h`, "-d", "link", "show", "dev", `${prefix}v${i}`]);
      process.stdout.write(`fleet: ${ns} does not reach the bridge after retries.\n--- in ${ns}:\n${own}\n--- its port:\n${port}\n`);
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

/**
 * Running many `ip` batches for a NamespaceFleet (core/members.ts): in chunks a pipe takes
 * whole, and per member several at once.
 */
import type { Host } from "../hosts";

/** Members per batch of the provider's namespace: two lines each (`netns add`, `link add`), well under a pipe's 64 KiB, so `ip` gets a batch whole even if the provider dies the moment after. */
export const CHUNK = 100;
/** Per-member processes at once. */
export const PARALLEL = 8;

export const chunks = <T>(list: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(list.length / n) }, (_, k) => list.slice(k * n, k * n + n));

/** Runs `work` on every item, `parallel` at once; the first failure is thrown once all started work ended. */
export async function eachLimited<T, R>(items: readonly T[], parallel: number, work: (item: T, k: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failure: { e: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const k = next++;
      try {
        out[k] = await work(items[k], k);
      } catch (e) {
        failure ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  if (failure) throw failure.e;
  return out;
}

/** `ip … -batch` as one process of its own (never a long-lived session: a thousand members would be a thousand processes kept). */
export const once = (host: Host, lines: string[][], netns: string | undefined, attempt: (line: readonly string[]) => { verb: string; kind: string; name: string; netns?: string }) =>
  lines.length ? host.ipBatch(lines, { netns }, attempt, { atomic: lines.length }) : Promise.resolve([]);

/**
 * What a planned update or replacement changes, property by property (old → new), and why
 * a replacement happens. The engine's detailed diff names the paths (`end.addresses[0]`);
 * where it gives none (a resource replaced because one it depends on is), the inputs before
 * and after are compared here.
 */
import { DEFAULT_WHY, whyReplaced } from "./kinds";
import type { Resource } from "./resources";
import { at, differingPaths, text, withoutIndexes } from "../model/values";

export interface Change {
  /** Dotted path, list indexes dropped: a list is shown whole. */
  path: string;
  old: string;
  new: string;
}

/** Paths the step changes, lists whole, in the engine's order. */
export function changedPaths(r: Resource): string[] {
  const paths = r.detailedDiff ? Object.keys(r.detailedDiff) : differingPaths(r.olds ?? {}, r.news ?? {});
  return [...new Set(paths.map(withoutIndexes))].filter((p) => p && !p.startsWith("__provider"));
}

export function changes(r: Resource): Change[] {
  return changedPaths(r).map((path) => ({ path, old: text(at(r.olds, path)), new: text(at(r.news, path)) }));
}

/**
 * Why the resource is replaced, one sentence per cause: "end.name changed: the kernel name
 * is the identity", or the replaced resource it depends on. `all` finds those by URN.
 */
export function replacementReasons(r: Resource, all: ReadonlyMap<string, Resource>): string[] {
  const top = (path: string) => path.split(/[.[]/)[0];
  const forced = new Set(r.replaceReasons ?? []);
  const paths = changedPaths(r).filter((p) => (forced.size ? forced.has(top(p)) : whyReplaced(r.kind, p)));
  const reasons = paths.flatMap((p) => {
    const why = whyReplaced(r.kind, p);
    return why ? [`${p} changed: ${why}`] : [];
  });
  for (const f of forced) if (!paths.some((p) => top(p) === f && whyReplaced(r.kind, p))) reasons.push(`${f} changed: ${DEFAULT_WHY}`);
  // Without replaceReasons the engine replaces it because one it depends on is deleted first.
  if (!forced.size) {
    const replacedDeps = r.dependencies.map((u) => all.get(u)).filter((d): d is Resource => d?.op === "replace");
    reasons.push(...replacedDeps.map((d) => `it depends on ${d.kind} ${d.name}, which is replaced: the engine deletes that first and replaces what depends on it`));
  }
  if (reasons.length) return reasons;
  return ["the engine gave no reason"];
}

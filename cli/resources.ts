/**
 * The two inputs the command reads — `pulumi preview --json` and `pulumi stack export` —
 * checked with zod and turned into one list of pulumi-linuxnet resources, each with the
 * operation the preview plans for it (an export's are all "same").
 */
import { z } from "zod";
import { type Expected, problems } from "./errors";

export type { DetailedDiff, Op, Resource } from "../model/resource";
import type { Op, Resource } from "../model/resource";

const props = z.record(z.string(), z.unknown());
const state = z.looseObject({
  urn: z.string().optional(),
  type: z.string(),
  inputs: props.optional(),
  outputs: props.optional(),
  parent: z.string().optional(),
  dependencies: z.array(z.string()).optional(),
});
const step = z.looseObject({
  op: z.string(),
  urn: z.string(),
  oldState: state.optional(),
  newState: state.optional(),
  detailedDiff: z.record(z.string(), z.looseObject({ kind: z.string() })).nullish(),
  diffReasons: z.array(z.string()).optional(),
  replaceReasons: z.array(z.string()).optional(),
});
const preview = z.looseObject({
  steps: z.array(step),
  changeSummary: z.record(z.string(), z.number()).optional(),
  diagnostics: z.array(z.looseObject({ message: z.string(), severity: z.string() })).optional(),
});
const exported = z.looseObject({
  version: z.number(),
  deployment: z.looseObject({ resources: z.array(state.extend({ urn: z.string() })).optional() }),
});

/** Engine operations as the summary counts them (a replacement's three steps are one). */
const OPS: Record<string, Op> = {
  create: "create",
  "create-replacement": "replace",
  "delete-replaced": "replace",
  replace: "replace",
  "import-replacement": "replace",
  update: "update",
  delete: "delete",
  discard: "delete",
  import: "create",
  same: "same",
  read: "same",
  refresh: "same",
  "remove-pending-replace": "same",
};
const PRIORITY: Op[] = ["same", "create", "update", "delete", "replace"];

/** The kind of a linuxnet type token (`pulumi-nodejs:dynamic/linuxnet:Bridge`, a component's `linuxnet:index:Router`), or undefined. */
export function kindOf(type: string): string | undefined {
  const parts = type.split(":");
  return parts.length > 1 && parts.slice(0, -1).some((p) => /linuxnet/.test(p)) ? parts[parts.length - 1] : undefined;
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/**
 * A component (the Router) stores no inputs: it is placed in the namespace of the first of its
 * children that names one.
 */
function withComponentNamespaces(resources: Resource[]): Resource[] {
  return resources.map((r) => {
    if (r.type.startsWith("pulumi-nodejs:dynamic/") || typeof r.props.netns === "string") return r;
    const netns = resources.find((c) => c.parent === r.urn && typeof c.props.netns === "string")?.props.netns;
    return netns === undefined ? r : { ...r, props: { ...r.props, netns } };
  });
}

/** The first zod issue as "path: message". */
function firstIssue(error: z.ZodError): string {
  const i = error.issues[0];
  return `${i.path.length ? i.path.join(".") : "(top level)"}: ${i.message}`;
}

/** Resources planned by a `pulumi preview --json`, one per URN. */
export function fromPreview(json: unknown, where: string): Resource[] {
  if (exported.safeParse(json).success) throw problems.exportGiven(where);
  const parsed = preview.safeParse(json);
  if (!parsed.success) throw problems.wrongShape(where, "preview", firstIssue(parsed.error));
  const failed = parsed.data.diagnostics?.find((d) => d.severity === "error");
  if (failed) throw problems.previewFailed(where, failed.message.replace(/^error:\s*/, "").trim().split("\n")[0]);
  const byUrn = new Map<string, Resource>();
  for (const s of parsed.data.steps) {
    const type = s.newState?.type ?? s.oldState?.type ?? "";
    const kind = kindOf(type);
    if (!kind) continue;
    const op = OPS[s.op] ?? "same";
    const known = byUrn.get(s.urn);
    if (known && PRIORITY.indexOf(known.op) >= PRIORITY.indexOf(op)) continue;
    const olds = s.oldState ? (s.oldState.inputs ?? s.oldState.outputs ?? {}) : undefined;
    const news = op === "delete" ? undefined : s.newState?.inputs;
    byUrn.set(s.urn, {
      urn: s.urn,
      type,
      kind,
      name: nameOf(s.urn),
      props: news ?? s.oldState?.outputs ?? olds ?? {},
      op,
      inputs: news ?? s.oldState?.inputs,
      olds,
      deployed: s.oldState ? { props: s.oldState.outputs ?? s.oldState.inputs ?? {}, inputs: s.oldState.inputs } : undefined,
      news,
      detailedDiff: s.detailedDiff ?? undefined,
      diffReasons: s.diffReasons,
      replaceReasons: s.replaceReasons,
      dependencies: (s.newState ?? s.oldState)?.dependencies ?? [],
      parent: (s.newState ?? s.oldState)?.parent,
    });
  }
  const found = [...byUrn.values()];
  if (!found.length) throw problems.emptyStack(where, "preview");
  return withComponentNamespaces(found);
}

/** Resources of a stack as `pulumi stack export` has them. */
export function fromExport(json: unknown, where: string): Resource[] {
  if (preview.safeParse(json).success && !exported.safeParse(json).success) throw problems.previewGiven(where);
  const parsed = exported.safeParse(json);
  if (!parsed.success) throw problems.wrongShape(where, "export", firstIssue(parsed.error));
  const found = (parsed.data.deployment.resources ?? []).flatMap((r): Resource[] => {
    const kind = kindOf(r.type);
    if (!kind) return [];
    return [{ urn: r.urn, type: r.type, kind, name: nameOf(r.urn), props: r.outputs ?? r.inputs ?? {}, inputs: r.inputs, op: "same", dependencies: r.dependencies ?? [], parent: r.parent }];
  });
  if (!found.length) throw problems.emptyStack(where, "export");
  return withComponentNamespaces(found);
}

/**
 * How many resources the preview leaves as they are. A preview lists unchanged resources
 * only with `--show-sames`; its changeSummary counts them either way (with the stack itself,
 * which is listed as a step).
 */
export function unchangedIn(json: unknown): number {
  const parsed = preview.safeParse(json);
  if (!parsed.success) return 0;
  const listedOthers = parsed.data.steps.filter((s) => OPS[s.op] === "same" && !kindOf(s.newState?.type ?? s.oldState?.type ?? "")).length;
  const listedOurs = parsed.data.steps.filter((s) => OPS[s.op] === "same" && kindOf(s.newState?.type ?? s.oldState?.type ?? "")).length;
  return Math.max(listedOurs, (parsed.data.changeSummary?.same ?? 0) - listedOthers);
}

/** What the input is, told apart for messages. */
export function read(json: unknown, expected: Expected, where: string): Resource[] {
  return expected === "preview" ? fromPreview(json, where) : fromExport(json, where);
}

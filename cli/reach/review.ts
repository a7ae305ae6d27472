/**
 * The "Reachability" section of `preview-summary`: from one `pulumi preview --json
 * --show-sames`, the deployed network (each step's old state, outputs first: what the kernel
 * had at the last up or refresh) and the planned one (each step's new inputs) are modelled
 * alike, every namespace → every address is predicted in both, and the pairs whose answer
 * changes are listed with the reason and the planned changes of the resources the answers
 * rest on — so a pull request that breaks reachability is flagged before merge.
 */
import { changes } from "../changes";
import { code, escapeText, plural } from "../markdown";
import { type Answer, buildModel, type Model, type Prediction, predict, Predictor, type Resource, stackAddresses, stackNamespaces } from "../../model";

/** What a probe expects, as a probe kind's entry reads it from its resource (see `ReviewOptions.probe`). */
export interface ProbeExpectation {
  /** The namespace's label, as the matrix names it. */
  from: string;
  to: string;
  expect: "reachable" | "unreachable";
  ttl?: number;
}

export interface ReviewOptions {
  /** Take pulumi's own namespace as a new one holding only the stack's objects. */
  ownFresh?: boolean;
  /** Whether the preview lists every resource (`--show-sames`); without, the section says so. */
  complete?: boolean;
  /**
   * Reads a probe's expectation from a resource, or undefined for other resources. The hook for
   * the probe kind: every probe of the plan whose expectation the prediction contradicts is listed.
   */
  probe?: (r: Resource) => ProbeExpectation | undefined;
}

const MAX_LINES = 40;
/** Pairs predicted at most (in each state): beyond, the section says so instead (about 0.2 ms a pair). */
export const MAX_PAIRS = 20_000;

/** The network as deployed and as planned, as resources whose props are those of that state. */
export function statesOf(resources: readonly Resource[]): { deployed: Resource[]; planned: Resource[] } {
  const deployed = resources.filter((r) => r.op !== "create" && r.deployed).map((r) => ({ ...r, props: r.deployed!.props, inputs: r.deployed!.inputs }));
  const planned = resources.filter((r) => r.op !== "delete").map((r) => ({ ...r, props: r.news ?? r.props, inputs: r.news ?? r.inputs }));
  return { deployed, planned };
}

const said = (p: Prediction) => `${p.answer}${p.answer === "reachable" && p.ttl !== undefined ? ` (TTL ${p.ttl})` : ""}`;
const differs = (a: Prediction, b: Prediction) => a.answer !== b.answer || (a.answer === "reachable" && a.ttl !== b.ttl);
const RANK: Record<Answer, number> = { reachable: 2, unknown: 1, unreachable: 0 };

/** Every pair both states know: namespace labels and addresses present in each. */
function pairs(before: Model, after: Model): Array<[string, string]> {
  const fromBefore = new Set(stackNamespaces(before).map((n) => n.label));
  const toBefore = new Set(stackAddresses(before));
  const to = stackAddresses(after).filter((a) => toBefore.has(a));
  return stackNamespaces(after)
    .map((n) => n.label)
    .filter((f) => fromBefore.has(f))
    .flatMap((f) => to.map((t): [string, string] => [f, t]));
}

/** "VethPair c1-eth0 replaced: `end.addresses` 10.10.0.11/24 → none". */
function cause(r: Resource): string {
  if (r.op === "create" || r.op === "delete") return `${r.kind} ${r.name} ${r.op}d`;
  const what = changes(r)
    .slice(0, 3)
    .map((c) => `${code(c.path)} ${escapeText(c.old)} → ${escapeText(c.new)}`);
  return `${r.kind} ${r.name} ${r.op}d${what.length ? `: ${what.join(", ")}` : ""}`;
}

/** The section's lines (Markdown), or none when nothing can be said. */
export function reachabilitySection(resources: readonly Resource[], options: ReviewOptions = {}): string[] {
  const head = ["#### Reachability", ""];
  if (options.complete === false) {
    return [...head, "Not predicted: the preview lists only what changes. `pulumi preview --json --show-sames` gives the whole network, before and after."];
  }
  const { deployed, planned } = statesOf(resources);
  const after = new Predictor(buildModel(planned, options));
  const lines: string[] = [];
  if (deployed.length) {
    const before = new Predictor(buildModel(deployed, options));
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const all = pairs(before.m, after.m);
    if (all.length > MAX_PAIRS) {
      return [...head, `Not predicted: ${all.length.toLocaleString("en-US")} pairs of a namespace and an address, more than the ${MAX_PAIRS.toLocaleString("en-US")} a summary predicts. \`pulumi-linuxnet reachability --preview --from NS\` predicts the pairs of one namespace.`];
    }
    const compared = all.map(([f, t]) => ({ old: predict(before, f, t), now: predict(after, f, t) }));
    const changed = compared.filter((c) => differs(c.old, c.now)).sort((a, b) => RANK[b.old.answer] - RANK[b.now.answer] - (RANK[a.old.answer] - RANK[a.now.answer]));
    const unknown = compared.filter((c) => c.now.answer === "unknown").length;
    if (!changed.length) lines.push(`No change: ${plural(all.length, "pair")} of a namespace and an address of the stack, predicted alike before and after (${unknown} unknown).`);
    else {
      const lost = changed.filter((c) => c.old.answer === "reachable" && c.now.answer !== "reachable").length;
      const gained = changed.filter((c) => c.now.answer === "reachable" && c.old.answer !== "reachable").length;
      lines.push(`> ${lost ? "⚠️ " : ""}${plural(changed.length, "pair")} of ${all.length} change${changed.length === 1 ? "s" : ""}: ${lost} stop${lost === 1 ? "s" : ""} answering, ${gained} start${gained === 1 ? "s" : ""}.`, "");
      for (const c of changed.slice(0, MAX_LINES)) {
        const urns = new Set([...c.old.uses, ...c.now.uses]);
        const causes = [...urns].map((u) => byUrn.get(u)).filter((r): r is Resource => r !== undefined && r.op !== "same");
        const because = causes.length ? ` (${causes.map(cause).join("; ")})` : "";
        lines.push(`- ${code(c.now.from)} → ${code(c.now.to)}: ${said(c.old)} → **${said(c.now)}**: ${escapeText(c.now.reason)}${because}`);
      }
      if (changed.length > MAX_LINES) lines.push(`- … and ${plural(changed.length - MAX_LINES, "more pair")}`);
    }
  }
  lines.push(...probeLines(planned, after, options));
  return lines.length ? [...head, ...lines] : [];
}

/** Probes of the plan whose expectation the prediction contradicts (or cannot confirm). */
function probeLines(planned: readonly Resource[], after: Predictor, options: ReviewOptions): string[] {
  if (!options.probe) return [];
  const out: string[] = [];
  for (const r of planned) {
    const e = options.probe(r);
    if (!e) continue;
    const p = predict(after, e.from, e.to);
    const holds = p.answer === e.expect && (e.ttl === undefined || p.answer !== "reachable" || p.ttl === e.ttl);
    if (holds) continue;
    const expected = `${e.expect}${e.ttl !== undefined ? ` with TTL ${e.ttl}` : ""}`;
    out.push(`- ${p.answer === "unknown" ? "❔" : "❌"} ${r.kind} ${code(r.name)} (${code(e.from)} → ${code(e.to)}, expects ${expected}): predicted ${said(p)}: ${escapeText(p.reason)}`);
  }
  return out.length ? ["", `**Probes predicted to fail:** ${out.length}`, "", ...out] : [];
}

/**
 * Shared by the command's unit tests and the end-to-end tests that feed it real CLI output:
 * running the shipped bin, the committed fixtures (real `pulumi preview --json` and
 * `pulumi stack export` output captured by the e2e tests), and the diagram's structure as
 * sentences, so tests compare nodes and edges rather than pixels.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Graph } from "../../../cli/graph";

export const ROOT = join(__dirname, "..", "..", "..", "..");
export const BIN = join(ROOT, "bin", "pulumi-linuxnet.js");
const FIXTURES = join(ROOT, "test", "unit", "cli", "fixtures");

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pulumi-linuxnet ARGS` as a user would (node bin/pulumi-linuxnet.js), with `input` on stdin. */
export function runCli(args: readonly string[], input = "", cwd = ROOT, env: NodeJS.ProcessEnv = {}): Ran {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, cwd, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 << 20 });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, `${name}.json`), "utf8");
}
export function fixture(name: string): unknown {
  return JSON.parse(fixtureText(name));
}

/**
 * With LINUXNET_WRITE_FIXTURES=1 the e2e tests store what the CLI printed as fixtures for the
 * unit tests; `__provider` closures and stack traces (source positions of this checkout) are
 * dropped, everything else is kept as the CLI wrote it.
 */
export function maybeWriteFixture(name: string, text: string): void {
  if (process.env.LINUXNET_WRITE_FIXTURES !== "1") return;
  const drop = new Set(["__provider", "stackTrace", "sourcePosition"]);
  const json = JSON.parse(text, (k, v) => (drop.has(k) ? undefined : v));
  writeFileSync(join(FIXTURES, `${name}.json`), `${JSON.stringify(json, null, 1)}\n`);
}

/** The graph as sentences: "netns a", "bridge br0 in netns a", "netns b —[e0 ⟷ p0]— br0 in netns a". */
export function sentences(g: Graph): { clusters: string[]; nodes: string[]; edges: string[] } {
  const cluster = new Map(g.clusters.map((c) => [c.id, c.label]));
  const node = new Map(g.nodes.map((n) => [n.id, `${n.shape} ${n.lines.join(" / ")}${n.cluster ? ` in ${cluster.get(n.cluster)}` : ""}`]));
  const end = (id: string) => cluster.get(id) ?? node.get(id) ?? `? ${id}`;
  const op = (o?: string) => (o && o !== "same" ? ` (${o})` : "");
  return {
    clusters: g.clusters.map((c) => `${c.label}${op(c.op)}`),
    nodes: g.nodes.map((n) => `${node.get(n.id)}${n.external ? " (external)" : ""}${op(n.op)}`),
    edges: g.edges.map((e) => `${end(e.from)} —[${e.label}]— ${end(e.to)}${op(e.op)}`),
  };
}

/**
 * `pulumi-linuxnet`: the command shipped in the package (bin/pulumi-linuxnet.js).
 *   new              writes the README's first program into an empty directory
 *   preview-summary  `pulumi preview --json` → Markdown for a pull-request comment
 *   diagram          `pulumi stack export` (or `--preview`: a preview) → Mermaid, DOT or SVG
 *   reachability     the same input → which namespace reaches which address, predicted (Markdown, JSON)
 *   orphans          objects marked by the project's stacks that no state holds (`--delete`: removed)
 * Any failure is one line on stderr, `pulumi-linuxnet <command>: <what was wrong>`, and a
 * non-zero exit: 1 for bad input, 2 for a wrong command line.
 */
import { parseCommand, USAGE } from "./args";
import { toDot } from "./dot";
import { CliError, problems } from "./errors";
import { buildGraph } from "./graph";
import { readInput } from "./input";
import { toMermaid } from "./mermaid";
import { newProgram } from "./new";
import { buildModel, isAddress, matrixJson, reachabilityMatrix, stackNamespaces } from "../model";
import { matrixMarkdown } from "./reach/matrix";
import { reachabilitySection, statesOf } from "./reach/review";
import { read, type Resource, unchangedIn } from "./resources";
import { summarize } from "./summary";
import { toSvg } from "./svg";

/** Runs one command line; resolves to what goes to stdout. */
export async function execute(argv: readonly string[]): Promise<string> {
  const cmd = parseCommand(argv);
  if (cmd.name === "help") return `${USAGE}\n`;
  // Loaded only for this command: it brings the provider's kinds along.
  if (cmd.name === "new") return newProgram(cmd);
  if (cmd.name === "orphans") return (require("./admin/orphans") as typeof import("./admin/orphans")).orphans(cmd);
  if (cmd.name === "preview-summary") {
    const input = await readInput(cmd.file, "preview", { mayExport: false });
    const resources = read(input.json, "preview", input.where);
    const unchanged = unchangedIn(input.json);
    const tail = reachabilitySection(resources, { ownFresh: cmd.ownFresh, complete: listsAll(resources, unchanged) });
    return `${summarize(resources, { title: cmd.title, maxLength: cmd.maxLength, unchanged, tail })}\n`;
  }
  if (cmd.name === "reachability") {
    const expected = cmd.preview ? "preview" : "export";
    const input = await readInput(cmd.file, expected, { stack: cmd.stack, mayExport: !cmd.preview });
    const resources = read(input.json, expected, input.where);
    if (cmd.preview && !listsAll(resources, unchangedIn(input.json))) {
      process.stderr.write("pulumi-linuxnet reachability: note: the preview lists only what changes; `pulumi preview --json --show-sames` gives the whole network\n");
    }
    const model = buildModel(cmd.preview ? statesOf(resources).planned : resources, { ownFresh: cmd.ownFresh });
    const known = stackNamespaces(model).map((n) => n.label);
    const stray = cmd.from.find((f) => !known.includes(f) && !model.namespaces.has(f));
    if (stray !== undefined) throw problems.notInStack(`--from ${JSON.stringify(stray)}`, `a namespace of the stack (${known.join(", ")})`);
    const bad = cmd.to.find((t) => !isAddress(t));
    if (bad !== undefined) throw problems.notInStack(`--to ${JSON.stringify(bad)}`, "an address like 10.0.0.1, fd00::1 or fe80::1%eth0");
    const families = cmd.family === "both" ? (["ipv4", "ipv6"] as const) : [cmd.family];
    const m = reachabilityMatrix(model, { from: cmd.from, to: cmd.to, families, linkLocal: cmd.linkLocal });
    return cmd.format === "json" ? matrixJson(m) : matrixMarkdown(m);
  }
  const expected = cmd.preview ? "preview" : "export";
  const input = await readInput(cmd.file, expected, { stack: cmd.stack, mayExport: !cmd.preview });
  const resources = read(input.json, expected, input.where);
  if (cmd.preview && unchangedIn(input.json) > 0 && !resources.some((r) => r.op === "same")) {
    process.stderr.write("pulumi-linuxnet diagram: note: the preview lists only what changes; `pulumi preview --json --show-sames` lets the diagram show the whole network\n");
  }
  const graph = buildGraph(resources, cmd.preview);
  if (cmd.format === "mermaid") return toMermaid(graph);
  const dot = toDot(graph);
  return cmd.format === "dot" ? dot : toSvg(dot);
}

/** Whether a preview lists every resource of the stack (it does with `--show-sames`). */
function listsAll(resources: readonly Resource[], unchanged: number): boolean {
  return resources.filter((r) => r.op === "same").length >= unchanged;
}

/** The process entry point. */
export async function cli(argv = process.argv.slice(2)): Promise<void> {
  try {
    process.stdout.write(await execute(argv));
  } catch (e) {
    const command = argv[0] && !argv[0].startsWith("-") ? ` ${argv[0]}` : "";
    if (e instanceof CliError) {
      process.stderr.write(`pulumi-linuxnet${command}: ${e.message}\n`);
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`pulumi-linuxnet${command}: internal error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 70;
    }
  }
}

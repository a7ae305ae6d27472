/**
 * The command line: `pulumi-linuxnet <command> [options] [FILE]`, parsed with node's own
 * parseArgs. Wrong usage is a CliError with exit code 2 and the usage text.
 */
import { parseArgs } from "node:util";
import { problems } from "./errors";
import type { OrphansCommand } from "./orphans";

export const USAGE = `usage:
  pulumi-linuxnet preview-summary [--title TEXT] [--max-length N] [FILE]
      FILE (default: stdin) is \`pulumi preview --json\`; prints Markdown for a pull-request comment
  pulumi-linuxnet diagram [--format mermaid|dot|svg] [--preview] [--stack NAME] [FILE]
      draws the stack's network from FILE, from stdin when something is piped in, or else by
      running \`pulumi stack export\` (a terminal, /dev/null or an empty pipe is nothing piped
      in; a pipe silent for 10 s too); FILE - reads stdin, waiting however long it takes;
      --preview: FILE is \`pulumi preview --json\`, coloured by what will change
  pulumi-linuxnet orphans [--stack NAME] [--project NAME] [--host [USER@]HOST[:PORT]]...
                          [--identity KEYFILE] [--known-hosts FILE] [--insecure-ignore-host-key] [--delete]
      lists the objects marked by the project's stacks (or one stack's) that no state holds,
      on this machine and on the SSH hosts the states name or --host gives; --delete removes them`;

export type Format = "mermaid" | "dot" | "svg";
const FORMATS: readonly Format[] = ["mermaid", "dot", "svg"];

export type Command =
  | { name: "help" }
  | { name: "preview-summary"; file?: string; title?: string; maxLength?: number }
  | { name: "diagram"; file?: string; format: Format; preview: boolean; stack?: string }
  | OrphansCommand;

export function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") return { name: "help" };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      options: {
        title: { type: "string" },
        "max-length": { type: "string" },
        format: { type: "string", default: "mermaid" },
        preview: { type: "boolean", default: false },
        stack: { type: "string" },
        project: { type: "string" },
        host: { type: "string", multiple: true },
        identity: { type: "string" },
        "known-hosts": { type: "string" },
        "insecure-ignore-host-key": { type: "boolean" },
        delete: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (e) {
    throw problems.usage((e as Error).message, USAGE);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { name: "help" };
  if (positionals.length > 1) throw problems.usage(`one input file at most, got ${positionals.length}`, USAGE);
  const file = positionals[0];
  const stray = (allowed: string[]) => Object.keys(v).find((k) => !["help", "format", "preview", ...allowed].includes(k) && v[k as keyof typeof v] !== undefined);

  if (name === "preview-summary") {
    const bad = stray(["title", "max-length"]) ?? (v.preview ? "preview" : undefined) ?? (rest.some((a) => a.startsWith("--format")) ? "format" : undefined);
    if (bad) throw problems.usage(`preview-summary takes no --${bad}`, USAGE);
    const maxLength = v["max-length"] === undefined ? undefined : Number(v["max-length"]);
    if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 1000)) {
      throw problems.usage(`invalid --max-length ${JSON.stringify(v["max-length"])} (must be a whole number of characters, at least 1000)`, USAGE);
    }
    return { name, file, title: v.title, maxLength };
  }
  if (name === "diagram") {
    const bad = stray(["stack"]);
    if (bad) throw problems.usage(`diagram takes no --${bad}`, USAGE);
    if (!FORMATS.includes(v.format as Format)) throw problems.usage(`invalid --format ${JSON.stringify(v.format)} (must be one of ${FORMATS.join(", ")})`, USAGE);
    if (v.stack !== undefined && (file !== undefined || v.preview)) throw problems.usage("--stack reads the stack with `pulumi stack export`; it takes no FILE and no --preview", USAGE);
    return { name, file, format: v.format as Format, preview: v.preview ?? false, stack: v.stack };
  }
  if (name === "orphans") {
    const bad = stray(["stack", "project", "host", "identity", "known-hosts", "insecure-ignore-host-key", "delete"]) ?? (v.preview ? "preview" : undefined) ?? (rest.some((a) => a.startsWith("--format")) ? "format" : undefined);
    if (bad) throw problems.usage(`orphans takes no --${bad}`, USAGE);
    if (positionals.length) throw problems.usage(`orphans takes no FILE (it reads the states with \`pulumi stack export\`), got ${JSON.stringify(positionals[0])}`, USAGE);
    return {
      name,
      stack: v.stack,
      project: v.project,
      hosts: v.host ?? [],
      identity: v.identity,
      knownHosts: v["known-hosts"],
      insecureIgnoreHostKey: v["insecure-ignore-host-key"] ?? false,
      delete: v.delete ?? false,
    };
  }
  throw problems.usage(`unknown command ${JSON.stringify(name)} (known: preview-summary, diagram, orphans)`, USAGE);
}

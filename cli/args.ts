/**
 * The command line: `pulumi-linuxnet <command> [options] [FILE]`, parsed with node's own
 * parseArgs. Wrong usage is a CliError with exit code 2 and the usage text.
 */
import { parseArgs } from "node:util";
import { problems } from "./errors";
import { type NewCommand, parseNew } from "./new";

export interface OrphansCommand {
  name: "orphans";
  stack?: string;
  project?: string;
  /** `[user@]host[:port]`, as given. */
  hosts: string[];
  identity?: string;
  knownHosts?: string;
  insecureIgnoreHostKey: boolean;
  delete: boolean;
}

export const USAGE = `usage:
  pulumi-linuxnet preview-summary [--title TEXT] [--max-length N] [--own-netns fresh|unknown] [FILE]
      FILE (default: stdin) is \`pulumi preview --json\`; prints Markdown for a pull-request comment,
      with the reachability changes when the preview has --show-sames
  pulumi-linuxnet diagram [--format mermaid|dot|svg] [--preview] [--stack NAME] [FILE]
      draws the stack's network from FILE, from stdin when something is piped in, or else by
      running \`pulumi stack export\` (a terminal, /dev/null or an empty pipe is nothing piped
      in; a pipe silent for 10 s too); FILE - reads stdin, waiting however long it takes;
      --preview: FILE is \`pulumi preview --json\`, coloured by what will change
  pulumi-linuxnet reachability [--format markdown|json] [--preview] [--stack NAME] [--own-netns fresh|unknown]
                               [--family ipv4|ipv6|both] [--link-local] [--from NS]... [--to ADDRESS]... [FILE]
      predicts which namespace reaches which address of the stack, and why (no kernel, no root);
      reads FILE, stdin, or else \`pulumi stack export\`; --preview: the plan of \`pulumi preview --json --show-sames\`;
      --own-netns fresh: take the namespace pulumi runs in as a new one holding only the stack's objects;
      --family: the stack's addresses of one family (default both); --link-local: also each namespace to
      its neighbours' link-local addresses (ADDR%DEV); --to takes IPv4, IPv6 and ADDR%DEV
  pulumi-linuxnet orphans [--stack NAME] [--project NAME] [--host [USER@]HOST[:PORT]]...
                          [--identity KEYFILE] [--known-hosts FILE] [--insecure-ignore-host-key] [--delete]
      lists the objects marked by the project's stacks (or one stack's) that no state holds,
      on this machine and on the SSH hosts the states name or --host gives; --delete removes them
  pulumi-linuxnet new DIR
      writes a first program (Pulumi.yaml, package.json, index.ts: two namespaces on a bridge) into DIR, new or empty`;

export type Format = "mermaid" | "dot" | "svg";
const FORMATS: readonly Format[] = ["mermaid", "dot", "svg"];
export type ReachFormat = "markdown" | "json";
const REACH_FORMATS: readonly ReachFormat[] = ["markdown", "json"];
const OWN_NETNS = ["fresh", "unknown"] as const;
export type ReachFamily = "ipv4" | "ipv6" | "both";
const FAMILIES: readonly ReachFamily[] = ["both", "ipv4", "ipv6"];

export type Command =
  | { name: "help" }
  | { name: "preview-summary"; file?: string; title?: string; maxLength?: number; ownFresh: boolean }
  | { name: "diagram"; file?: string; format: Format; preview: boolean; stack?: string }
  | { name: "reachability"; file?: string; format: ReachFormat; preview: boolean; stack?: string; ownFresh: boolean; from: string[]; to: string[]; family: ReachFamily; linkLocal: boolean }
  | NewCommand
  | OrphansCommand;

export function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") return { name: "help" };
  if (name === "new") return rest.includes("--help") || rest.includes("-h") ? { name: "help" } : parseNew(rest);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      options: {
        title: { type: "string" },
        "max-length": { type: "string" },
        format: { type: "string" },
        preview: { type: "boolean", default: false },
        stack: { type: "string" },
        "own-netns": { type: "string" },
        from: { type: "string", multiple: true },
        to: { type: "string", multiple: true },
        family: { type: "string" },
        "link-local": { type: "boolean" },
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
    const bad = stray(["title", "max-length", "own-netns"]) ?? (v.preview ? "preview" : undefined) ?? (v.format !== undefined ? "format" : undefined);
    if (bad) throw problems.usage(`preview-summary takes no --${bad}`, USAGE);
    const maxLength = v["max-length"] === undefined ? undefined : Number(v["max-length"]);
    if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 1000)) {
      throw problems.usage(`invalid --max-length ${JSON.stringify(v["max-length"])} (must be a whole number of characters, at least 1000)`, USAGE);
    }
    return { name, file, title: v.title, maxLength, ownFresh: ownNetns(v["own-netns"]) };
  }
  if (name === "diagram" || name === "reachability") {
    const reach = name === "reachability";
    const bad = stray(reach ? ["stack", "own-netns", "from", "to", "family", "link-local"] : ["stack"]);
    if (bad) throw problems.usage(`${name} takes no --${bad}`, USAGE);
    const formats: readonly string[] = reach ? REACH_FORMATS : FORMATS;
    const format = v.format ?? formats[0];
    if (!formats.includes(format)) throw problems.usage(`invalid --format ${JSON.stringify(format)} (must be one of ${formats.join(", ")})`, USAGE);
    if (v.stack !== undefined && (file !== undefined || v.preview)) throw problems.usage("--stack reads the stack with `pulumi stack export`; it takes no FILE and no --preview", USAGE);
    const common = { file, preview: v.preview ?? false, stack: v.stack };
    if (!reach) return { name, ...common, format: format as Format };
    const family = v.family ?? "both";
    if (!(FAMILIES as readonly string[]).includes(family)) throw problems.usage(`invalid --family ${JSON.stringify(family)} (must be one of ${FAMILIES.join(", ")})`, USAGE);
    if (v["link-local"] && family === "ipv4") throw problems.usage("--link-local is IPv6's: it takes no --family ipv4", USAGE);
    return { name, ...common, format: format as ReachFormat, ownFresh: ownNetns(v["own-netns"]), from: v.from ?? [], to: v.to ?? [], family: family as ReachFamily, linkLocal: v["link-local"] ?? false };
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
  throw problems.usage(`unknown command ${JSON.stringify(name)} (known: new, preview-summary, diagram, reachability, orphans)`, USAGE);
}

/** `--own-netns fresh|unknown` (default unknown): whether pulumi's own namespace is taken as a new, empty one. */
function ownNetns(value: string | undefined): boolean {
  if (value === undefined || value === "unknown") return false;
  if (value === "fresh") return true;
  throw problems.usage(`invalid --own-netns ${JSON.stringify(value)} (must be one of ${OWN_NETNS.join(", ")})`, USAGE);
}

/**
 * `pulumi-linuxnet new DIR`: writes the README's first program (Pulumi.yaml, package.json,
 * index.ts) into DIR, made if missing, ready for `npm install` and `pulumi up`. The files are
 * `templates/first-program/` of the package, the same text the README shows (a unit test
 * compares them). A DIR that holds anything is refused: nothing of the user's is overwritten.
 */
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { CliError, problems } from "./errors";

export interface NewCommand {
  name: "new";
  dir: string;
}

export const NEW_USAGE = "usage: pulumi-linuxnet new DIR      (writes a first program into DIR, which must be empty or missing)";

/** Where the template lives: `templates/first-program/` beside `dist/` (in a checkout and in the package). */
export const TEMPLATE_DIR = join(__dirname, "..", "..", "templates", "first-program");

/** The template's files, in the order the README shows them. */
export const TEMPLATE_FILES = ["Pulumi.yaml", "package.json", "index.ts"] as const;

/** `new`'s command line: exactly one DIR, no options. */
export function parseNew(rest: readonly string[]): NewCommand {
  const bad = rest.find((a) => a.startsWith("-") && a !== "-");
  if (bad !== undefined) throw problems.usage(`new takes no option ${bad}`, NEW_USAGE);
  if (rest.length !== 1) throw problems.usage(`new takes one DIR, got ${rest.length}`, NEW_USAGE);
  return { name: "new", dir: rest[0] };
}

/** Writes the first program into `cmd.dir`; resolves to what the command prints. */
export function newProgram(cmd: NewCommand): string {
  const dir = resolve(cmd.dir);
  let present: string[];
  try {
    present = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw new CliError(`cannot use ${cmd.dir}: ${(e as Error).message}`);
    present = [];
  }
  if (present.length > 0) {
    throw new CliError(`${cmd.dir} is not empty (it holds ${present.slice(0, 3).join(", ")}${present.length > 3 ? ", …" : ""}); give a new or empty directory`);
  }
  try {
    mkdirSync(dir, { recursive: true });
    for (const f of TEMPLATE_FILES) copyFileSync(join(TEMPLATE_DIR, f), join(dir, f));
  } catch (e) {
    throw new CliError(`cannot write the program into ${cmd.dir}: ${(e as Error).message}`);
  }
  return [
    `wrote ${TEMPLATE_FILES.join(", ")} into ${cmd.dir}; then, as root:`,
    `  cd ${cmd.dir} && npm install`,
    "  pulumi login --local && export PULUMI_CONFIG_PASSPHRASE=\"\" && pulumi stack init dev",
    "  pulumi up --yes",
    "",
  ].join("\n");
}

/**
 * Where the JSON comes from: a file, standard input, or (for `diagram` of a deployed stack
 * with nothing piped in) `pulumi stack export` run in the current directory through the
 * project's one runner. Empty or non-JSON input is a CliError naming the source.
 */
import { readFileSync } from "node:fs";
import { kernelSays } from "../provider/core/errors";
import { local } from "../provider/hosts";
import { type Expected, problems } from "./errors";

export interface Input {
  /** How messages name it: "stdin", "file state.json", "`pulumi stack export`". */
  where: string;
  json: unknown;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function parseJson(text: string, where: string, expected: Expected): unknown {
  if (!text.trim()) throw problems.emptyInput(where, expected);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw problems.notJson(where, expected, (e as Error).message);
  }
}

async function stackExport(stack?: string): Promise<string> {
  try {
    return (await local.run(["pulumi", "stack", "export", "--non-interactive", ...(stack ? ["--stack", stack] : [])])).stdout;
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr;
    throw problems.exportFailed(stderr ? kernelSays(stderr) : (e as Error).message);
  }
}

/** The input JSON: FILE, else stdin when something is piped in (or `stdin` is forced), else the stack's export. */
export async function readInput(file: string | undefined, expected: Expected, opts: { stack?: string; mayExport: boolean }): Promise<Input> {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw problems.unreadable(file, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
    }
    return { where: `file ${file}`, json: parseJson(text, `file ${file}`, expected) };
  }
  if (opts.mayExport && (opts.stack !== undefined || process.stdin.isTTY)) {
    const where = "`pulumi stack export`";
    return { where, json: parseJson(await stackExport(opts.stack), where, expected) };
  }
  return { where: "stdin", json: parseJson(await readStdin(), "stdin", expected) };
}

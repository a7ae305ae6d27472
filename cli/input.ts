/**
 * Where the JSON comes from: a file, standard input, or (for a command that can read the
 * stack itself, when nothing is piped in) `pulumi stack export` run in the current directory
 * through the project's one runner. Empty or non-JSON input is a CliError naming the source.
 *
 * "Nothing piped in" is told from what fd 0 is, never from isTTY alone (a CI step's stdin is
 * no terminal, and is /dev/null, a closed descriptor (which node reopens as /dev/null), or a
 * pipe): a terminal or another character device (/dev/null) is nothing; a regular file or a
 * pipe is read, and nothing is what it holds when it ends empty. A pipe that stays open and
 * silent (a runner that never closes it) is waited for STDIN_WAIT_MS until its first byte,
 * then taken as nothing, with a note; `-` as FILE reads stdin however long it takes.
 */
import { fstatSync, readFileSync } from "node:fs";
import { isatty } from "node:tty";
import { kernelSays } from "../provider/core/errors";
import { local } from "../provider/hosts";
import { type Expected, problems } from "./errors";

export interface Input {
  /** How messages name it: "stdin", "file state.json", "`pulumi stack export`". */
  where: string;
  json: unknown;
}

/** How long a silent open pipe is waited for (its first byte) before it counts as nothing piped in. */
export const stdinWaitMs = () => {
  const s = Number(process.env.PULUMI_LINUXNET_STDIN_WAIT);
  return process.env.PULUMI_LINUXNET_STDIN_WAIT !== undefined && Number.isFinite(s) && s >= 0 ? s * 1000 : 10_000;
};

/** What fd 0 is: a terminal or /dev/null ("nothing"), a regular file, or a pipe (or socket). */
export function stdinKind(fd = 0): "nothing" | "file" | "pipe" {
  let st;
  try {
    st = fstatSync(fd);
  } catch {
    return "nothing"; // no stdin at all
  }
  if (isatty(fd) || st.isCharacterDevice()) return "nothing";
  return st.isFile() ? "file" : "pipe";
}

/** All of stdin; with `waitMs`, undefined when no byte came in that time (the pipe is then let go). */
function readStdin(waitMs?: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stdin = process.stdin;
    const timer =
      waitMs === undefined
        ? undefined
        : setTimeout(() => {
            stdin.removeAllListeners("data").removeAllListeners("end");
            stdin.destroy(); // an open pipe must not keep the process alive
            resolve(undefined);
          }, waitMs);
    stdin.on("data", (c: Buffer) => {
      clearTimeout(timer);
      chunks.push(c);
    });
    stdin.once("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    stdin.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
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

/**
 * The input JSON: FILE; `-`: stdin, waited for; else stdin when something is piped in; else,
 * where the command can read the stack itself, the stack's export.
 */
export async function readInput(file: string | undefined, expected: Expected, opts: { stack?: string; mayExport: boolean }): Promise<Input> {
  if (file !== undefined && file !== "-") {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw problems.unreadable(file, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
    }
    return { where: `file ${file}`, json: parseJson(text, `file ${file}`, expected) };
  }
  const fromStdin = (text: string | undefined) => ({ where: "stdin", json: parseJson(text ?? "", "stdin", expected) });
  if (file === "-" || !opts.mayExport) return fromStdin(await readStdin());
  const exported = async () => {
    const where = "`pulumi stack export`";
    return { where, json: parseJson(await stackExport(opts.stack), where, expected) };
  };
  if (opts.stack !== undefined) return exported();
  const kind = stdinKind();
  if (kind === "nothing") return exported();
  const text = kind === "file" ? readFileSync(0, "utf8") : await readStdin(stdinWaitMs());
  if (text === undefined) {
    process.stderr.write(
      `pulumi-linuxnet: note: stdin is an open pipe that sent nothing in ${stdinWaitMs() / 1000} s: reading the stack with \`pulumi stack export\` (give - as FILE to wait for stdin)\n`,
    );
    return exported();
  }
  return text.trim() ? fromStdin(text) : exported();
}

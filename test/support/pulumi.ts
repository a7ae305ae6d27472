/**
 * Drives the real `pulumi` CLI (found on PATH, put there by scripts/toolchain.sh) against a
 * private file backend, for one stack of one example program.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

let stacks = 0;

/**
 * A local file backend. `metadata=skip`: Pulumi's file backend (Go CDK fileblob) writes each
 * state file atomically, but its metadata sidecar (`.attrs`) by truncate-and-write; a CLI
 * killed in between leaves it empty and the stack unreadable ("failed to load checkpoint:
 * EOF"). Without sidecars every write is a temp file and a rename. (scripts/toolchain.sh too.)
 */
export const backendUrl = (dir: string) => `file://${dir}?metadata=skip`;

export class PulumiStack {
  /** The file backend's directory: its own, or one shared with other stacks (given; then left for its owner to remove). */
  readonly backend: string;
  private readonly ownBackend: boolean;
  // Stack config lives in the program's directory (Pulumi.<stack>.yaml), shared by every run on
  // this checkout; a pid alone repeats across sandboxes (each has its own PID namespace).
  readonly stack = `e2e${randomBytes(3).toString("hex")}x${stacks++}`;
  /** Wall time of each CLI command, for the log (not asserted). */
  readonly timings: Array<[string, number]> = [];

  /**
   * `extraEnv`: set for every command of this stack (e.g. PULUMI_SKIP_CHECKPOINTS);
   * `timeoutMs`: how long one command may take before it is ended (a hung CLI fails the test);
   * `backend`: a file backend shared with other stacks (default: one of its own).
   */
  constructor(
    readonly programDir: string,
    readonly extraEnv: Record<string, string> = {},
    readonly timeoutMs = 300_000,
    backend?: string,
  ) {
    this.backend = backend ?? mkdtempSync(join(tmpdir(), "linuxnet-e2e-"));
    this.ownBackend = backend === undefined;
  }

  /** The environment the CLI runs with (backend, stack, no passphrase), for other commands run on this stack. */
  get environment(): NodeJS.ProcessEnv {
    return this.env();
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ...this.extraEnv,
      PULUMI_BACKEND_URL: backendUrl(this.backend),
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_STACK: this.stack,
      NO_COLOR: "1",
    };
  }

  cli(args: readonly string[], allowFailure = false): Promise<CliResult> {
    const env = this.env();
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
      // Our flags go before a `--` (after it everything is a value, e.g. a PEM key).
      const end = args.indexOf("--") < 0 ? args.length : args.indexOf("--");
      const argv = [...args.slice(0, end), "--non-interactive", "--color", "never", ...args.slice(end)];
      execFile("pulumi", argv, { cwd: this.programDir, env, maxBuffer: 64 << 20, timeout: this.timeoutMs }, (err, stdout, stderr) => {
        const ms = Date.now() - t0;
        this.timings.push([args.slice(0, 2).join(" "), ms]);
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        const result = { code, stdout, stderr, ms };
        if (code !== 0 && !allowFailure) {
          reject(new Error(`pulumi ${args.join(" ")} exited ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
        } else resolve(result);
      });
    });
  }

  /**
   * Runs a CLI command and SIGKILLs one of its processes — the `pulumi` CLI itself, or the
   * dynamic-provider process it started — as soon as `when(stdout so far)` holds (asked at each
   * output and every 100 ms). Then waits
   * for every process the command had started to end (orphaned plugins are ended by PID
   * after a grace period: they are this test's own). Resolves with the output and whether
   * the kill happened. `afterKill`, if given, sees the processes the command had at the kill
   * (PIDs) once the CLI has ended, before any of them is ended by the test.
   */
  cliKilled(
    args: readonly string[],
    when: (stdout: string) => boolean,
    victim: "cli" | "provider",
    afterKill?: (family: number[]) => Promise<void>,
  ): Promise<{ killed: boolean; stdout: string; code: number | null }> {
    return new Promise((resolve, reject) => {
      const child = spawn("pulumi", [...args, "--non-interactive", "--color", "never"], { cwd: this.programDir, env: this.env(), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let killed = false;
      let family: number[] = [];
      // `when` is asked at each output and every 100 ms (a condition on time holds without new output).
      const attempt = () => {
        if (killed || !when(stdout)) return;
        family = descendants(child.pid!);
        const target = victim === "cli" ? child.pid : family.find((pid) => cmdline(pid).includes("dynamic-provider"));
        if (target === undefined) return; // the provider has not started yet: try at the next output
        process.kill(target, "SIGKILL");
        killed = true;
      };
      const poll = setInterval(attempt, 100);
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        attempt();
      });
      child.stderr.on("data", () => undefined);
      child.on("error", reject);
      child.on("close", async (code) => {
        clearInterval(poll);
        if (killed && afterKill) await afterKill(family).catch(reject);
        await endAll(family);
        resolve({ killed, stdout, code });
      });
    });
  }

  async init(config: Record<string, string> = {}): Promise<void> {
    await this.cli(["stack", "init", this.stack]);
    for (const [k, v] of Object.entries(config)) await this.setConfig(k, v);
  }

  setConfig(key: string, value: string): Promise<CliResult> {
    return this.cli(["config", "set", key, value]);
  }

  up(): Promise<CliResult> {
    return this.cli(["up", "--yes", "--skip-preview"]);
  }

  preview(...extra: string[]): Promise<CliResult> {
    return this.cli(["preview", "--diff", ...extra], true);
  }

  refresh(): Promise<CliResult> {
    return this.cli(["refresh", "--yes", "--skip-preview"]);
  }

  destroy(): Promise<CliResult> {
    return this.cli(["destroy", "--yes", "--skip-preview"]);
  }

  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse((await this.cli(["stack", "output", "--json"])).stdout);
  }

  /** Destroys whatever is left (also after a failed test), removes the stack and its backend. */
  async dispose(): Promise<void> {
    try {
      await this.cli(["destroy", "--yes", "--skip-preview"], true);
      await this.cli(["stack", "rm", "--yes", "--force"], true);
    } finally {
      if (this.ownBackend) rmSync(this.backend, { recursive: true, force: true });
    }
  }
}

/** An example program's directory, from a compiled test file in dist/test/e2e. */
export function exampleDir(name: string): string {
  return join(__dirname, "..", "..", "..", "examples", name);
}

/** The lines of a preview that describe one resource's planned step, e.g. `(update)`. */
export function planned(stdout: string, type: string, step: string): boolean {
  return new RegExp(`pulumi-nodejs:dynamic/linuxnet:${type}: \\(${step}\\)`).test(stdout);
}

/** The processes below `root` (children, grandchildren, …), from /proc. */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* ended meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) if (ppid === pid) (out.push(child), walk(child));
  };
  walk(root);
  return out;
}

/** A process's command line, its arguments joined by spaces ("" once it has ended). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** True while a process runs (it exists and is not a zombie). */
export function running(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
}

/**
 * Waits for the given processes to end. Plugins orphaned by a killed CLI never end on their
 * own (the provider and language host keep serving a gone engine), so once they have been
 * quiet for a second (no command of theirs running, i.e. no child processes) they are ended
 * by PID — they are this test's own. Gives up waiting for quiet after 15 s.
 */
async function endAll(pids: number[]): Promise<void> {
  const alive = () => pids.filter(running);
  const busy = () => alive().some((pid) => descendants(pid).some((d) => !pids.includes(d)));
  for (let quiet = 0, waited = 0; alive().length && quiet < 1000 && waited < 15_000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
    quiet = busy() ? 0 : quiet + 100;
  }
  for (const pid of alive()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* ended meanwhile */
    }
  }
}

/** A test program's directory (test/programs/NAME), from a compiled test file in dist/test/e2e. */
export function testProgramDir(name: string): string {
  return join(__dirname, "..", "..", "..", "test", "programs", name);
}

/** How many resources the CLI's progress output reports as done with `verb` ("created", "deleted"). */
export function stepsDone(stdout: string, verb: string): number {
  return (stdout.match(new RegExp(`^ [+-]{1,2}\\s+pulumi-nodejs:dynamic/linuxnet:\\S+ \\S+ ${verb} \\(`, "gm")) ?? []).length;
}

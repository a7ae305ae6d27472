/**
 * Drives the real `pulumi` CLI (found on PATH, put there by scripts/toolchain.sh) against a
 * private file backend, for one stack of one example program.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

let stacks = 0;

export class PulumiStack {
  readonly backend = mkdtempSync(join(tmpdir(), "linuxnet-e2e-"));
  readonly stack = `e2e${process.pid}x${stacks++}`;
  /** Wall time of each CLI command, for the log (not asserted). */
  readonly timings: Array<[string, number]> = [];

  constructor(readonly programDir: string) {}

  cli(args: readonly string[], allowFailure = false): Promise<CliResult> {
    const env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_STACK: this.stack,
      NO_COLOR: "1",
    };
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
      execFile("pulumi", [...args, "--non-interactive", "--color", "never"], { cwd: this.programDir, env, maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
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
      rmSync(this.backend, { recursive: true, force: true });
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

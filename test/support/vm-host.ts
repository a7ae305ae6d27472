/**
 * The full-kernel VM as an SSH host (scripts/full-kernel.sh sshd): Debian's full kernel under
 * QEMU with one NIC (user networking), its sshd reachable at 127.0.0.1:PORT of the test
 * sandbox, a client key made per run, the host key made at boot and pinned. `stop` asks the
 * VM to power off, and ends the script's process group (ours) if it does not.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { run } from "./local";
import { shellQuote } from "../../provider/hosts/ssh";

const ROOT = resolve(__dirname, "../../..");

/** Why the VM cannot be used here, or undefined. */
export const vmSkipReason = (): string | undefined =>
  process.env.LINUXNET_SKIP_FULL_KERNEL === "1" ? "LINUXNET_SKIP_FULL_KERNEL=1: the full-kernel VM is not used in this run" : undefined;

export class VmHost {
  readonly dir = mkdtempSync(join(tmpdir(), "linuxnet-vmhost-"));
  readonly port = 20000 + Math.floor(Math.random() * 20000);
  private script?: ChildProcess;
  private exited?: Promise<number | null>;
  /** What a resource's `connection` takes. */
  connection = { host: "127.0.0.1", port: this.port, user: "root", privateKey: "", hostKey: "" };
  /** Seconds from start to sshd answering. */
  bootSeconds = 0;

  async start(timeoutMs = 180_000): Promise<void> {
    const t0 = performance.now();
    await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", join(this.dir, "id")]);
    writeFileSync(join(this.dir, "authorized_keys"), readFileSync(join(this.dir, "id.pub")));
    const log = openSync(join(this.dir, "script.log"), "w");
    // A process group of its own: stop() may end the script, its `timeout` and QEMU together.
    // The VM lives until stop(); its script's own limit only ends one that was left behind.
    const env = { ...process.env, LINUXNET_FULL_KERNEL_TIMEOUT: "3600" };
    this.script = spawn(join(ROOT, "scripts/full-kernel.sh"), ["sshd", this.dir, String(this.port)], { detached: true, stdio: ["ignore", log, log], env });
    this.exited = new Promise((r) => this.script!.once("exit", (code) => r(code)));
    let gone = false;
    void this.exited.then(() => (gone = true));
    while (!existsSync(join(this.dir, "ready"))) {
      if (gone || performance.now() - t0 > timeoutMs) throw new Error(`the VM did not become an SSH host${gone ? " (its script ended)" : ` within ${timeoutMs} ms`}: ${this.said()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    this.connection = {
      ...this.connection,
      privateKey: readFileSync(join(this.dir, "id"), "utf8"),
      hostKey: readFileSync(join(this.dir, "host_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" "),
    };
    writeFileSync(join(this.dir, "known_hosts"), `[127.0.0.1]:${this.port} ${this.connection.hostKey}\n`);
    this.bootSeconds = (performance.now() - t0) / 1000;
  }

  /** The script's output, the VM's console tail and its sshd log: what to show when it fails. */
  said(): string {
    const tail = (f: string) => (existsSync(join(this.dir, f)) ? readFileSync(join(this.dir, f), "utf8").split("\n").slice(-15).join("\n") : "");
    return ["script.log", "out.txt", "sshd.log", "console.log"].map((f) => `--- ${f}\n${tail(f)}`).join("\n");
  }

  /** Runs argv in the VM through ssh (as the tests check what the provider made there). */
  async on(...argv: string[]): Promise<string> {
    const r = await run([
      "ssh", "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${join(this.dir, "known_hosts")}`, "-o", "StrictHostKeyChecking=yes",
      "-i", join(this.dir, "id"), "-p", String(this.port), "root@127.0.0.1", "--", argv.map(shellQuote).join(" "),
    ]);
    return r.stdout;
  }

  async stop(): Promise<void> {
    if (this.script?.pid && this.script.exitCode === null) {
      writeFileSync(join(this.dir, "stop"), "");
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(() => r("late"), 30_000)))]);
      clearTimeout(timer);
      if (done === "late") {
        try {
          process.kill(-this.script.pid, "SIGTERM");
        } catch {
          // already gone
        }
        await this.exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

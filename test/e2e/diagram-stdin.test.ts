/**
 * `diagram` with nothing piped in reads the stack itself (`pulumi stack export`, the real CLI)
 * whatever stdin is — a terminal, /dev/null, an empty pipe that closes, no stdin at all, an
 * empty file, a pipe that stays open and silent — and reads stdin when something is piped in
 * or `-` asks for it. The stack is a real one holding no resources, so the export's own answer
 * ("holds no pulumi-linuxnet resources") shows that the export ran, and nothing else.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendUrl } from "../support/pulumi";
import { BIN, fixtureText } from "../unit/cli/helpers";

jest.setTimeout(120_000);

const EXPORTED = "pulumi-linuxnet diagram: `pulumi stack export` holds no pulumi-linuxnet resources: the stack is empty (never deployed, or destroyed)\n";

describe("diagram decides between stdin and the stack's own export by what stdin is", () => {
  const dir = mkdtempSync(join(tmpdir(), "linuxnet-stdin-"));
  const backend = join(dir, "backend");
  const env = {
    ...process.env,
    PULUMI_BACKEND_URL: backendUrl(backend),
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_STACK: "dev",
    PULUMI_LINUXNET_STDIN_WAIT: "0.5",
  };
  const exported = fixtureText("resources-export");

  beforeAll(() => {
    writeFileSync(join(dir, "Pulumi.yaml"), "name: stdin-test\nruntime: nodejs\n");
    spawnSync("mkdir", ["-p", backend]);
    const init = spawnSync("pulumi", ["stack", "init", "dev", "--non-interactive"], { cwd: dir, env, encoding: "utf8" });
    if (init.status !== 0) throw new Error(`pulumi stack init failed: ${init.stderr}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The bin with fd 0 set up by `stdin` (a file descriptor, "pipe" with `input`, or a shell redirection). */
  const diagram = (stdin: number | "pipe", input?: string, args: string[] = []) => {
    const r = spawnSync(process.execPath, [BIN, "diagram", ...args], { cwd: dir, env, stdio: [stdin, "pipe", "pipe"], input, encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const withFd = <T>(path: string, work: (fd: number) => T): T => {
    const fd = openSync(path, "r");
    try {
      return work(fd);
    } finally {
      closeSync(fd);
    }
  };

  it("runs the export when stdin is /dev/null (a CI step's), an empty pipe that closes, or an empty file", () => {
    expect(withFd("/dev/null", (fd) => diagram(fd)).stderr).toBe(EXPORTED);
    expect(diagram("pipe", "").stderr).toBe(EXPORTED);
    writeFileSync(join(dir, "empty.json"), "");
    expect(withFd(join(dir, "empty.json"), (fd) => diagram(fd)).stderr).toBe(EXPORTED);
  });

  it("runs the export when there is no stdin at all (fd 0 closed)", () => {
    const r = spawnSync("sh", ["-c", 'exec "$0" "$1" diagram <&-', process.execPath, BIN], { cwd: dir, env, encoding: "utf8" });
    expect(r.stderr).toBe(EXPORTED);
  });

  it("runs the export when stdin is a terminal", () => {
    // script(1) gives the command a pseudo-terminal as its stdin
    const r = spawnSync("script", ["-qec", `${process.execPath} ${BIN} diagram`, "/dev/null"], { cwd: dir, env, encoding: "utf8" });
    expect(r.stdout.replace(/\r/g, "")).toContain(EXPORTED.trim());
  });

  it("reads what is piped in, or redirected from a file, and then runs no export", () => {
    expect(diagram("pipe", exported).stdout).toMatch(/^flowchart LR\n/);
    writeFileSync(join(dir, "state.json"), exported);
    const fromFile = withFd(join(dir, "state.json"), (fd) => diagram(fd));
    expect(fromFile).toMatchObject({ code: 0, stderr: "" });
    expect(fromFile.stdout).toMatch(/^flowchart LR\n/);
  });

  it("takes a pipe that stays open and silent as nothing piped in after the wait, and says so", async () => {
    const child = spawn(process.execPath, [BIN, "diagram"], { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdin.destroy(); // held open (never written, never closed) until the command had ended
    expect(code).toBe(1);
    expect(stderr).toBe(
      "pulumi-linuxnet: note: stdin is an open pipe that sent nothing in 0.5 s: reading the stack with `pulumi stack export` (give - as FILE to wait for stdin)\n" + EXPORTED,
    );
  });

  it("with -, waits for stdin however long it takes", async () => {
    const child = spawn(process.execPath, [BIN, "diagram", "-"], { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] });
    let [stdout, stderr] = ["", ""];
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    // Its clock: the same command without -, started after it on a pipe as silent, which gives
    // up waiting and reads the stack instead. Once that one has ended, this one has waited longer.
    const twin = spawn(process.execPath, [BIN, "diagram"], { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] });
    let twinSaid = "";
    twin.stderr.on("data", (c: Buffer) => (twinSaid += c.toString()));
    await new Promise((resolve) => twin.on("close", resolve));
    twin.stdin.destroy();
    expect(twinSaid).toContain("sent nothing in 0.5 s");
    expect({ running: child.exitCode === null && child.signalCode === null, stdout, stderr }).toEqual({ running: true, stdout: "", stderr: "" });
    child.stdin.end(exported);
    expect(await closed).toBe(0);
    expect(stdout).toMatch(/^flowchart LR\n/);
  });
});

/**
 * `pulumi-linuxnet orphans` through the real CLI: a stack makes objects of every kind here and
 * on two SSH hosts, then its state is lost (`pulumi stack rm --force`). The command finds
 * exactly its objects — on this machine, on the host another stack's state names, and on the
 * host given on the command line — and not that other stack's, nor objects made by hand (one
 * unmarked, one with another project's mark); `--delete` removes exactly them. A namespace it
 * cannot read is reported and never called clean. Beside a running fast-mode `up` (whose
 * objects are marked long before the engine checkpoints them) it refuses, naming the stack,
 * and the `up` ends with all it made.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RECORD_DIR } from "../../provider/hosts/host";
import { Fleet } from "../support/fleet";
import { ip } from "../support/local";
import { links, namedNamespaces } from "../support/kernel";
import { PulumiStack, stepsDone, testProgramDir } from "../support/pulumi";
import { SshHosts, type TestHost } from "../support/ssh-hosts";
import { BIN } from "../unit/cli/helpers";

jest.setTimeout(600_000);

const PROJECT = "linuxnet-resources";

describe("orphans: what a lost state leaves behind is found by its marks and removed, nothing else", () => {
  const backend = mkdtempSync(join(tmpdir(), "linuxnet-orphans-"));
  const program = testProgramDir("resources");
  const lost = new PulumiStack(program, {}, undefined, backend);
  const kept = new PulumiStack(program, {}, undefined, backend);
  const hosts = new SshHosts(78);
  let h: TestHost[];
  let known: string;
  const A = lost.stack;
  const B = kept.stack;

  /** `pulumi-linuxnet orphans ARGS` in the program's directory, on the shared backend. */
  const orphans = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, "orphans", ...args], { cwd: program, env: kept.environment, encoding: "utf8", timeout: 240_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const onH1 = () => ["--host", `root@${h[0].address}`, "--identity", join(hosts.dir, "id"), "--known-hosts", known];
  /** The listed objects as "HOST: OBJECT — OWNER" lines. */
  const listed = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("  ") && !l.startsWith("  removed")).map((l) => l.trim()).sort();
  const of = (stack: string, kind: string, name: string) => `resource ${kind} "${name}" of stack "${stack}" (project "${PROJECT}")`;
  const expected = () =>
    [
      `this machine: namespace "${A}n" — ${of(A, "Namespace", "ns")}`,
      `this machine: link "br0" in netns "${A}n" — ${of(A, "Bridge", "br")}`,
      `this machine: link "e0" in netns "${A}n" — ${of(A, "VethPair", "v")}`,
      `this machine: link "${A}p" — ${of(A, "VethPair", "v")}`,
      `this machine: route 10.63.0.0/24 (table main, metric 0) in netns "${A}n" — ${of(A, "Route", "r")}`,
      `this machine: iptables rule "-t filter -A FORWARD -i e0 -j ACCEPT" in netns "${A}n" — ${of(A, "IptablesRule", "fw")}`,
      `this machine: sysctl net.ipv4.ip_forward in netns "${A}n" — ${of(A, "Sysctl", "fwd")}`,
      `root@${h[0].address}:22: namespace "${A}r" — ${of(A, "Namespace", "h1")}`,
      `root@${h[1].address}:22: namespace "${A}r" — ${of(A, "Namespace", "h2")}`,
    ].sort();
  const remoteNamespaces = async (k: number) => (await hosts.on(h[k], "ip", "netns", "list")).split("\n").map((l) => l.split(" ")[0]).filter(Boolean);

  beforeAll(async () => {
    h = await hosts.start(2, "orph");
    known = join(hosts.dir, "known_orphans");
    writeFileSync(known, `${h[0].address} ${h[0].connection.hostKey}\n`);
    await lost.init({
      resources: JSON.stringify([
        { kind: "Namespace", name: "ns", args: { name: `${A}n` } },
        { kind: "Bridge", name: "br", args: { name: "br0", netns: "$ns", addresses: ["10.61.0.1/24"] } },
        { kind: "VethPair", name: "v", args: { end: { name: "e0", netns: "$ns", addresses: ["10.62.0.1/30"] }, peer: { name: `${A}p`, addresses: ["10.62.0.2/30"] } } },
        { kind: "Route", name: "r", args: { destination: "10.63.0.0/24", dev: "$br.name", netns: "$ns.name" } },
        { kind: "Sysctl", name: "fwd", args: { key: "net.ipv4.ip_forward", value: 1, netns: "$ns.name" } },
        { kind: "IptablesRule", name: "fw", args: { chain: "FORWARD", rule: ["-i", "e0", "-j", "ACCEPT"], netns: "$ns.name" } },
        { kind: "Namespace", name: "h1", args: { name: `${A}r`, connection: h[0].connection } },
        { kind: "Namespace", name: "h2", args: { name: `${A}r`, connection: h[1].connection } },
      ]),
    });
    await kept.init({
      resources: JSON.stringify([
        { kind: "Namespace", name: "ns", args: { name: `${B}n` } },
        { kind: "Bridge", name: "br", args: { name: "br0", netns: "$ns" } },
        { kind: "Namespace", name: "h2", args: { name: `${B}r`, connection: h[1].connection } },
      ]),
    });
    await Promise.all([lost.up(), kept.up()]);
    // Made by hand: one unmarked, one with another project's mark.
    await ip(["link", "add", "hand0", "type", "bridge"]);
    await ip(["link", "add", "forn0", "type", "bridge"]);
    await ip(["link", "set", "dev", "forn0", "alias", "linuxnet:otherproject/dev/Bridge/forn0"]);
    await lost.cli(["stack", "rm", "--yes", "--force"]); // the state is lost; its objects stay
  });
  afterAll(async () => {
    await kept.dispose();
    await lost.dispose();
    for (const l of ["hand0", "forn0", `${A}p`]) await ip(["link", "del", "dev", l]).catch(() => undefined);
    for (const n of [`${A}n`]) await ip(["netns", "del", n]).catch(() => undefined);
    await hosts.stop();
    rmSync(backend, { recursive: true, force: true });
  });

  it("lists exactly the lost stack's objects: here, on a host another state names, and on one given with --host", () => {
    const r = orphans(...onH1());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`9 objects marked by project "${PROJECT}" that no state holds (looked on this machine, root@${h[1].address}:22, root@${h[0].address}:22):`);
    expect(listed(r.stdout)).toEqual(expected());
    expect(r.stdout).toMatch(/remove them with --delete\n$/);
    // without --host, the host no state names is not looked at
    expect(listed(orphans().stdout)).toEqual(expected().filter((l) => !l.startsWith(`root@${h[0].address}`)));
  });

  it("finds none of a stack whose state holds all it made", () => {
    const r = orphans("--stack", B, ...onH1());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`no orphans: every object marked by stack "${B}" of project "${PROJECT}" on this machine, root@${h[1].address}:22, root@${h[0].address}:22 is held by a state\n`);
  });

  it("reports a namespace it cannot read, naming it, exits 1, and never calls the rest clean", async () => {
    const n = `${B}u`;
    await ip(["netns", "add", n]);
    const id = statSync(`/run/netns/${n}`, { bigint: true });
    const records = join(RECORD_DIR, `${id.ino}-${id.ctimeNs}`);
    try {
      // a record that cannot be parsed: whose objects the namespace holds cannot be told
      mkdirSync(join(records, "sysctl"), { recursive: true });
      writeFileSync(join(records, "sysctl", "net.ipv4.ip_forward"), '{"found": ');
      const r = orphans("--stack", B, ...onH1());
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^pulumi-linuxnet orphans: could not list the objects in netns "${n}" on this machine: the record /run/pulumi-linuxnet/\\S+ is corrupt [^\n]*\n$`));
      expect(r.stdout).not.toMatch(/no orphans|held by a state/);
      expect(r.stdout).toMatch(/what could not be read \(above\) was not looked at\n$/);
    } finally {
      rmSync(records, { recursive: true, force: true });
      await ip(["netns", "del", n]);
    }
  });

  it("with --delete removes exactly them, printing them first; the other stack's objects and the hand-made ones stay", async () => {
    const r = orphans("--stack", A, "--delete", ...onH1());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [listing, removal] = r.stdout.split("removing them:\n");
    expect(listed(listing)).toEqual(expected());
    expect(removal.trim().split("\n")).toHaveLength(10); // one line per object, then the count
    expect(removal).toMatch(/removed 9 of 9\n$/);

    expect(namedNamespaces()).toContain(`${B}n`);
    expect(namedNamespaces()).not.toContain(`${A}n`);
    const here = (await links()).map((l) => l.ifname);
    expect(here).toEqual(expect.arrayContaining(["hand0", "forn0"]));
    expect(here).not.toContain(`${A}p`);
    expect((await links(`${B}n`)).map((l) => l.ifname)).toContain("br0");
    expect(await remoteNamespaces(0)).toEqual([]);
    expect(await remoteNamespaces(1)).toEqual([`${B}r`]);
    expect(orphans(...onH1()).stdout).toMatch(/^no orphans: /);
  });
});

/** A process run to its end without blocking this one; `watch` sees its stdout so far. */
function started(argv: string[], cwd: string, env: NodeJS.ProcessEnv, watch: (stdout: string) => void = () => undefined) {
  const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => watch((stdout += chunk.toString())));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

describe("orphans beside a running fast-mode up: refused, and the up ends with everything it made", () => {
  const N = 100;
  const stack = new PulumiStack(testProgramDir("fleet"), { PULUMI_SKIP_CHECKPOINTS: "true" }, 420_000);
  const fleet = new Fleet(stack, N, `o${process.pid % 100}x`);

  beforeAll(() => stack.init({ n: String(N), prefix: fleet.prefix }));
  afterAll(() => stack.dispose());

  it("refuses --delete in one line naming the running stack, removes nothing, and the up converges", async () => {
    let begun: () => void = () => undefined;
    const enough = new Promise<void>((resolve) => (begun = resolve));
    // Nothing of it is in the state until it ends: every object made so far looks lost.
    const up = started(["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--color", "never"], stack.programDir, stack.environment, (out) => {
      if (stepsDone(out, "created") >= 30) begun();
    });
    await Promise.race([enough, up.done]);
    expect(up.child.exitCode).toBeNull(); // still running
    const r = await started([process.execPath, BIN, "orphans", "--delete"], stack.programDir, stack.environment).done;
    const upRanAlong = up.child.exitCode === null;
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      new RegExp(
        `^pulumi-linuxnet orphans: stack "${stack.stack}" of project "linuxnet-fleet" has an update in progress \\(${stack.stack}: pid \\d+ on \\S+ since [^)]+\\)\\): ` +
          "what it makes would look lost until the engine checkpoints it; run this again once it has ended \\(a lock left by a killed command goes with `pulumi cancel --stack NAME`\\)\n$",
      ),
    );
    expect(r.code).toBe(1);
    expect(upRanAlong).toBe(true); // the refusal came while the up ran
    const ended = await up.done;
    expect({ code: ended.code, stderr: ended.stderr }).toEqual({ code: 0, stderr: "" });
    await fleet.expectConverged();
    // Once it has ended, all it made is held by its state.
    const after = spawnSync(process.execPath, [BIN, "orphans"], { cwd: stack.programDir, env: stack.environment, encoding: "utf8" });
    expect({ code: after.status, stdout: after.stdout, stderr: after.stderr }).toEqual({
      code: 0,
      stdout: `no orphans: every object marked by project "linuxnet-fleet" on this machine is held by a state\n`,
      stderr: "",
    });
  });
});

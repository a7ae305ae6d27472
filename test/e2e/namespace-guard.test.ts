/**
 * Two stacks through the real CLI: one owns a namespace, the other put a bridge in it. The
 * first one's destroy refuses to take the other's bridge with the namespace, in one line that
 * names it and says what to do; once the other stack is destroyed, it goes through. When the
 * guard cannot look inside (an `iptables-save` that fails, while the other stack's rule is
 * there), it refuses too, in one line saying why, and takes nothing.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { links, namedNamespaces, run } from "../support/kernel";
import { type CliResult, PulumiStack, testProgramDir } from "../support/pulumi";

jest.setTimeout(300_000);

describe("destroying a namespace that holds another stack's objects", () => {
  const owner = new PulumiStack(testProgramDir("resources"));
  const guest = new PulumiStack(testProgramDir("resources"));
  const ns = `${owner.stack}n`;

  beforeAll(async () => {
    await owner.init({ resources: JSON.stringify([{ kind: "Namespace", name: "ns", args: { name: ns } }]) });
    await guest.init({ resources: JSON.stringify([{ kind: "Bridge", name: "br", args: { name: "br0", netns: ns } }]) });
    await owner.up();
    await guest.up();
  });
  afterAll(async () => {
    await guest.dispose();
    await owner.dispose();
  });

  it("fails with one line naming the other stack's bridge and what to do, and takes nothing", async () => {
    const r = await owner.cli(["destroy", "--yes", "--skip-preview"], true);
    expect(r.code).not.toBe(0);
    const line =
      `failed to delete namespace "${ns}": it holds objects of another stack, which deleting it would take with it: ` +
      `link "br0" in netns "${ns}" (resource Bridge "br" of stack "${guest.stack}" (project "linuxnet-resources")); ` +
      "destroy that stack first (or remove those resources from it), or delete the objects by hand, then destroy this one again";
    expect(`${r.stdout}\n${r.stderr}`).toContain(line);
    expect(namedNamespaces()).toContain(ns);
    expect((await links(ns)).map((l) => l.ifname)).toContain("br0");
  });

  it("goes through once the other stack is destroyed", async () => {
    await guest.destroy();
    await owner.destroy();
    expect(namedNamespaces()).not.toContain(ns);
  });
});

describe("destroying a namespace whose rules cannot be read", () => {
  const owner = new PulumiStack(testProgramDir("resources"));
  const guest = new PulumiStack(testProgramDir("resources"));
  const ns = `${owner.stack}n`;
  // An iptables-save first on the provider's PATH that fails: the save the guard makes fails.
  const broken = mkdtempSync(join(tmpdir(), "linuxnet-save-"));
  writeFileSync(join(broken, "iptables-save"), "#!/bin/sh\necho 'iptables-save: cannot read the tables' >&2\nexit 4\n");
  chmodSync(join(broken, "iptables-save"), 0o755);
  /** `pulumi destroy` of the owner with that PATH (the CLI hands its environment to the provider it starts). */
  const destroyWithBrokenSave = () =>
    new Promise<CliResult>((resolve) => {
      const env = { ...owner.environment, PATH: `${broken}:${process.env.PATH}` };
      execFile("pulumi", ["destroy", "--yes", "--skip-preview", "--non-interactive", "--color", "never"], { cwd: owner.programDir, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr, ms: 0 }),
      );
    });
  const rules = async () => (await run(["ip", "netns", "exec", ns, "iptables-save"])).stdout;

  beforeAll(async () => {
    await owner.init({ resources: JSON.stringify([{ kind: "Namespace", name: "ns", args: { name: ns } }]) });
    await guest.init({ resources: JSON.stringify([{ kind: "IptablesRule", name: "fw", args: { chain: "FORWARD", rule: ["-j", "ACCEPT"], netns: ns } }]) });
    await owner.up();
    await guest.up();
  });
  afterAll(async () => {
    await guest.dispose();
    await owner.dispose();
    rmSync(broken, { recursive: true, force: true });
  });

  it("refuses in one line saying the save failed, and the namespace and the other stack's rule stay", async () => {
    const r = await destroyWithBrokenSave();
    expect(r.code).not.toBe(0);
    const line =
      `failed to delete namespace "${ns}": cannot tell whether it holds other stacks' objects, which deleting it would take with it: ` +
      "`iptables-save` failed (exit status 4: iptables-save: cannot read the tables), so its rules cannot be read; fix that, then destroy it again";
    expect(`${r.stdout}\n${r.stderr}`).toContain(line);
    expect(namedNamespaces()).toContain(ns);
    expect(await rules()).toContain(`linuxnet:linuxnet-resources/${guest.stack}/IptablesRule/fw`);
  });

  it("goes through once the save works and the other stack is destroyed", async () => {
    await guest.destroy();
    await owner.destroy();
    expect(namedNamespaces()).not.toContain(ns);
  });
});

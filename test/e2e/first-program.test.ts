/**
 * The README's first program, run as the README says: `pulumi-linuxnet new DIR` writes it, the
 * package is installed in it the way a user gets it (the `npm pack` tarball under
 * node_modules, @pulumi/pulumi beside it: scripts/install-packed.sh, since the sandbox has no
 * registry to `npm install` from), then the README's own lines run through the real CLI:
 * `pulumi up --yes`, the ping, `pulumi destroy --yes`. What differs from the README, and why:
 * the backend is a private file backend through PULUMI_BACKEND_URL (the README's alternative to
 * `pulumi login --local`) and the stack has the test's own name, so runs never share a state.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { links, namedNamespaces, run } from "../support/kernel";
import { PulumiStack } from "../support/pulumi";
import { BIN } from "../unit/cli/helpers";
import { firstProgramSteps, ROOT } from "../unit/docs-check";

jest.setTimeout(600_000);

const NAMESPACES = ["hello-blue", "hello-red", "hello-sw"];

describe("the README's first program, through the real pulumi CLI", () => {
  const scratch = mkdtempSync(join(tmpdir(), "linuxnet-first-"));
  const dir = join(scratch, "hello-lab");
  const steps = firstProgramSteps(readFileSync(join(ROOT, "README.md"), "utf8"));
  const stack = new PulumiStack(dir);
  afterAll(async () => {
    await stack.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("is written by `pulumi-linuxnet new` and installs the packed package", async () => {
    const r = spawnSync(process.execPath, [BIN, "new", dir], { encoding: "utf8" });
    expect(r.status).toBe(0);
    await run([join(ROOT, "scripts", "install-packed.sh"), dir]);
    await stack.init();
  });

  it("`pulumi up --yes` makes the three namespaces, and the probe sees blue from red", async () => {
    const up = steps.find((s) => s.startsWith("pulumi up"))!;
    expect(up).toBe("pulumi up --yes");
    const r = await stack.cli(up.split(" ").slice(1));
    expect(r.stdout).toMatch(/\+ 8 created/);
    expect(namedNamespaces().filter((n) => n.startsWith("hello-")).sort()).toEqual(NAMESPACES);
    expect((await stack.outputs()).seen).toMatchObject({ via: "icmp", reachable: true, ttl: 64, received: 1 });
  });

  it("the README's ping from red reaches blue", async () => {
    const ping = steps.find((s) => s.startsWith("ip netns exec"))!;
    expect(ping).toBe("ip netns exec hello-red ping -c 1 10.99.0.2");
    const argv = ping.split(" ");
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 30_000 });
    expect(r.stdout).toMatch(/1 packets transmitted, 1 received/);
    expect(r.status).toBe(0);
  });

  it("`pulumi destroy --yes` leaves no namespace and no link behind", async () => {
    const destroy = steps.find((s) => s.startsWith("pulumi destroy"))!;
    expect(destroy).toBe("pulumi destroy --yes");
    const r = await stack.cli(destroy.split(" ").slice(1));
    expect(r.stdout).toMatch(/- 8 deleted/);
    expect(namedNamespaces().filter((n) => n.startsWith("hello-"))).toEqual([]);
    expect((await links()).map((l) => l.ifname)).toEqual(["lo"]);
  });
});

import { join } from "node:path";
import { ip, run } from "../support/local";
import { namedNamespaces, removeNamespaces } from "../support/kernel";
import { PulumiStack } from "../support/pulumi";

const program = join(__dirname, "..", "..", "..", "examples", "two-namespaces");
jest.setTimeout(300_000);

describe("examples/two-namespaces through the real pulumi CLI", () => {
  const stack = new PulumiStack(program);
  const nameA = `${stack.stack}a`;
  const nameB = `${stack.stack}b`;

  beforeAll(() => stack.init({ nameA, nameB }));
  afterAll(async () => {
    await stack.dispose();
    await removeNamespaces([nameA, nameB]); // in case destroy itself was what failed
    process.stdout.write(`pulumi timings (ms): ${stack.timings.map(([c, ms]) => `${c}=${ms}`).join(", ")}\n`);
  });

  it("creates both namespaces on up and exports their inodes", async () => {
    await stack.up();
    expect(namedNamespaces()).toEqual(expect.arrayContaining([nameA, nameB]));
    const out = (await stack.outputs()).namespaces as Record<string, { name: string; inode: number; loopbackUp?: boolean }>;
    expect(out.a.name).toBe(nameA);
    expect(out.b.name).toBe(nameB);
    // the namespaces' own inodes, as stat(1) reads them through their files under /run/netns
    const inode = async (n: string) => Number((await run(["stat", "-L", "-c", "%i", `/run/netns/${n}`])).stdout.trim());
    expect([out.a.inode, out.b.inode]).toEqual([await inode(nameA), await inode(nameB)]);
    expect(out.a.inode).not.toBe(out.b.inode);
    expect(out.b.loopbackUp).toBe(true); // a default filled in by check still reaches the outputs
  });

  it("previews no changes right after up", async () => {
    const r = await stack.preview("--expect-no-changes");
    expect(r.code).toBe(0);
  });

  it("previews a loopback change as an update in place, not a replacement", async () => {
    await stack.setConfig("loopbackB", "false");
    try {
      const r = await stack.preview();
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`~ pulumi-nodejs:dynamic/linuxnet:Namespace: \\(update\\)\\s+\\[id=${nameB}\\]`));
      expect(r.stdout).toMatch(/~ loopbackUp\s*: true => false/);
      expect(r.stdout).toMatch(/~ 1 to update/);
      expect(r.stdout).not.toMatch(/replace/);
    } finally {
      await stack.setConfig("loopbackB", "true");
    }
  });

  it("finds a namespace deleted by hand on refresh, and up recreates it", async () => {
    await ip(["netns", "del", nameA]);
    const refreshed = await stack.refresh();
    expect(refreshed.stdout).toMatch(/- +pulumi-nodejs:dynamic\/linuxnet:Namespace +a +deleted/);
    const plan = await stack.preview("--expect-no-changes");
    expect(plan.code).not.toBe(0);
    expect(plan.stdout).toMatch(/\+ 1 to create/);
    await stack.up();
    expect(namedNamespaces()).toEqual(expect.arrayContaining([nameA, nameB]));
  });

  it("repairs loopback set down by hand: refresh shows the drift, up brings it back", async () => {
    await ip(["link", "set", "lo", "down"], { netns: nameB });
    await stack.refresh();
    const r = await stack.preview();
    expect(r.stdout).toMatch(/~ loopbackUp\s*: false => true/);
    await stack.up();
    const [lo] = JSON.parse((await ip(["-json", "link", "show", "lo"], { netns: nameB })).stdout);
    expect(lo.flags).toContain("UP");
  });

  it("leaves no namespace behind on destroy", async () => {
    await stack.destroy();
    expect(namedNamespaces()).not.toContain(nameA);
    expect(namedNamespaces()).not.toContain(nameB);
  });
});

describe("a bad namespace name", () => {
  const stack = new PulumiStack(program);
  beforeAll(() => stack.init({ nameA: `${stack.stack}ok`, nameB: "a/b" }));
  afterAll(() => stack.dispose());

  it("fails preview naming the field, the value and the rule, and creates nothing", async () => {
    const before = namedNamespaces();
    const r = await stack.preview();
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/linuxnet:Namespace resource 'b': property name value \{a\/b\} has a problem: invalid name "a\/b" \(must not contain "\/"\)/);
    expect(namedNamespaces()).toEqual(before);
  });
});

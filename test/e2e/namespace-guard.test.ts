/**
 * Two stacks through the real CLI: one owns a namespace, the other put a bridge in it. The
 * first one's destroy refuses to take the other's bridge with the namespace, in one line that
 * names it and says what to do; once the other stack is destroyed, it goes through.
 */
import { links, namedNamespaces } from "../support/kernel";
import { PulumiStack, testProgramDir } from "../support/pulumi";

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

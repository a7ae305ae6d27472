/**
 * Existing objects through the real CLI: one made by hand is refused without `adopt` (the
 * message names it and the option) and taken over with it; one made by another stack is
 * refused even when that stack's program uses the very same names, and is left untouched.
 */
import { ip } from "../support/local";
import { addressesOf, linkState, namedNamespaces } from "../support/kernel";
import { PulumiStack, testProgramDir } from "../support/pulumi";

jest.setTimeout(300_000);

const alias = async (dev: string, netns: string) => (await linkState(dev, netns)) && ((await ip(["-j", "-d", "link", "show", "dev", dev], { netns })).stdout.match(/"ifalias":"([^"]*)"/) ?? [])[1];

const lab = (ns: string, adopt: boolean) =>
  JSON.stringify([
    { kind: "Namespace", name: "lab", args: { name: ns, adopt } },
    { kind: "Bridge", name: "br0", args: { name: "br0", netns: "$lab", addresses: ["10.60.0.1/24"], adopt } },
  ]);

describe("adopting objects made by hand", () => {
  const stack = new PulumiStack(testProgramDir("resources"));
  const ns = `${stack.stack}h`;
  beforeAll(async () => {
    await ip(["netns", "add", ns]);
    await ip(["link", "add", "name", "br0", "type", "bridge"], { netns: ns });
    await ip(["addr", "add", "10.60.0.9/24", "dev", "br0"], { netns: ns });
    await stack.init({ resources: lab(ns, false) });
  });
  afterAll(async () => {
    await stack.dispose();
    await ip(["netns", "del", ns]).catch(() => undefined);
  });

  it("refuses them without adopt, naming the object and the option, and changes nothing", async () => {
    const r = await stack.cli(["up", "--yes", "--skip-preview"], true);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(`failed to create namespace "${ns}": it already exists and was not made by pulumi-linuxnet (it carries no ownership mark); set adopt: true to take it over`);
    expect(await addressesOf("br0", ns)).toEqual(["10.60.0.9/24"]);
    expect(await alias("lo", ns)).toBeUndefined();
  });

  it("takes them over with adopt: reconciled to the program, marked, and then managed like its own", async () => {
    await stack.setConfig("resources", lab(ns, true));
    await stack.up();
    expect(await addressesOf("br0", ns)).toEqual(["10.60.0.1/24"]);
    expect(await alias("br0", ns)).toBe(`linuxnet:linuxnet-resources/${stack.stack}/Bridge/br0`);
    expect(await alias("lo", ns)).toBe(`linuxnet:linuxnet-resources/${stack.stack}/Namespace/lab`);
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
    await stack.destroy();
    expect(namedNamespaces()).not.toContain(ns);
  });
});

describe("objects of another stack", () => {
  const [a, b] = [new PulumiStack(testProgramDir("resources")), new PulumiStack(testProgramDir("resources"))];
  const ns = `${a.stack}o`;
  beforeAll(async () => {
    await a.init({ resources: lab(ns, false) });
    await b.init({ resources: lab(ns, true) }); // the same names, and even adopt
  });
  afterAll(async () => {
    await b.dispose();
    await a.dispose();
  });

  it("are refused even when the program has the same names and asks to adopt, and stay untouched", async () => {
    await a.up();
    const inode = (await ip(["-j", "link", "show", "dev", "br0"], { netns: ns })).stdout;
    const r = await b.cli(["up", "--yes", "--skip-preview"], true);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(
      `failed to create namespace "${ns}": it already exists and belongs to resource Namespace "lab" of stack "${a.stack}" (project "linuxnet-resources"); a resource never takes over another's objects, not even with adopt`,
    );
    expect((await ip(["-j", "link", "show", "dev", "br0"], { netns: ns })).stdout).toBe(inode);
    expect(await alias("lo", ns)).toBe(`linuxnet:linuxnet-resources/${a.stack}/Namespace/lab`);
    await b.destroy(); // b's state holds nothing: a's objects survive
    expect(namedNamespaces()).toContain(ns);
    await a.destroy();
    expect(namedNamespaces()).not.toContain(ns);
  });
});

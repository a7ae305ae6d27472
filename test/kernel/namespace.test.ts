import { namespace } from "../../provider/kinds/namespace";
import { ip } from "../support/local";
import { inodeOf, links, namedNamespaces, removeNamespaces, run, uniqueName } from "../support/kernel";

const made = new Set<string>();
function name(): string {
  const n = uniqueName("nst");
  made.add(n);
  return n;
}
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});

async function loopbackUp(netns: string): Promise<boolean> {
  const lo = (await links(netns)).find((l) => l.ifname === "lo");
  return Boolean(lo?.flags.includes("UP"));
}

describe("Namespace on the real kernel", () => {
  it("creates a namespace with loopback up and reports its inode", async () => {
    const n = name();
    const { id, outs } = await namespace.create({ name: n });
    expect(id).toBe(n);
    expect(namedNamespaces()).toContain(n);
    expect(await loopbackUp(n)).toBe(true);
    expect(outs).toEqual({ name: n, loopbackUp: true, adopt: false, inode: inodeOf(n) });
  });

  it("round-trips: create, read back the same, delete, delete again without error", async () => {
    const n = name();
    const { id, outs } = await namespace.create({ name: n, loopbackUp: true });
    expect(await namespace.read(id, outs)).toEqual({ id, props: outs, inputs: { name: n, loopbackUp: true, adopt: false } });
    await namespace.delete(id, outs);
    expect(namedNamespaces()).not.toContain(n);
    await expect(namespace.delete(id, outs)).resolves.toBeUndefined();
  });

  it("creates with loopback down, then brings it up in place without recreating", async () => {
    const n = name();
    const created = await namespace.create({ name: n, loopbackUp: false });
    expect(await loopbackUp(n)).toBe(false);
    const { outs } = await namespace.update(n, created.outs, { name: n, loopbackUp: true });
    expect(await loopbackUp(n)).toBe(true);
    expect(outs.inode).toBe(created.outs.inode);
  });

  it("reads a namespace deleted by hand as gone, and loopback set down by hand as drift", async () => {
    const n = name();
    const { id, outs } = await namespace.create({ name: n });
    await ip(["link", "set", "lo", "down"], { netns: n });
    expect(await namespace.read(id, outs)).toEqual({ id, props: { ...outs, loopbackUp: false }, inputs: { name: n, loopbackUp: false, adopt: false } });
    await ip(["netns", "del", n]);
    expect(await namespace.read(id, outs)).toEqual({ id: "", props: {} });
  });

  it("refuses to adopt a namespace it did not make, and leaves that one alone", async () => {
    const n = name();
    await ip(["netns", "add", n]);
    const before = inodeOf(n);
    await expect(namespace.create({ name: n })).rejects.toThrow(
      `failed to create namespace "${n}": it already exists and was not made by pulumi-linuxnet (it carries no ownership mark); set adopt: true to take it over`,
    );
    expect(inodeOf(n)).toBe(before);
  });

  it("rejects a bad name at check, naming the field, the value and the rule", async () => {
    expect(await namespace.check({}, { name: "a/b" })).toEqual({
      failures: [{ property: "name", reason: 'invalid name "a/b" (must not contain "/")' }],
    });
  });
});

describe("the sandbox guard", () => {
  it("refuses to run tests in a namespace that holds eth0", async () => {
    const n = name();
    await ip(["netns", "add", n]);
    await ip(["link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"], { netns: n });
    const guard = require.resolve("../support/guard-cli.js");
    const attempt = run(["ip", "netns", "exec", n, process.execPath, guard]);
    await expect(attempt).rejects.toThrow(/refusing: this network namespace has interfaces besides lo \(eth0(p)?, eth0(p)?\)/);
  });
});

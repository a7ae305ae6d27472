/**
 * Ownership marks on the real kernel: a create that meets its own leftover converges, one
 * that meets an unmarked object needs `adopt`, one that meets another owner's object fails;
 * read, update and delete leave another owner's object alone.
 */
import { bridge } from "../../provider/kinds/bridge";
import { namespace } from "../../provider/kinds/namespace";
import { markOf, ownerOf } from "../../provider/core/owner";
import { ip, ipBatch } from "../support/local";
import { veth } from "../../provider/kinds/veth";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { addressesOf, freshNamespace, inodeOf, linkState, links, namedNamespaces, removeNamespaces, uniqueName } from "../support/kernel";

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});

const owner = (name: string, stack = "dev", kind = "Bridge") => ownerOf("lab", stack, kind, name);
const aliasOf = async (dev: string, netns?: string) => ((await ip(["-j", "link", "show", "dev", dev], { netns })).stdout.match(/"ifalias":"([^"]*)"/) ?? [])[1];

describe("Namespace ownership", () => {
  const nsOwner = (n: string, stack = "dev") => owner(n, stack, "Namespace");

  it("marks a namespace it creates in the same batch that adds it (the alias of its lo)", async () => {
    const n = uniqueName("own");
    made.add(n);
    const { outs } = await namespace.create({ name: n, owner: nsOwner(n) });
    expect(await aliasOf("lo", n)).toBe(markOf(nsOwner(n)));
    expect(outs).toMatchObject({ owner: nsOwner(n), inode: inodeOf(n) });
  });

  it("converges on its own leftover (a create interrupted after the batch) instead of failing on File exists", async () => {
    const n = uniqueName("own");
    made.add(n);
    await ipBatch([["netns", "add", n], ["netns", "exec", n, "ip", "link", "set", "dev", "lo", "alias", markOf(nsOwner(n))]]); // lo still down
    const inode = inodeOf(n);
    const { outs } = await namespace.create({ name: n, owner: nsOwner(n) });
    expect(outs.inode).toBe(inode); // the same namespace, taken over
    expect((await links(n)).find((l) => l.ifname === "lo")?.flags).toContain("UP");
  });

  it("refuses a namespace made by hand without adopt, naming it and the option; takes it over and marks it with adopt", async () => {
    const n = uniqueName("own");
    made.add(n);
    await ip(["netns", "add", n]);
    const inode = inodeOf(n);
    await expect(namespace.create({ name: n, owner: nsOwner(n) })).rejects.toThrow(
      `failed to create namespace "${n}": it already exists and was not made by pulumi-linuxnet (it carries no ownership mark); set adopt: true to take it over`,
    );
    const { outs } = await namespace.create({ name: n, owner: nsOwner(n), adopt: true });
    expect(outs.inode).toBe(inode);
    expect(await aliasOf("lo", n)).toBe(markOf(nsOwner(n)));
  });

  it("refuses another stack's namespace even with adopt and the same resource name, and never deletes it", async () => {
    const n = uniqueName("own");
    made.add(n);
    const theirs = await namespace.create({ name: n, owner: nsOwner(n, "prod") });
    await expect(namespace.create({ name: n, owner: nsOwner(n), adopt: true })).rejects.toThrow(
      `failed to create namespace "${n}": it already exists and belongs to resource Namespace "${n}" of stack "prod" (project "lab"); a resource never takes over another's objects, not even with adopt`,
    );
    // a state of ours that still names it (say, ours was deleted by hand and theirs took the name)
    const ours = { ...theirs.outs, owner: nsOwner(n) };
    expect(await namespace.read(n, ours)).toEqual({ id: "", props: {} });
    await namespace.delete(n, ours);
    expect(namedNamespaces()).toContain(n);
  });

  it("reads a namespace whose mark was cleared as not the stack's any more, and leaves it alone; adopt takes it back", async () => {
    const n = uniqueName("own");
    made.add(n);
    const c = await namespace.create({ name: n, owner: nsOwner(n) });
    await ip(["link", "set", "dev", "lo", "alias", ""], { netns: n });
    expect(await namespace.read(n, c.outs)).toEqual({ id: "", props: {} });
    await namespace.delete(n, c.outs);
    expect(namedNamespaces()).toContain(n);
    await expect(namespace.create({ name: n, owner: nsOwner(n) })).rejects.toThrow(/set adopt: true/);
    await namespace.create({ name: n, owner: nsOwner(n), adopt: true });
    expect(await aliasOf("lo", n)).toBe(markOf(nsOwner(n)));
  });
});

describe("Bridge ownership", () => {
  it("marks the bridge in the batch that adds it", async () => {
    const ns = await freshNamespace(made);
    const trace = join(mkdtempSync(join(tmpdir(), "linuxnet-trace-")), "trace");
    process.env.LINUXNET_TRACE_FILE = trace;
    try {
      await bridge.create({ name: "br0", netns: ns, addresses: ["10.9.0.1/24"], owner: owner("br0") });
    } finally {
      delete process.env.LINUXNET_TRACE_FILE;
    }
    expect(await aliasOf("br0", ns)).toBe(markOf(owner("br0")));
    // One process was handed the add and the mark: no moment when br0 exists unmarked once ip has the batch.
    const spawned = readFileSync(trace, "utf8").split("\n").filter((l) => l.startsWith(`[spawn] ip -n ${ns} `));
    const adds = spawned.filter((l) => l.includes(" link add name br0 type bridge"));
    expect(adds).toHaveLength(1);
    const input = adds[0].split(" <<< ")[1].split(" ; ");
    expect(input.slice(0, 2)).toEqual([expect.stringMatching(/^link add name br0 type bridge\b/), `link set dev br0 alias ${markOf(owner("br0"))}`]);
    rmSync(dirname(trace), { recursive: true, force: true });
  });

  it("converges on its own half-configured leftover (made and marked, not yet addressed or up)", async () => {
    const ns = await freshNamespace(made);
    await ipBatch([["link", "add", "name", "br0", "type", "bridge"], ["link", "set", "dev", "br0", "alias", markOf(owner("br0"))]], { netns: ns });
    const { outs } = await bridge.create({ name: "br0", netns: ns, addresses: ["10.9.0.1/24"], owner: owner("br0") });
    expect(await addressesOf("br0", ns)).toEqual(["10.9.0.1/24"]);
    expect((await linkState("br0", ns))?.flags).toContain("UP");
    expect(outs.ifindex).toBe((await linkState("br0", ns))?.ifindex);
    expect(await aliasOf("br0", ns)).toBe(markOf(owner("br0")));
  });

  it("refuses a bridge made by hand unless adopted; adopt reconciles it (undeclared addresses go) and marks it", async () => {
    const ns = await freshNamespace(made);
    await ip(["link", "add", "name", "br0", "type", "bridge"], { netns: ns });
    await ip(["addr", "add", "10.8.0.9/24", "dev", "br0"], { netns: ns });
    const inputs = { name: "br0", netns: ns, addresses: ["10.8.0.1/24"], owner: owner("br0") };
    await expect(bridge.create(inputs)).rejects.toThrow(`failed to create bridge "br0" in netns "${ns}": it already exists and was not made by pulumi-linuxnet`);
    expect(await addressesOf("br0", ns)).toEqual(["10.8.0.9/24"]); // untouched
    await bridge.create({ ...inputs, adopt: true });
    expect(await addressesOf("br0", ns)).toEqual(["10.8.0.1/24"]);
    expect(await aliasOf("br0", ns)).toBe(markOf(owner("br0")));
  });

  it("refuses a name held by a link of another kind, even with adopt", async () => {
    const ns = await freshNamespace(made);
    await ip(["link", "add", "name", "br0", "type", "veth", "peer", "name", "x0"], { netns: ns });
    await expect(bridge.create({ name: "br0", netns: ns, owner: owner("br0"), adopt: true })).rejects.toThrow(
      `failed to create bridge "br0" in netns "${ns}": the name is taken by a veth, not a bridge`,
    );
  });

  it("refuses another stack's bridge, reads it as not ours, and leaves it on delete", async () => {
    const ns = await freshNamespace(made);
    const theirs = await bridge.create({ name: "br0", netns: ns, owner: owner("br0", "prod") });
    await expect(bridge.create({ name: "br0", netns: ns, owner: owner("br0") })).rejects.toThrow(/belongs to resource Bridge "br0" of stack "prod"/);
    const ours = { ...theirs.outs, owner: owner("br0") };
    expect(await bridge.read(theirs.id, ours)).toEqual({ id: "", props: {} });
    await expect(bridge.update(theirs.id, ours, { name: "br0", netns: ns, owner: owner("br0") })).rejects.toThrow(/the bridge at this name is not this resource.s any more \(it belongs to resource Bridge "br0" of stack "prod"/);
    await bridge.delete(theirs.id, ours);
    expect(await linkState("br0", ns)).toBeDefined();
  });
});

describe("VethPair ownership", () => {
  const vOwner = owner("c1-eth0", "dev", "VethPair");
  const inputs = (n1: string, n2: string, extra: object = {}) => ({
    end: { name: "eth0", netns: n1, addresses: ["10.7.0.2/24"] },
    peer: { name: "p0", netns: n2 },
    owner: vOwner,
    ...extra,
  });

  it("marks both ends, each with its role", async () => {
    const [n1, n2] = [await freshNamespace(made), await freshNamespace(made)];
    await veth.create(inputs(n1, n2));
    expect(await aliasOf("eth0", n1)).toBe(markOf(vOwner, "end"));
    expect(await aliasOf("p0", n2)).toBe(markOf(vOwner, "peer"));
  });

  it("converges on its leftover when the provider died between the two batches (first end marked, the other not)", async () => {
    const [n1, n2] = [await freshNamespace(made), await freshNamespace(made)];
    await ipBatch([["link", "add", "name", "eth0", "type", "veth", "peer", "name", "p0", "netns", n2], ["link", "set", "dev", "eth0", "alias", markOf(vOwner, "end")]], { netns: n1 });
    const ifindex = (await linkState("eth0", n1))?.ifindex;
    const { outs } = await veth.create(inputs(n1, n2));
    expect(outs.endIfindex).toBe(ifindex); // the same pair
    expect(await addressesOf("eth0", n1)).toEqual(["10.7.0.2/24"]);
    expect(await aliasOf("p0", n2)).toBe(markOf(vOwner, "peer"));
  });

  it("converges on its leftover when the first end made is the peer (end in a namespace, peer in the provider's own)", async () => {
    const n1 = await freshNamespace(made);
    const peer = uniqueName("vp").slice(-12);
    try {
      // the add and the peer's mark, as the first batch makes them; the end not yet marked
      await ipBatch([["link", "add", "name", peer, "type", "veth", "peer", "name", "eth0", "netns", n1], ["link", "set", "dev", peer, "alias", markOf(vOwner, "peer")]]);
      const { outs } = await veth.create({ end: { name: "eth0", netns: n1, addresses: ["10.7.0.2/24"] }, peer: { name: peer }, owner: vOwner });
      expect(outs.peerIfindex).toBe((await linkState(peer))?.ifindex);
      expect(await aliasOf("eth0", n1)).toBe(markOf(vOwner, "end"));
    } finally {
      await ip(["link", "del", "dev", peer]).catch(() => undefined);
    }
  });

  it("remakes its own broken leftover: one marked end whose peer is gone", async () => {
    const [n1, n2] = [await freshNamespace(made), await freshNamespace(made)];
    await ip(["link", "add", "name", "eth0", "type", "veth", "peer", "name", "other"], { netns: n1 });
    await ip(["link", "set", "dev", "eth0", "alias", markOf(vOwner, "end")], { netns: n1 });
    await veth.create(inputs(n1, n2));
    expect((await linkState("eth0", n1))?.link_index).toBe((await linkState("p0", n2))?.ifindex);
    expect((await links(n1)).map((l) => l.ifname).sort()).toEqual(["eth0", "lo"]);
  });

  it("refuses a hand-made pair without adopt and takes it over with it; refuses an end held by another pair", async () => {
    const [n1, n2] = [await freshNamespace(made), await freshNamespace(made)];
    await ip(["link", "add", "name", "eth0", "type", "veth", "peer", "name", "p0", "netns", n2], { netns: n1 });
    await expect(veth.create(inputs(n1, n2))).rejects.toThrow(
      `failed to create veth end "eth0" in netns "${n1}": it already exists and was not made by pulumi-linuxnet (it carries no ownership mark); set adopt: true`,
    );
    await veth.create(inputs(n1, n2, { adopt: true }));
    expect(await aliasOf("p0", n2)).toBe(markOf(vOwner, "peer"));
    const n3 = await freshNamespace(made);
    await ip(["link", "add", "name", "eth0", "type", "veth", "peer", "name", "q0"], { netns: n3 });
    await expect(veth.create(inputs(n3, n2, { adopt: true, owner: owner("x", "dev", "VethPair") }))).rejects.toThrow(/both exist but are not one veth pair|belongs to resource VethPair "c1-eth0"/);
  });

  it("leaves another stack's pair alone on delete", async () => {
    const [n1, n2] = [await freshNamespace(made), await freshNamespace(made)];
    const theirs = await veth.create(inputs(n1, n2, { owner: owner("c1-eth0", "prod", "VethPair") }));
    await veth.delete(theirs.id, { ...theirs.outs, owner: vOwner });
    expect(await linkState("eth0", n1)).toBeDefined();
  });
});

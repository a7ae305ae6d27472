/**
 * The two ways the runner reaches ip — long-lived `ip -batch` sessions (the default) and one
 * process per batch (LINUXNET_TRANSPORT=spawn, the fallback and the benchmark's "before") —
 * must do the same to the kernel: the same round trips pass under both.
 */
import { bridge } from "../../provider/kinds/bridge";
import { namespace } from "../../provider/kinds/namespace";
import { ownerOf } from "../../provider/core/owner";
import { closeHosts } from "../support/local";
import { veth } from "../../provider/kinds/veth";
import { addressesOf, linkState, namedNamespaces, pings, uniqueName } from "../support/kernel";

const owner = (kind: string, name: string) => ownerOf("lab", "dev", kind, name);

describe.each(["session", "spawn"])("with LINUXNET_TRANSPORT=%s", (transport) => {
  beforeAll(() => {
    process.env.LINUXNET_TRANSPORT = transport;
  });
  afterAll(() => {
    delete process.env.LINUXNET_TRANSPORT;
    closeHosts();
  });

  it("creates, reads, updates and deletes namespaces, a bridge and a pair, by their marks", async () => {
    const [h, c] = [uniqueName("th"), uniqueName("tc")];
    const nsH = await namespace.create({ name: h, owner: owner("Namespace", h) });
    const nsC = await namespace.create({ name: c, owner: owner("Namespace", c) });
    const br = await bridge.create({ name: "br0", netns: h, addresses: ["10.3.0.1/24"], owner: owner("Bridge", "br0") });
    const inputs = { end: { name: "eth0", netns: c, addresses: ["10.3.0.2/24"] }, peer: { name: "p0", netns: h, master: "br0" }, owner: owner("VethPair", "p") };
    const v = await veth.create(inputs);
    expect(await pings(c, "10.3.0.1")).toBe(true);
    expect((await namespace.read(h, nsH.outs)).inputs).toMatchObject({ name: h, loopbackUp: true });
    const news = { ...inputs, end: { ...inputs.end, addresses: ["10.3.0.3/24"] } };
    await veth.update(v.id, v.outs, news);
    expect(await addressesOf("eth0", c)).toEqual(["10.3.0.3/24"]);
    expect((await veth.read(v.id, { ...v.outs, ...news })).inputs).toMatchObject({ end: { addresses: ["10.3.0.3/24"] } });
    await veth.delete(v.id, { ...v.outs, ...news });
    expect(await linkState("p0", h)).toBeUndefined();
    await bridge.delete(br.id, br.outs);
    await namespace.delete(c, nsC.outs);
    await namespace.delete(h, nsH.outs);
    expect(namedNamespaces()).not.toEqual(expect.arrayContaining([h]));
    expect(namedNamespaces()).not.toEqual(expect.arrayContaining([c]));
  });
});

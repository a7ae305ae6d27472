import { bridge } from "../../provider/kinds/bridge";
import { veth } from "../../provider/kinds/veth";
import { ip, run } from "../support/local";
import { addressesOf, freshNamespace, linkState, links, pings, removeNamespaces, uniqueName } from "../support/kernel";

const made = new Set<string>();
const rootLinks: string[] = []; // veth ends the tests put in the sandbox's own namespace
afterEach(async () => {
  for (const l of rootLinks.splice(0)) await run(["ip", "link", "del", l]).catch(() => undefined);
  await removeNamespaces(made);
  made.clear();
});

/** A veth name unique to this test run, ≤ 15 bytes. */
const ifn = (p: string) => {
  const n = `${p}${uniqueName("").slice(-8)}`;
  return n;
};

describe("VethPair on the real kernel", () => {
  it("creates both ends in their namespaces with one call, addressed and up, and reports each end's peer ifindex", async () => {
    const ns = await freshNamespace(made);
    const [a, b] = [ifn("va"), ifn("vb")];
    rootLinks.push(b);
    const { id, outs } = await veth.create({
      end: { name: a, netns: ns, addresses: ["192.168.0.101/24"] },
      peer: { name: b, addresses: ["192.168.0.100/24"] },
    });
    expect(id).toBe(`${ns}/${a}`);
    const [la, lb] = [await linkState(a, ns), await linkState(b)];
    expect(la?.flags).toContain("UP");
    expect(lb?.flags).toContain("UP");
    expect(await addressesOf(a, ns)).toEqual(["192.168.0.101/24"]);
    expect(outs).toMatchObject({ endIfindex: la?.ifindex, peerIfindex: lb?.ifindex, endMac: la?.address, peerMac: lb?.address, endMtu: 1500 });
    expect(la?.link_index).toBe(outs.peerIfindex); // what `ethtool -S` reports as peer_ifindex
    expect(await pings(ns, "192.168.0.100")).toBe(true);
    expect(await pings(undefined, "192.168.0.101")).toBe(true);
  });

  it("updates addresses, MTU, MAC and up/down in place, touching only what changed", async () => {
    const [n1, n2] = [await freshNamespace(made), await freshNamespace(made)];
    const inputs = { end: { name: "eth0", netns: n1, addresses: ["10.1.0.1/24"] }, peer: { name: "eth0", netns: n2, addresses: ["10.1.0.2/24"] } };
    const created = await veth.create(inputs);
    const [a0, b0] = [await linkState("eth0", n1), await linkState("eth0", n2)];
    const news = {
      end: { ...inputs.end, addresses: ["10.1.0.11/24", "fd00::11/64"], mtu: 9000, mac: "02:00:00:00:00:11" },
      peer: { ...inputs.peer, addresses: ["10.1.0.12/24"], up: false },
    };
    // "changed" is left for the engine to work out property by property (DIFF_UNKNOWN), never "no change"
    expect(await veth.diff(created.id, created.outs, news)).toEqual({ replaces: [], deleteBeforeReplace: false });
    const { outs } = await veth.update(created.id, created.outs, news);
    const [la, lb] = [await linkState("eth0", n1), await linkState("eth0", n2)];
    expect(la?.ifindex).toBe(a0?.ifindex); // same links, not recreated
    expect(lb?.ifindex).toBe(b0?.ifindex);
    expect(await addressesOf("eth0", n1)).toEqual(["10.1.0.11/24", "fd00::11/64"]);
    expect(await addressesOf("eth0", n2)).toEqual(["10.1.0.12/24"]);
    expect([la?.mtu, la?.address]).toEqual([9000, "02:00:00:00:00:11"]);
    expect(lb?.flags).not.toContain("UP");
    // What the peer was not asked to change, the kernel still has as before: its MAC and MTU.
    expect([lb?.address, lb?.mtu]).toEqual([b0?.address, b0?.mtu]);
    expect(outs).toMatchObject({ endIfindex: la?.ifindex, endMtu: 9000, endMac: "02:00:00:00:00:11", peerIfindex: lb?.ifindex, peerMac: lb?.address, peerMtu: lb?.mtu });
  });

  it("replaces, deleting first, when an end's name or namespace changes", async () => {
    const n1 = await freshNamespace(made);
    const olds = { end: { name: "eth0", netns: n1, addresses: [], up: true }, peer: { name: ifn("vp"), addresses: [], up: true } };
    expect(await veth.diff("x", olds, { ...olds, peer: { ...olds.peer, name: ifn("vq") } })).toEqual({ replaces: ["peer"], deleteBeforeReplace: true });
    expect((await veth.diff("x", olds, { ...olds, end: { ...olds.end, netns: "other" } })).replaces).toEqual(["end"]);
  });

  it("reads drift: an address removed, the link set down, a port detached; and a pair gone with its namespace", async () => {
    const [n1, n2] = [await freshNamespace(made), await freshNamespace(made)];
    const br = await bridge.create({ name: "br0", netns: n2 });
    const created = await veth.create({ end: { name: "eth0", netns: n1, addresses: ["10.2.0.1/24", "10.2.0.9/24"] }, peer: { name: "p0", netns: n2, master: "br0" } });
    await ip(["addr", "del", "10.2.0.9/24", "dev", "eth0"], { netns: n1 });
    await ip(["link", "set", "eth0", "down"], { netns: n1 });
    await ip(["link", "set", "p0", "nomaster"], { netns: n2 });
    const r = await veth.read(created.id, created.outs);
    expect(r.inputs).toMatchObject({ end: { addresses: ["10.2.0.1/24"], up: false }, peer: { up: true } });
    expect(r.inputs?.peer).not.toHaveProperty("master");
    // up repairs from the refreshed state
    const desired = { end: { name: "eth0", netns: n1, addresses: ["10.2.0.1/24", "10.2.0.9/24"] }, peer: { name: "p0", netns: n2, master: "br0" } };
    await veth.update(created.id, r.props, desired);
    expect(await addressesOf("eth0", n1)).toEqual(["10.2.0.1/24", "10.2.0.9/24"]);
    expect((await linkState("p0", n2))?.master).toBe("br0");
    await ip(["netns", "del", n1]);
    expect(await veth.read(created.id, created.outs)).toEqual({ id: "", props: {} });
    await expect(veth.delete(created.id, created.outs)).resolves.toBeUndefined();
    await bridge.delete(br.id, br.outs);
  });

  it("removes the pair again when a create fails after the link exists (missing master bridge)", async () => {
    const [n1, n2] = [await freshNamespace(made), await freshNamespace(made)];
    await expect(veth.create({ end: { name: "eth0", netns: n1 }, peer: { name: "p0", netns: n2, master: "nobr0" } })).rejects.toThrow(
      `failed to configure veth end "p0" in netns "${n2}": \`ip -n ${n2} link set dev p0 master nobr0\`: argument "nobr0" is wrong: Device does not exist`,
    );
    expect((await links(n1)).map((l) => l.ifname)).toEqual(["lo"]);
    expect((await links(n2)).map((l) => l.ifname)).toEqual(["lo"]);
  });

  it("removes the pair again when the kernel rejects an address (IPv6 disabled in the namespace)", async () => {
    const [n1, n2] = [await freshNamespace(made), await freshNamespace(made)];
    await run(["ip", "netns", "exec", n2, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"]);
    await expect(veth.create({ end: { name: "eth0", netns: n1 }, peer: { name: "p0", netns: n2, addresses: ["fd00::2/64"] } })).rejects.toThrow(
      /failed to configure veth end "p0" in netns "[^"]+": `ip -n \S+ addr add fd00::2\/64 dev p0`: .+/,
    );
    expect((await links(n1)).map((l) => l.ifname)).toEqual(["lo"]);
  });

  it("is idempotent on delete, also after the peer's namespace took the pair with it", async () => {
    const [n1, n2] = [await freshNamespace(made), await freshNamespace(made)];
    const c = await veth.create({ end: { name: "eth0", netns: n1 }, peer: { name: "p0", netns: n2 } });
    await veth.delete(c.id, c.outs);
    expect((await links(n1)).map((l) => l.ifname)).toEqual(["lo"]);
    await expect(veth.delete(c.id, c.outs)).resolves.toBeUndefined();
    const d = await veth.create({ end: { name: "eth0", netns: n1 }, peer: { name: "p0", netns: n2 } });
    await ip(["netns", "del", n2]);
    await expect(veth.delete(d.id, d.outs)).resolves.toBeUndefined();
  });

  it("re-creates a name right after `ip netns del` freed it, while the kernel is still tearing the old one down", async () => {
    const host = ifn("vh");
    rootLinks.push(host);
    for (let round = 0; round < 3; round++) {
      const ns = await freshNamespace(made);
      await veth.create({ end: { name: "eth0", netns: ns }, peer: { name: host } });
      await ip(["netns", "del", ns]); // returns before the kernel has destroyed host's veth
      made.delete(ns);
    }
    const last = await freshNamespace(made);
    await expect(veth.create({ end: { name: "eth0", netns: last }, peer: { name: host } })).resolves.toMatchObject({ id: `${last}/eth0` });
  });

  it("keeps a secondary address when the primary of its subnet is removed", async () => {
    const n1 = await freshNamespace(made);
    const inputs = { end: { name: "eth0", netns: n1, addresses: ["10.4.0.1/24", "10.4.0.2/24"] }, peer: { name: "p0", netns: n1 } };
    const c = await veth.create(inputs);
    await veth.update(c.id, c.outs, { ...inputs, end: { ...inputs.end, addresses: ["10.4.0.2/24"] } });
    expect(await addressesOf("eth0", n1)).toEqual(["10.4.0.2/24"]);
  });

  it("keeps declared IPv6 addresses when an end is set down", async () => {
    const n1 = await freshNamespace(made);
    const inputs = { end: { name: "eth0", netns: n1, addresses: ["fd00::4/64", "10.5.0.1/24"] }, peer: { name: "p0", netns: n1 } };
    const c = await veth.create(inputs);
    await veth.update(c.id, c.outs, { ...inputs, end: { ...inputs.end, up: false } });
    expect((await linkState("eth0", n1))?.flags).not.toContain("UP");
    expect((await addressesOf("eth0", n1)).sort()).toEqual(["10.5.0.1/24", "fd00::4/64"]);
  });

  it("manages a declared IPv6 link-local address without a lasting diff", async () => {
    const n1 = await freshNamespace(made);
    const inputs = { end: { name: "eth0", netns: n1, addresses: ["fe80::4/64"] }, peer: { name: "p0", netns: n1 } };
    const c = await veth.create(inputs);
    const r = await veth.read(c.id, c.outs);
    expect(r.inputs?.end).toMatchObject({ addresses: ["fe80::4/64"] });
    const checked = (await veth.check({}, inputs)).inputs!; // what the engine diffs against
    expect((await veth.diff(c.id, r.props, checked)).changes).toBe(false);
    // `up` with these inputs changes nothing lasting: read again, still no diff, the address there once.
    const u = await veth.update(c.id, r.props, checked);
    const again = await veth.read(c.id, u.outs);
    expect(again.inputs?.end).toMatchObject({ addresses: ["fe80::4/64"] });
    expect((await veth.diff(c.id, again.props, checked)).changes).toBe(false);
    expect((await linkState("eth0", n1))?.addr_info.filter((a) => a.local === "fe80::4")).toHaveLength(1);
  });

  it("leaves alone a bridge someone attached an end to when the program declares no master", async () => {
    const n1 = await freshNamespace(made);
    const inputs = { end: { name: "eth0", netns: n1 }, peer: { name: "p0", netns: n1 } };
    const c = await veth.create(inputs);
    await ip(["link", "add", "name", "br9", "type", "bridge"], { netns: n1 });
    await ip(["link", "set", "dev", "p0", "master", "br9"], { netns: n1 });
    const r = await veth.read(c.id, c.outs);
    expect(r.inputs?.peer).not.toHaveProperty("master");
    expect((await veth.diff(c.id, r.props, (await veth.check({}, inputs)).inputs!)).changes).toBe(false);
  });

  it("names the end whose command failed when both ends share a namespace", async () => {
    const n1 = await freshNamespace(made);
    await expect(veth.create({ end: { name: "i0", netns: n1 }, peer: { name: "j0", netns: n1, master: "nobr" } })).rejects.toThrow(
      `failed to configure veth end "j0" in netns "${n1}": \`ip -n ${n1} link set dev j0 master nobr\``,
    );
    expect((await links(n1)).map((l) => l.ifname)).toEqual(["lo"]);
  });

  it("handles interface names that are also iproute2 keywords", async () => {
    const [n1, n2] = [await freshNamespace(made), await freshNamespace(made)];
    const c = await veth.create({ end: { name: "address", netns: n1, addresses: ["10.3.0.1/24"] }, peer: { name: "type", netns: n2, mtu: 1400 } });
    expect(await addressesOf("address", n1)).toEqual(["10.3.0.1/24"]);
    expect((await linkState("type", n2))?.mtu).toBe(1400);
    await veth.delete(c.id, c.outs);
    expect(await linkState("address", n1)).toBeUndefined();
  });

  it("rejects bad input at check, naming the field, the value and the rule", async () => {
    const check = (end: object, peer: object = { name: "p0" }) => veth.check({}, { end, peer });
    expect(await check({ name: "p0" })).toEqual({
      failures: [{ property: "peer.name", reason: 'invalid peer.name "p0" (must differ from end.name when both ends are in the same namespace)' }],
    });
    expect((await check({ name: "averyveryverylongname" })).failures[0]).toEqual({
      property: "end.name",
      reason: 'invalid end.name "averyveryverylongname" (must be at most 15 bytes, the kernel\'s IFNAMSIZ limit; it has 21)',
    });
    expect((await check({ name: "e", addresses: ["10.0.0.300/24"] })).failures[0]).toEqual({
      property: "end.addresses[0]",
      reason: 'invalid end.addresses "10.0.0.300/24" (must be an IPv4 or IPv6 address with a prefix length, like 192.168.0.101/24 or fd00::1/64)',
    });
    expect((await check({ name: "e", mtu: 70000 })).failures[0].reason).toBe("invalid end.mtu 70000 (must be a whole number from 68 to 65535)");
    expect((await check({ name: "e", mac: "01:00:5e:00:00:01" })).failures[0].reason).toMatch(/invalid end.mac "01:00:5e:00:00:01" \(must be a unicast MAC/);
    expect((await check({ name: "e", mac: "zz" })).failures[0].property).toBe("end.mac");
  });
});

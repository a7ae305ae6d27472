/**
 * VxlanInterface on the real kernel: two namespaces play two machines that only route to each
 * other (a veth underlay), a VXLAN end on each; frames cross, the overlay MTU is the
 * underlay's less 50 bytes, settings change in place, the kernel's changes are read back.
 */
import { vxlan } from "../../provider/kinds/vxlan";
import { markOf, ownerOf } from "../../provider/core/owner";
import { run } from "../support/local";
import { freshNamespace, linkState, pings, removeNamespaces } from "../support/kernel";

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});

type Props = Record<string, unknown>;
const checked = async (props: Props): Promise<Props> => {
  const r = await vxlan.check({}, props);
  expect(r.failures).toEqual([]);
  return r.inputs!;
};
const create = async (props: Props) => vxlan.create(await checked(props));
const info = async (ns: string, dev: string) => ((await linkState(dev, ns)) as unknown as { linkinfo: { info_kind: string; info_data: Props } }).linkinfo;
const dfPing = (ns: string, to: string, size: number) =>
  run(["ip", "netns", "exec", ns, "ping", "-M", "do", "-c", "1", "-W", "1", "-s", String(size), to]).then(
    () => true,
    () => false,
  );

/** Two "machines" on a routed underlay: eth0 10.0.0.1/24 and 10.0.0.2/24. */
async function machines(): Promise<[string, string]> {
  const [a, b] = [await freshNamespace(made, "vxa"), await freshNamespace(made, "vxb")];
  await run(["ip", "link", "add", "eth0", "netns", a, "type", "veth", "peer", "name", "eth0", "netns", b]);
  for (const [ns, addr] of [[a, "10.0.0.1/24"], [b, "10.0.0.2/24"]]) {
    await run(["ip", "-n", ns, "addr", "add", addr, "dev", "eth0"]);
    await run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
  }
  return [a, b];
}

describe("VxlanInterface on the real kernel", () => {
  it("joins two machines: marked, MTU 1450 over a 1500 underlay, a DF ping of 1422 bytes crosses and 1423 does not", async () => {
    const [a, b] = await machines();
    const owner = ownerOf("lab", "dev", "VxlanInterface", "a");
    const va = await create({ name: "vxlan42", netns: a, vni: 42, local: "10.0.0.1", remote: "10.0.0.2", dev: "eth0", addresses: ["192.168.50.1/24"], owner });
    await create({ name: "vxlan42", netns: b, vni: 42, local: "10.0.0.2", remote: "10.0.0.1", dev: "eth0", addresses: ["192.168.50.2/24"] });
    expect(va.id).toBe(`${a}/vxlan42`);
    expect(va.outs).toMatchObject({ actualMtu: 1450, vni: 42, port: 4789, learning: true });
    expect(await info(a, "vxlan42")).toMatchObject({ info_kind: "vxlan", info_data: { id: 42, local: "10.0.0.1", remote: "10.0.0.2", link: "eth0", port: 4789 } });
    expect((await linkState("vxlan42", a))).toMatchObject({ ifalias: markOf(owner) });
    expect(await pings(a, "192.168.50.2")).toBe(true);
    expect(await dfPing(a, "192.168.50.2", 1422)).toBe(true);
    expect(await dfPing(a, "192.168.50.2", 1423)).toBe(false);
  });

  it("changes remote, TTL and learning in place, reads a change by hand, replaces on a new VNI, deletes idempotently", async () => {
    const [a] = await machines();
    const props = { name: "vx0", netns: a, vni: 7, remote: "10.0.0.2", dev: "eth0", addresses: ["192.168.7.1/24"] };
    const c = await create(props);
    const news = await checked({ ...props, remote: "10.0.0.3", ttl: 16, learning: false, mtu: 1400 });
    expect(await vxlan.diff(c.id, c.outs, news)).toEqual({ replaces: [], deleteBeforeReplace: false });
    expect(await vxlan.diff(c.id, c.outs, await checked({ ...props, vni: 8 }))).toEqual({ replaces: ["vni"], deleteBeforeReplace: true });
    const u = await vxlan.update(c.id, c.outs, news);
    expect(u.outs).toMatchObject({ ifindex: c.outs.ifindex, actualMtu: 1400 });
    expect((await info(a, "vx0")).info_data).toMatchObject({ remote: "10.0.0.3", ttl: 16, learning: false });
    await run(["ip", "-n", a, "link", "set", "dev", "vx0", "type", "vxlan", "remote", "10.0.0.9", "learning"]);
    const r = await vxlan.read(c.id, u.outs);
    expect(r.inputs).toMatchObject({ remote: "10.0.0.9", learning: true, ttl: 16, vni: 7 });
    await vxlan.update(c.id, r.props, news);
    expect((await info(a, "vx0")).info_data).toMatchObject({ remote: "10.0.0.3", learning: false });
    await vxlan.delete(c.id, u.outs);
    expect(await linkState("vx0", a)).toBeUndefined();
    await expect(vxlan.delete(c.id, u.outs)).resolves.toBeUndefined();
  });

  it("refuses an MTU the underlay cannot carry, a missing underlay, and a VXLAN made by hand unless adopted", async () => {
    const [a] = await machines();
    await expect(create({ name: "vx1", netns: a, vni: 1, remote: "10.0.0.2", dev: "eth0", mtu: 1500 })).rejects.toThrow(
      `failed to create VXLAN interface "vx1" in netns "${a}": mtu 1500 does not fit in its underlay "eth0" (mtu 1500) with VXLAN's 50-byte overhead: at most 1450`,
    );
    await expect(create({ name: "vx1", netns: a, vni: 1, dev: "eth9" })).rejects.toThrow(`failed to create VXLAN interface "vx1" in netns "${a}": its underlay device "eth9" does not exist in netns "${a}"`);
    await run(["ip", "-n", a, "link", "add", "vx2", "type", "vxlan", "id", "2", "dstport", "4789"]);
    const owner = ownerOf("lab", "dev", "VxlanInterface", "x");
    await expect(create({ name: "vx2", netns: a, vni: 2, owner })).rejects.toThrow(/it already exists and was not made by pulumi-linuxnet .*set adopt: true/);
    await expect(create({ name: "vx2", netns: a, vni: 3, owner, adopt: true })).rejects.toThrow(/the name is taken by VXLAN 2 on port 4789, not VXLAN 3 on port 4789/);
    const adopted = await create({ name: "vx2", netns: a, vni: 2, owner, adopt: true, remote: "10.0.0.2" });
    expect((await info(a, "vx2")).info_data).toMatchObject({ id: 2, remote: "10.0.0.2" });
    await vxlan.delete(adopted.id, adopted.outs);
    expect(await linkState("vx2", a)).toBeUndefined();
  });
});

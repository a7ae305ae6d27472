/**
 * VlanInterface on a kernel with 802.1Q, driven through the provider's own `dispatch` (what
 * the resource closures call): check, create, read, update, diff, delete, the mark, drift,
 * and traffic that crosses only between equal VLAN ids.
 */
import { dispatch } from "../../provider";
import { markOf, ownerOf } from "../../provider/core/owner";
import { ip, ipJson, run } from "../support/local";

type Props = Record<string, unknown>;
const call = <T = Props>(method: string, ...args: unknown[]) => dispatch("vlan", method as never, args) as Promise<T>;

let counter = 0;
const made = new Set<string>();
afterEach(async () => {
  for (const ns of made) await ip(["netns", "del", ns]).catch(() => undefined);
  made.clear();
});

/** Two namespaces ("hosts") joined by a veth whose ends are both named enp0s8, up. */
async function hosts(): Promise<[string, string]> {
  const [a, b] = [`vha${counter}`, `vhb${counter++}`];
  for (const ns of [a, b]) (await ip(["netns", "add", ns]), made.add(ns));
  await ip(["link", "add", "enp0s8", "netns", a, "type", "veth", "peer", "name", "enp0s8", "netns", b]);
  for (const ns of [a, b]) await ip(["link", "set", "enp0s8", "up"], { netns: ns });
  return [a, b];
}

const pings = (from: string, to: string) =>
  run(["ip", "netns", "exec", from, "ping", "-c", "1", "-W", "2", to]).then(
    () => true,
    () => false,
  );

/** What the engine passes on after check: inputs with defaults filled in. */
async function checked(props: Props): Promise<Props> {
  const { inputs, failures } = await call<{ inputs: Props; failures: unknown[] }>("check", {}, props);
  expect(failures).toEqual([]);
  return inputs;
}

/** check, then create, as the engine does. */
const create = async (props: Props) => call<{ id: string; outs: Props }>("create", await checked(props));

describe("VlanInterface on a full kernel", () => {
  it("creates PARENT.ID marked, addressed and up; equal ids ping, different ids do not", async () => {
    const [a, b] = await hosts();
    const owner = ownerOf("lab", "dev", "VlanInterface", "a100");
    const v = await create({ parent: "enp0s8", vlanId: 100, netns: a, addresses: ["172.16.10.1/24"], owner });
    expect(v.id).toBe(`${a}/enp0s8.100`);
    const [link] = await ipJson<{ ifindex: number; ifalias?: string; linkinfo: { info_kind: string; info_data: { id: number; protocol: string } } }>(
      ["-d", "link", "show", "dev", "enp0s8.100"],
      { netns: a },
    );
    expect(link.linkinfo).toMatchObject({ info_kind: "vlan", info_data: { id: 100, protocol: "802.1Q" } });
    expect(link.ifalias).toBe(markOf(owner));
    expect(v.outs).toMatchObject({ name: "enp0s8.100", ifindex: link.ifindex, actualMtu: 1500 });
    await create({ parent: "enp0s8", vlanId: 100, netns: b, addresses: ["172.16.10.2/24"] });
    await create({ parent: "enp0s8", vlanId: 200, netns: b, addresses: ["172.16.20.2/24"] });
    await create({ parent: "enp0s8", vlanId: 300, netns: a, addresses: ["172.16.20.1/24"] });
    expect(await pings(a, "172.16.10.2")).toBe(true);
    expect(await pings(a, "172.16.20.2")).toBe(false); // same subnet, different VLAN
  });

  it("updates addresses and MTU in place, replaces on a new id, reads drift and a deletion by hand, deletes idempotently", async () => {
    const [a] = await hosts();
    const props = { parent: "enp0s8", vlanId: 10, netns: a, addresses: ["10.10.0.1/24"] };
    const v = await create(props);
    const news = await checked({ ...props, addresses: ["10.10.0.2/24"], mtu: 1400 });
    expect(await call("diff", v.id, v.outs, news)).toEqual({ replaces: [], deleteBeforeReplace: false });
    // a new id changes the default name too: both replace
    expect(await call("diff", v.id, v.outs, await checked({ ...props, vlanId: 11 }))).toEqual({ replaces: ["name", "vlanId"], deleteBeforeReplace: true });
    const u = await call<{ outs: Props }>("update", v.id, v.outs, news);
    expect(u.outs).toMatchObject({ actualMtu: 1400, ifindex: v.outs.ifindex });
    await ip(["link", "set", "dev", "enp0s8.10", "down"], { netns: a });
    const r = await call<{ inputs: Props }>("read", v.id, u.outs);
    expect(r.inputs).toMatchObject({ up: false, addresses: ["10.10.0.2/24"], vlanId: 10, parent: "enp0s8" });
    await ip(["link", "del", "dev", "enp0s8.10"], { netns: a });
    expect(await call("read", v.id, u.outs)).toEqual({ id: "", props: {} });
    await expect(call("delete", v.id, u.outs)).resolves.toBeUndefined();
  });

  it("refuses an MTU above the parent's in one line, leaving nothing; makes an 802.1ad (QinQ) sub-interface", async () => {
    const [a] = await hosts();
    await expect(create({ parent: "enp0s8", vlanId: 20, netns: a, mtu: 9000 })).rejects.toThrow(
      `failed to create VLAN interface "enp0s8.20" in netns "${a}": mtu 9000 is above its parent "enp0s8"'s mtu 1500 (a VLAN sub-interface cannot exceed its parent)`,
    );
    const left = await ipJson<{ ifname: string }>(["link", "show"], { netns: a });
    expect(left.map((l) => l.ifname).sort()).toEqual(["enp0s8", "lo"]); // no enp0s8.20, nor anything else
    await create({ parent: "enp0s8", vlanId: 30, netns: a, protocol: "802.1ad", name: "svlan30" });
    const [link] = await ipJson<{ linkinfo: { info_data: { protocol: string } } }>(["-d", "link", "show", "dev", "svlan30"], { netns: a });
    expect(link.linkinfo.info_data.protocol).toBe("802.1ad");
    const inner = await create({ parent: "svlan30", vlanId: 31, netns: a });
    expect(inner.outs.name).toBe("svlan30.31");
  });

  it("converges on its own leftover and refuses a sub-interface made by hand unless adopted", async () => {
    const [a] = await hosts();
    const owner = ownerOf("lab", "dev", "VlanInterface", "x");
    await ip(["link", "add", "link", "enp0s8", "name", "enp0s8.40", "type", "vlan", "id", "40"], { netns: a });
    await expect(create({ parent: "enp0s8", vlanId: 40, netns: a, owner })).rejects.toThrow(/it already exists and was not made by pulumi-linuxnet .*set adopt: true/);
    await expect(create({ parent: "enp0s8", vlanId: 40, netns: a, owner, adopt: true, addresses: ["10.40.0.1/24"] })).resolves.toMatchObject({ id: `${a}/enp0s8.40` });
    await expect(create({ parent: "enp0s8", vlanId: 40, netns: a, owner, addresses: ["10.40.0.1/24"] })).resolves.toMatchObject({ id: `${a}/enp0s8.40` });
    await expect(create({ parent: "enp0s8", vlanId: 41, name: "enp0s8.40", netns: a, owner })).rejects.toThrow(
      /the name is taken by VLAN 40 \(802\.1Q\) of "enp0s8", not VLAN 41 \(802\.1Q\) of "enp0s8"/,
    );
  });
});

/**
 * This machine's kernel has no 802.1Q module: what VlanInterface does there is say so, in one
 * line, and leave nothing behind. Its round trip runs in the full-kernel tier (test/fullkernel).
 */
import { bridge } from "../../provider/kinds/bridge";
import { vlan } from "../../provider/kinds/vlan";
import { freshNamespace, links, removeNamespaces } from "../support/kernel";

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});

describe("VlanInterface on a kernel without 802.1Q", () => {
  it("fails with one line saying the kernel lacks VLAN support and how to get it, and leaves nothing", async () => {
    const ns = await freshNamespace(made);
    await bridge.create({ name: "enp0s8", netns: ns });
    await expect(vlan.create({ parent: "enp0s8", vlanId: 100, netns: ns, addresses: ["172.16.10.1/24"] })).rejects.toThrow(
      `failed to create VLAN interface "enp0s8.100" in netns "${ns}": \`ip -n ${ns} link add link enp0s8 name enp0s8.100 type vlan protocol 802.1Q id 100\`: ` +
        "Unknown device type. (the kernel has no 802.1Q VLAN support (CONFIG_VLAN_8021Q); load the 8021q module)",
    );
    expect((await links(ns)).map((l) => l.ifname).sort()).toEqual(["enp0s8", "lo"]);
  });

  it("names a missing parent before trying", async () => {
    const ns = await freshNamespace(made);
    await expect(vlan.create({ parent: "enp0s9", vlanId: 7, netns: ns })).rejects.toThrow(`failed to create VLAN interface "enp0s9.7" in netns "${ns}": its parent "enp0s9" does not exist in netns "${ns}"`);
  });
});

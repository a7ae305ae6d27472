/**
 * examples/vlan-macvlan through the real CLI on this machine's kernel, which has no 802.1Q:
 * preview plans the whole topology, up stops at the first VLAN with one line saying what the
 * kernel lacks and how to get it, and destroy removes what was made before that. The
 * topology itself is proven in the full-kernel tier (test/fullkernel/vlan-router.test.ts).
 */
import { links, namedNamespaces } from "../support/kernel";
import { exampleDir, PulumiStack } from "../support/pulumi";

jest.setTimeout(300_000);

describe("examples/vlan-macvlan (scenario 5, layer 2) on a kernel without 802.1Q", () => {
  const stack = new PulumiStack(exampleDir("vlan-macvlan"));
  beforeAll(() => stack.init());
  afterAll(() => stack.dispose());

  it("previews every resource as a create", async () => {
    const plan = await stack.preview();
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/\+ 23 to create/); // the stack, 7 namespaces, a bridge, 2 pairs, 4 VLANs, 4 networks, 4 endpoints
  });

  it("fails up at the VLAN with one line naming the missing kernel support, and destroy leaves nothing", async () => {
    const r = await stack.cli(["up", "--yes", "--skip-preview"], true);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(
      /failed to create VLAN interface "enp0s8\.[12]00" in netns "host[12]": `ip -n host[12] link add link enp0s8 name enp0s8\.[12]00 type vlan protocol 802\.1Q id [12]00`: Unknown device type\. \(the kernel has no 802\.1Q VLAN support \(CONFIG_VLAN_8021Q\); load the 8021q module\)/,
    );
    await stack.destroy();
    expect(namedNamespaces()).toEqual([]);
    expect((await links()).map((l) => l.ifname)).toEqual(["lo"]);
  });
});

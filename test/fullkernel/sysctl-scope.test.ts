/**
 * Sysctl scope where the provider runs in the initial network namespace (the VM's own, as on
 * a machine running `pulumi` itself): a net.* key the kernel keeps only for the initial
 * namespace is refused at preview unless hostWide; a per-namespace one is not.
 */
import { dispatch } from "../../provider";
import { scopeOf as scopeOn } from "../../provider/core/sysctl-scope";
import { local } from "../../provider/hosts";

const scopeOf = (key: string) => scopeOn(local, key);
const check = (props: Record<string, unknown>) => dispatch("sysctl", "check", [{}, props]) as Promise<{ failures: Array<{ property: string; reason: string }> }>;

describe("Sysctl in the initial network namespace", () => {
  it("tells a key of every namespace from one of the initial namespace only", async () => {
    expect(await scopeOf("net.ipv4.ip_forward")).toBe("netns");
    expect(await scopeOf("net.ipv4.conf.eth0.forwarding")).toBe("netns");
    expect(await scopeOf("net.core.netdev_max_backlog")).toBe("global");
  });

  it("refuses a key of the initial namespace only at preview, unless hostWide", async () => {
    expect((await check({ key: "net.core.netdev_max_backlog", value: 1000 })).failures).toEqual([
      {
        property: "key",
        reason:
          'invalid key "net.core.netdev_max_backlog" (is not per network namespace: the kernel has it only in the initial network namespace, one value for the whole machine; to change it for the whole machine anyway, set hostWide: true, without netns)',
      },
    ]);
    expect((await check({ key: "net.core.netdev_max_backlog", value: 1000, hostWide: true })).failures).toEqual([]);
    expect((await check({ key: "net.ipv4.ip_forward", value: 1 })).failures).toEqual([]);
  });
});

/**
 * Scenario 5 in the seed's exact form (examples/vlan-router: VLAN sub-interfaces
 * enp0s8.100/.200, macvlan networks on them, host3 as the router) through the real CLI on
 * this machine, against the full-kernel VM as an SSH host: this machine's kernel has no
 * 802.1Q, and the CLI cannot run inside the emulated VM (its plugin start timeout), so the
 * provider reaches the VM's kernel over SSH.
 */
import { exampleDir, planned, PulumiStack } from "../support/pulumi";
import { VmHost, vmSkipReason } from "../support/vm-host";

jest.setTimeout(900_000);

const skip = vmSkipReason();
if (skip) process.stdout.write(`skipping examples/vlan-router on the full-kernel VM: ${skip}\n`);

(skip ? describe.skip : describe)("examples/vlan-router (scenario 5 with VLANs and the router) on the full-kernel VM over SSH", () => {
  const vm = new VmHost();
  const stack = new PulumiStack(exampleDir("vlan-router"));
  const t0 = performance.now();
  const ttl = async (from: string, to: string) => {
    try {
      return /ttl=(\d+)/.exec(await vm.on("ip", "netns", "exec", from, "ping", "-c", "1", "-W", "3", to))?.[1];
    } catch {
      return undefined;
    }
  };

  beforeAll(async () => {
    await vm.start();
    await stack.init({ host: vm.connection.host, port: String(vm.connection.port), hostKey: vm.connection.hostKey });
    await stack.cli(["config", "set", "--secret", "privateKey", "--", vm.connection.privateKey]);
  });
  afterAll(async () => {
    await stack.dispose().catch(() => undefined);
    await vm.stop();
    const total = ((performance.now() - t0) / 1000).toFixed(1);
    process.stdout.write(`vlan-router on the VM: ${total} s in all, VM an SSH host after ${vm.bootSeconds.toFixed(1)} s; pulumi (ms): ${stack.timings.map(([c, ms]) => `${c}=${ms}`).join(", ")}\n`);
  });

  it("up builds it in the VM: d1 reaches d3 on its VLAN (TTL 64), d2 and d4 through host3 (TTL 63)", async () => {
    await stack.up();
    expect((await vm.on("ip", "-n", "host1", "-br", "link", "show", "type", "vlan")).split("\n").map((l) => l.split("@")[0]).filter(Boolean).sort()).toEqual(["enp0s8.100", "enp0s8.200"]);
    expect(await ttl("d1", "172.16.10.11")).toBe("64");
    expect(await ttl("d1", "172.16.20.10")).toBe("63");
    expect(await ttl("d1", "172.16.20.11")).toBe("63");
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("updates d1's address in place, and replaces d2's interface when its name changes", async () => {
    await stack.setConfig("d1Address", "172.16.10.20");
    await stack.setConfig("d2Name", "eth9");
    const plan = await stack.preview();
    expect(planned(plan.stdout, "MacvlanEndpoint", "update")).toBe(true);
    expect(planned(plan.stdout, "MacvlanEndpoint", "replace")).toBe(true);
    await stack.up();
    expect(await ttl("d3", "172.16.10.20")).toBe("64");
    expect(await vm.on("ip", "-n", "d2", "-br", "addr", "show", "dev", "eth9")).toContain("172.16.20.10/24");
    expect(await vm.on("ip", "-n", "d2", "-br", "link")).not.toContain("eth0");
    expect(await ttl("d2", "172.16.10.11")).toBe("63");
  });

  it("refresh finds a route and a rule removed by hand in the VM; up puts them back", async () => {
    await vm.on("ip", "-n", "d1", "route", "del", "default");
    await vm.on("ip", "netns", "exec", "host3", "iptables", "-w", "-t", "nat", "-F", "POSTROUTING");
    expect((await vm.on("ip", "-n", "d1", "route", "show", "default")).trim()).toBe("");
    await stack.refresh();
    const plan = await stack.preview();
    expect(planned(plan.stdout, "MacvlanEndpoint", "update")).toBe(true);
    expect(planned(plan.stdout, "IptablesRule", "create")).toBe(true);
    await stack.up();
    expect(await ttl("d1", "172.16.20.10")).toBe("63");
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("destroy leaves the VM as it booted: no namespace, only lo and its NIC", async () => {
    await stack.destroy();
    expect((await vm.on("ip", "netns", "list")).trim()).toBe("");
    expect((await vm.on("ip", "-br", "link")).split("\n").map((l) => l.split(/\s+/)[0]).filter(Boolean).sort()).toEqual(["eth0", "lo"]);
  });
});

/**
 * examples/shaped-link with a WAN's delay and loss (netem) through the real CLI on this
 * machine, against the full-kernel VM as an SSH host: this machine's kernel has no sch_netem.
 * One test (the VM is slow): up, the delay measured as round-trip time, destroy.
 */
import { exampleDir, PulumiStack } from "../support/pulumi";
import { VmHost, vmSkipReason } from "../support/vm-host";

jest.setTimeout(900_000);

const skip = vmSkipReason();
if (skip) process.stdout.write(`skipping examples/shaped-link with netem on the full-kernel VM: ${skip}\n`);

(skip ? describe.skip : describe)("examples/shaped-link with netem on the full-kernel VM over SSH", () => {
  const vm = new VmHost();
  const stack = new PulumiStack(exampleDir("shaped-link"));

  beforeAll(async () => {
    await vm.start();
    await stack.init({ host: vm.connection.host, port: String(vm.connection.port), hostKey: vm.connection.hostKey, delay: "50ms", loss: "1", both: "true" });
    await stack.cli(["config", "set", "--secret", "privateKey", "--", vm.connection.privateKey]);
  });
  afterAll(async () => {
    await stack.dispose().catch(() => undefined);
    await vm.stop();
    process.stdout.write(`shaped-link on the VM: VM an SSH host after ${vm.bootSeconds.toFixed(1)} s; pulumi (ms): ${stack.timings.map(([c, ms]) => `${c}=${ms}`).join(", ")}\n`);
  });

  it("up shapes both ends with netem 50 ms / 1% loss: the round trip is at least twice the delay; destroy leaves the VM as it booted", async () => {
    await stack.up();
    const [q] = JSON.parse(await vm.on("tc", "-n", "near", "-j", "qdisc", "show", "dev", "eth0", "root"));
    expect(q).toMatchObject({ kind: "netem", handle: "148:", options: { delay: { delay: 0.05 }, "loss-random": { loss: 0.01 }, rate: { rate: 1_250_000 } } });
    const out = await vm.on("ip", "netns", "exec", "near", "ping", "-c", "10", "-i", "0.2", "-W", "2", "10.10.0.2").catch((e: { stdout?: string }) => e.stdout ?? "");
    const times = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
    expect(times.length).toBeGreaterThanOrEqual(5);
    const ratio = Math.min(...times) / 50;
    process.stdout.write(`netem 50ms/1% on both ends via the CLI: ${times.length}/10 replies, round trips ${times.join(", ")} ms; min/delay = ${ratio.toFixed(2)}\n`);
    expect(ratio).toBeGreaterThanOrEqual(2);
    await stack.destroy();
    expect((await vm.on("ip", "netns", "list")).trim()).toBe("");
  });
});

/**
 * examples/shaped-link through the real CLI on this machine's kernel (tbf; no netem): a rate
 * measured as bytes over time through the shaped veth, changed in place and measured again,
 * netem refused in one line, a qdisc removed by hand found by refresh and put back by up,
 * and the shaping's removal leaving the kernel's default qdisc.
 */
import { run } from "../support/local";
import { removeNamespaces } from "../support/kernel";
import { exampleDir, planned, PulumiStack } from "../support/pulumi";
import { expectJudged, judgeReachability } from "../support/reachability";
import { measure, type Measured } from "../support/throughput";

jest.setTimeout(300_000);

describe("examples/shaped-link through the real pulumi CLI", () => {
  const stack = new PulumiStack(exampleDir("shaped-link"));
  const [near, far] = [`${stack.stack}n`, `${stack.stack}f`];
  const root = async () => JSON.parse((await run(["tc", "-n", near, "-j", "qdisc", "show", "dev", "eth0", "root"])).stdout)[0] as { kind: string; handle: string; options: Record<string, unknown> };
  const throughput = (bytes: number) => measure((ns, argv) => ["ip", "netns", "exec", ns, ...argv], near, far, "10.10.0.2", bytes);
  /** TCP payload per full frame tbf counts: MSS 1448 (timestamps on) of 1514 bytes. */
  const PAYLOAD = 1448 / 1514;
  const report = (rate: number, m: Measured) => {
    const ratio = m.bitsPerSecond / rate;
    process.stdout.write(
      `tbf ${rate / 1e6} Mbit/s: ${m.bytes} bytes in ${m.seconds.toFixed(2)} s = ${(m.bitsPerSecond / 1e6).toFixed(2)} Mbit/s of payload, ` +
        `${(ratio * 100).toFixed(1)}% of the rate (${((ratio / PAYLOAD) * 100).toFixed(1)}% counting the frames' headers)\n`,
    );
    return ratio;
  };

  beforeAll(() => stack.init({ near, far }));
  afterAll(async () => {
    await stack.dispose();
    await removeNamespaces([near, far]);
    process.stdout.write(`pulumi timings (ms): ${stack.timings.map(([c, ms]) => `${c}=${ms}`).join(", ")}\n`);
  });

  it("up shapes the near end with tbf: 10 Mbit/s measured within 20%", async () => {
    await stack.up();
    expect(await root()).toMatchObject({ kind: "tbf", handle: "148:", options: { rate: 1_250_000 } });
    expect((await stack.outputs()).qdiscs).toEqual([`tbf on eth0 in ${near}`]);
    // A rate changes no echo's answer: the model decides every pair across the shaped link.
    expectJudged(await judgeReachability(stack, "examples/shaped-link after up"), { ipv4: { compared: 4 }, ipv6: { compared: 2 } });
    const ratio = report(10e6, await throughput(2_500_000));
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.2);
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("changes the rate in place: 5 Mbit/s measured within 20%", async () => {
    await stack.setConfig("rate", "5mbit");
    const plan = await stack.preview();
    expect(planned(plan.stdout, "LinkShaping", "update")).toBe(true);
    expect(plan.stdout).toMatch(/~ rate\s*: "10mbit" => "5mbit"/);
    await stack.up();
    expect((await root()).options).toMatchObject({ rate: 625_000 });
    const ratio = report(5e6, await throughput(1_250_000));
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.2);
  });

  it("refuses netem on this kernel in one line, keeping the tbf it had", async () => {
    await stack.setConfig("delay", "50ms");
    const r = await stack.cli(["up", "--yes", "--skip-preview"], true);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/failed to update link shaping "eth0" in netns "[^"]+": `tc -n \S+ qdisc replace dev eth0 root handle 148: netem [^`]*`: Specified qdisc kind is unknown\. \(the kernel has no netem qdisc \(CONFIG_NET_SCH_NETEM\): load the sch_netem module;/);
    expect(await root()).toMatchObject({ kind: "tbf", handle: "148:", options: { rate: 625_000 } });
    await stack.cli(["config", "rm", "delay"]);
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("refresh finds the qdisc removed by hand; up puts it back", async () => {
    await run(["tc", "-n", near, "qdisc", "del", "dev", "eth0", "root"]);
    const refreshed = await stack.refresh();
    expect(refreshed.stdout).toMatch(/- +pulumi-nodejs:dynamic\/linuxnet:LinkShaping +uplink-near +deleted/);
    const up = await stack.up();
    expect(up.stdout).toMatch(/\+ +pulumi-nodejs:dynamic\/linuxnet:LinkShaping +uplink-near +created/);
    expect(await root()).toMatchObject({ kind: "tbf", handle: "148:", options: { rate: 625_000 } });
  });

  it("removing the shaping leaves the kernel's default qdisc; destroy leaves nothing", async () => {
    await stack.setConfig("shape", "false");
    await stack.up();
    expect(await root()).toMatchObject({ kind: "noqueue", handle: "0:" });
    await stack.destroy();
    expect((await run(["ip", "netns", "list"])).stdout).not.toContain(near);
  });
});

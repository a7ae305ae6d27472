/**
 * Nothing of ours outlives a killed `pulumi` CLI: the dynamic-provider process it started (and
 * the plugin's sh wrapper around it) and the long-lived `ip -batch` sessions that process holds
 * end within a few seconds of a SIGKILL of the CLI in the middle of `up` (provider/hosts/watchdog.ts).
 * Without the watchdog they served the gone engine, idle, for as long as anyone watched.
 */
import { cmdline, PulumiStack, running, stepsDone, testProgramDir } from "../support/pulumi";

jest.setTimeout(300_000);

const N = 24;
const GRACE_MS = 5000;

describe("a SIGKILL of the pulumi CLI", () => {
  const stack = new PulumiStack(testProgramDir("fleet"));
  const prefix = `o${process.pid % 100}x`;

  beforeAll(() => stack.init({ n: String(N), prefix }));
  afterAll(async () => {
    await stack.cli(["cancel", "--yes"], true);
    await stack.dispose();
  });

  it("ends the provider process and its ip sessions within 5 s", async () => {
    const seen: Array<{ pid: number; what: string }> = [];
    let left: typeof seen = [];
    let endedMs = -1;
    const up = await stack.cliKilled(
      ["up", "--yes", "--skip-preview"],
      (out) => stepsDone(out, "created") >= N + N / 2, // namespaces made, pairs being made: ip sessions open
      "cli",
      async (family) => {
        const provider = family.find((pid) => / [^ ]*cmd\/dynamic-provider/.test(cmdline(pid)));
        if (provider === undefined) return;
        const wrapper = family.find((pid) => cmdline(pid).includes("pulumi-resource-pulumi-nodejs"));
        seen.push({ pid: provider, what: "node dynamic-provider" });
        if (wrapper !== undefined) seen.push({ pid: wrapper, what: "sh pulumi-resource-pulumi-nodejs" });
        for (const pid of family) if (/^ip .*-batch/.test(cmdline(pid))) seen.push({ pid, what: cmdline(pid).trim() });
        const t0 = Date.now();
        while (seen.some((p) => running(p.pid)) && Date.now() - t0 < GRACE_MS) await new Promise((r) => setTimeout(r, 100));
        endedMs = Date.now() - t0;
        left = seen.filter((p) => running(p.pid));
      },
    );
    expect(up.killed).toBe(true);
    process.stdout.write(`orphans: killed at ${stepsDone(up.stdout, "created")} creates; watched ${seen.length} processes; all ended ${left.length ? "NOT" : `in ${endedMs} ms`}\n`);
    expect(seen.map((p) => p.what)).toContain("node dynamic-provider");
    expect(seen.filter((p) => p.what.startsWith("ip ")).length).toBeGreaterThan(0); // sessions were open at the kill
    expect(left).toEqual([]);
  });
});

/**
 * Fault injection through the real CLI: a 40-namespace stack whose `pulumi up` or
 * `pulumi destroy` is SIGKILLed at an early, a middle and a late point, and one whose
 * dynamic-provider process is killed during `up`. Each time, `pulumi cancel` and the same
 * command again must converge with no manual step: every namespace pings the bridge, a
 * preview shows no changes, and the final destroy leaves nothing.
 */
import { Fleet } from "../support/fleet";
import { PulumiStack, stepsDone, testProgramDir } from "../support/pulumi";

jest.setTimeout(600_000);

const N = 40;
const RESOURCES = 2 * N + 2; // N namespaces + N pairs + host namespace + bridge (Fleet.resources)

describe("a killed pulumi up or destroy converges on the next run (40 namespaces on a bridge)", () => {
  const stack = new PulumiStack(testProgramDir("fleet"));
  const prefix = `f${process.pid % 100}x`;
  const fleet = new Fleet(stack, N, prefix);
  const log: string[] = [];
  const t0 = Date.now();

  beforeAll(() => stack.init({ n: String(N), prefix }));
  afterAll(async () => {
    await stack.cli(["cancel", "--yes"], true);
    await stack.dispose();
    process.stdout.write(`crash-safety: ${log.join("; ")}; whole test ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });

  const points = [
    ["early", 3],
    ["middle", Math.round(RESOURCES / 2)],
    ["late", RESOURCES - 4],
  ] as const;

  for (const [point, after] of points) {
    it(`converges after the CLI is killed ${point} in up (after ${after} of ${RESOURCES} creates), and ${point} in destroy`, async () => {
      const up = await stack.cliKilled(["up", "--yes", "--skip-preview"], (out) => stepsDone(out, "created") >= after, "cli");
      expect(up.killed).toBe(true);
      log.push(`up killed at ${stepsDone(up.stdout, "created")} creates`);
      await stack.cli(["cancel", "--yes"]);
      await stack.up();
      await fleet.expectConverged();

      const destroy = await stack.cliKilled(["destroy", "--yes", "--skip-preview"], (out) => stepsDone(out, "deleted") >= after, "cli");
      expect(destroy.killed).toBe(true);
      log.push(`destroy killed at ${stepsDone(destroy.stdout, "deleted")} deletes`);
      await stack.cli(["cancel", "--yes"]);
      await stack.destroy();
      await fleet.expectNothingLeft();
    });
  }

  it("converges after the dynamic-provider process is killed during up", async () => {
    const up = await stack.cliKilled(["up", "--yes", "--skip-preview"], (out) => stepsDone(out, "created") >= RESOURCES / 2, "provider");
    expect(up.killed).toBe(true);
    expect(up.code).not.toBe(0); // the CLI itself lived to report the failed creates
    log.push(`provider killed at ${stepsDone(up.stdout, "created")} creates`);
    await stack.up();
    await fleet.expectConverged();
    await stack.destroy();
    await fleet.expectNothingLeft();
  });
});

/**
 * The fast mode (`PULUMI_SKIP_CHECKPOINTS=true`: the engine writes the state once, at the end of
 * a command, instead of after every step) proven by fault injection on 200 namespaces. A killed
 * command then leaves the state as it was before it, while the kernel holds what it had done:
 * objects the state does not know (creates), or knows but are gone (deletes). The provider's
 * ownership marks make the next run converge anyway: a create that meets its own marked
 * leftover takes it over, a delete of what is gone passes. Each kind of command — `up` from
 * nothing, an update that replaces every pair (delete before create), `destroy` — is killed
 * once through the CLI and once through the dynamic-provider process, then `pulumi cancel`,
 * the same command again and a `refresh`: every namespace reaches the bridge, a preview shows
 * no changes, and the last destroy leaves nothing. That the checkpoints were skipped is shown,
 * not assumed: after each CLI kill the state (`pulumi stack export`) holds exactly the
 * resources it held before the command, though the kill came after a quarter or more of the
 * steps were done (the default mode would have checkpointed each of them).
 */
import { Fleet } from "../support/fleet";
import { PulumiStack, stepsDone, testProgramDir } from "../support/pulumi";

// About 4 minutes on an idle 2-core machine; far more when it is shared (hence the timeouts).
jest.setTimeout(600_000); // per test; bounded so a stuck run cannot take CI past its limit

const N = 200;

describe("the fast mode (no checkpoints) converges after kills at any step (200 namespaces)", () => {
  const stack = new PulumiStack(testProgramDir("fleet"), { PULUMI_SKIP_CHECKPOINTS: "true" }, 420_000);
  const fleet = new Fleet(stack, N, `q${process.pid % 100}x`);
  const log: string[] = [];
  const t0 = Date.now();

  beforeAll(() => stack.init({ n: String(N), prefix: fleet.prefix }));
  afterAll(async () => {
    await stack.cli(["cancel", "--yes"], true);
    await stack.dispose();
    process.stdout.write(`fast-mode: ${log.join("; ")}; whole test ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });

  /**
   * Runs `args` and SIGKILLs `victim` once `verb` has been printed for `after` resources; then
   * `pulumi cancel` (a killed CLI leaves the stack locked) and the same command again.
   */
  async function killAndRerun(args: string[], verb: string, after: number, victim: "cli" | "provider"): Promise<void> {
    const before = victim === "cli" ? await stateResources() : undefined;
    const killed = await stack.cliKilled(args, (out) => stepsDone(out, verb) >= after, victim);
    expect(killed.killed).toBe(true);
    if (victim === "provider") expect(killed.code).not.toBe(0); // the CLI lived to report the failed steps
    if (before !== undefined) {
      // A killed CLI never wrote the state: it is what it was before the command, step for step.
      const now = await stateResources();
      expect({ resources: now.length, unchanged: JSON.stringify(now) === JSON.stringify(before) }).toEqual({ resources: before.length, unchanged: true });
    }
    log.push(`${args[0]}${args[0] === "up" && verb !== "created" ? " (replace)" : ""}: ${victim} killed at ${stepsDone(killed.stdout, verb)} ${verb}`);
    await stack.cli(["cancel", "--yes"], true); // after a provider kill there is no lock: "no update in progress"
    await stack.cli(args);
  }

  /** The resources the state holds (the export's resources, in its order). */
  const stateResources = async () => (JSON.parse((await stack.cli(["stack", "export"])).stdout) as { deployment: { resources?: unknown[] } }).deployment.resources ?? [];

  const up = ["up", "--yes", "--skip-preview"];
  const destroy = ["destroy", "--yes", "--skip-preview"];

  it("up from nothing: the CLI killed early, then the provider killed late", async () => {
    await killAndRerun(up, "created", Math.round(fleet.resources / 4), "cli");
    await stack.refresh();
    await fleet.expectConverged();

    await stack.destroy();
    await killAndRerun(up, "created", Math.round((fleet.resources * 3) / 4), "provider");
    await stack.refresh();
    await fleet.expectConverged();
  });

  it("an update that replaces every pair (delete before create): the CLI killed, then the provider killed", async () => {
    await stack.setConfig("ifname", "eth1");
    await killAndRerun(up, "deleted original", N / 2, "cli");
    await stack.refresh();
    await fleet.expectConverged();

    await stack.setConfig("ifname", "eth0");
    await killAndRerun(up, "created replacement", N / 2, "provider");
    await stack.refresh();
    await fleet.expectConverged();
  });

  it("destroy: the CLI killed in the middle, then the provider killed early", async () => {
    await killAndRerun(destroy, "deleted", Math.round(fleet.resources / 2), "cli");
    await fleet.expectNothingLeft();

    await stack.up();
    await killAndRerun(destroy, "deleted", Math.round(fleet.resources / 5), "provider");
    await fleet.expectNothingLeft();
  });
});

/**
 * examples/ci through the real CLI: comment.sh (the script the workflow runs, run here the
 * same way) previews the stack inside its own throwaway network namespace and prints the
 * comment — hidden marker, summary table, Mermaid diagram — for a new stack and for changes
 * to a deployed one (its exported state), never printing a secret; a failed preview still
 * gives a comment that says why. The workflow file parses and its steps run these very
 * scripts; post-comment.sh edits the comment carrying the marker instead of adding another.
 * LINUXNET_WRITE_FIXTURES=1 stores the JSON for the unit tests.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { parse } from "yaml";
import { BIN, maybeWriteFixture, runCli } from "../unit/cli/helpers";
import { exampleDir, PulumiStack } from "../support/pulumi";
import { expectJudged, judgeReachability } from "../support/reachability";

jest.setTimeout(300_000);


const CI = exampleDir("ci");
const COMMENT = join(CI, "comment.sh");
const POST = join(CI, "post-comment.sh");
const MARKER = "<!-- pulumi-linuxnet:network-review -->";

function script(path: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(path, args, { encoding: "utf8", env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "", ...env }, maxBuffer: 64 << 20, timeout: 240_000 });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

describe("examples/ci/comment.sh makes the pull-request comment locally", () => {
  const stack = new PulumiStack(CI);
  const dir = mkdtempSync(join(tmpdir(), "linuxnet-ci-"));
  const state = join(dir, "state.json");
  const plainState = join(dir, "state-show-secrets.json");
  beforeAll(async () => {
    await stack.init();
    await stack.cli(["config", "set", "--secret", "uplinkAddress", "192.168.50.7/24"]);
  });
  afterAll(async () => {
    await stack.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("for a new stack (no state, no config): every resource a create, marker first, a diagram; leaves no file behind", () => {
    const tmp = mkdtempSync(join(dir, "tmp-")); // the script's temporary files go here, and must go
    const r = script(COMMENT, [], { TMPDIR: tmp });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(MARKER);
    expect(lines[1]).toBe("### Network changes in stack ci");
    expect(r.stdout).toContain("**Plan:** 🟢 8 to create");
    expect(r.stdout).toContain("| 🟢 create | VethPair | `c1-eth0` | `ci-c1` ⟷ `ci-host` | veth eth0 10.20.0.11/24 in ci-c1 ⟷ veth-c1 in ci-host, port of lab-br0 |");
    expect(r.stdout).toMatch(/```mermaid\nflowchart LR\n[^`]*subgraph ns\d+\["netns ci-host"\]\n {4}n0\[\["lab-br0<br\/>bridge<br\/>10\.20\.0\.1\/24"\]\]/);
    expect(existsSync(join(CI, "Pulumi.ci.yaml"))).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("for changes to the deployed stack: update, replace, create rows with old → new; the secret address is never printed", async () => {
    await stack.up();
    // The example marks one veth end's address secret (what the comment must never print): the model cannot use it.
    expectJudged(await judgeReachability(stack, "examples/ci after up"), { ipv4: { compared: 12, unknown: { count: 4, why: /^VethPair uplink's end\.addresses is a secret$/ } }, ipv6: { compared: 2, unknown: { count: 2, why: /^VethPair uplink's end\.addresses is a secret$/ } } });
    await stack.cli(["stack", "export", "--file", state]);
    maybeWriteFixture("ci-export", readFileSync(state, "utf8"));
    await stack.cli(["stack", "export", "--show-secrets", "--file", plainState]);
    maybeWriteFixture("ci-export-show-secrets", readFileSync(plainState, "utf8"));
    await stack.cli(["config", "set", "--secret", "uplinkAddress", "192.168.50.8/24"]);
    await stack.setConfig("containers", "3");
    await stack.setConfig("bridgeName", "lab-br1");
    maybeWriteFixture("ci-update", (await stack.cli(["preview", "--json", "--show-sames"])).stdout);

    const r = script(COMMENT, ["--state", state, CI]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[1]).toBe(`### Network changes in stack ${stack.stack}`); // the stack named in the state
    expect(r.stdout).toContain("**Plan:** 🟠 3 to replace · 🔵 1 to update · 🟢 2 to create · 4 unchanged");
    expect(r.stdout).toContain("| 🔵 update | VethPair | `uplink` | `ci-edge` ⟷ `ci-host` | `end.addresses`: `[secret]` → `[secret]` |");
    expect(r.stdout).toContain("| 🟠 replace | Bridge | `lab-br0` | `ci-host` | `name`: `lab-br0` → `lab-br1`<br>**replaced because** name changed: the kernel name is the identity |");
    expect(r.stdout).toContain("| 🟢 create | Namespace | `c3` | `ci-c3` | netns ci-c3 |");
    expect(r.stdout).toContain('"up0 [secret] ⟷ up0-host 192.168.50.1/24"');
    expect(r.stdout).not.toMatch(/192\.168\.50\.[78]/);
    // A renamed bridge and a new container: what reached what before still does (the edge's secret address is unknown).
    expect(r.stdout).toContain("#### Reachability\n\nNo change: 16 pairs of a namespace and an address of the stack, predicted alike before and after (4 unknown).");
    expect(r.stdout.length).toBeLessThanOrEqual(65_536);
  });

  it("exported state, with or without --show-secrets, is drawn without the secret", () => {
    expect(readFileSync(state, "utf8")).toContain("ciphertext");
    expect(readFileSync(plainState, "utf8")).toContain("192.168.50.7/24"); // marked secret, but in plain text
    for (const file of [state, plainState]) {
      const text = readFileSync(file, "utf8");
      for (const format of ["mermaid", "dot", "svg"]) {
        const out = runCli(["diagram", "--format", format], text).stdout;
        expect(out).toMatch(/up0 \[secret\] ⟷ up0(-|&#45;)host 192\.168\.50\.1\/24/);
        expect(out).not.toContain("192.168.50.7");
      }
    }
  });

  it("with nothing piped in (stdin /dev/null, as a CI step has it), diagram draws the deployed stack itself", () => {
    const fd = openSync("/dev/null", "r");
    const r = spawnSync(process.execPath, [BIN, "diagram"], { cwd: CI, env: stack.environment, stdio: [fd, "pipe", "pipe"], encoding: "utf8" });
    closeSync(fd);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^flowchart LR\n/);
    expect(r.stdout).toContain("lab-br0");
  });

  it("a failed preview still gives a comment, which says why, and exit status 1", async () => {
    await stack.setConfig("subnet", "10.20.999");
    const r = script(COMMENT, ["--state", state, CI]);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toBe(MARKER);
    expect(r.stdout).toContain(`### ❌ Network changes in stack ${stack.stack}: the preview failed`);
    expect(r.stdout).toMatch(/stdin holds a failed preview, not a plan: .*invalid addresses "10\.20\.999\.1\/24"/);
    await stack.cli(["config", "rm", "subnet"]);
  });
});

describe("examples/ci/network-review.yml", () => {
  const workflow = parse(readFileSync(join(CI, "network-review.yml"), "utf8"));
  const steps: Array<{ name?: string; uses?: string; run?: string; if?: string; env?: Record<string, string> }> = workflow.jobs.preview.steps;
  const index = (script: string) => steps.findIndex((s) => s.run?.includes(script));

  it("runs on pull requests and may comment on them", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
    expect(workflow.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });

  it("sets up the project's toolchain, then runs the comment script this test runs, then posts with the post script", () => {
    const [toolchain, comment, post] = [index("scripts/toolchain.sh"), index("examples/ci/comment.sh"), index("examples/ci/post-comment.sh")];
    expect(steps[toolchain].run).toContain("linuxnet_toolchain");
    expect(toolchain).toBeGreaterThan(-1);
    expect(comment).toBeGreaterThan(toolchain);
    expect(post).toBeGreaterThan(comment);
    for (const path of [COMMENT, POST]) expect(statSync(path).mode & 0o111).toBeTruthy();
    expect(steps[comment].run).toMatch(/examples\/ci\/comment\.sh --stack "\$STACK" "\$\{state\[@\]\}" "\$PROGRAM" >"\$RUNNER_TEMP\/comment\.md"/);
    expect(steps[post].run).toBe('examples/ci/post-comment.sh "$RUNNER_TEMP/comment.md"');
    expect(steps[post].env).toMatchObject({ GH_TOKEN: "${{ github.token }}", PR_NUMBER: "${{ github.event.pull_request.number }}" });
    expect(steps.some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(true);
    expect(workflow.jobs.preview.env.PROGRAM).toBe("examples/ci");
  });
});

describe("examples/ci/post-comment.sh edits the one comment carrying the marker", () => {
  const dir = mkdtempSync(join(tmpdir(), "linuxnet-gh-"));
  const log = join(dir, "calls");
  const file = join(dir, "comment.md");
  beforeAll(() => {
    // A stand-in for the GitHub CLI: logs its arguments; lists the comment ids in FAKE_IDS.
    writeFileSync(join(dir, "gh"), `#!/bin/sh\necho "$*" >>"${log}"\ncase "$*" in *--paginate*) [ -z "$FAKE_IDS" ] || echo "$FAKE_IDS" ;; esac\n`, { mode: 0o755 });
    writeFileSync(file, `${MARKER}\n### Network changes\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const post = (ids: string) => {
    rmSync(log, { force: true });
    const r = script(POST, [file], { PATH: `${dir}:${process.env.PATH}`, GITHUB_REPOSITORY: "o/r", PR_NUMBER: "7", FAKE_IDS: ids });
    return { ...r, calls: readFileSync(log, "utf8").trim().split("\n") };
  };

  it("posts a new comment when none carries the marker", () => {
    const r = post("");
    expect(r.code).toBe(0);
    expect(r.calls[0]).toBe(`api --paginate repos/o/r/issues/7/comments --jq .[] | select(.body | startswith("${MARKER}")) | .id`);
    expect(r.calls[1]).toBe(`api --method POST repos/o/r/issues/7/comments -F body=@${file}`);
  });

  it("edits the first comment that carries it", () => {
    const r = post("42\n43");
    expect(r.calls[1]).toBe(`api --method PATCH repos/o/r/issues/comments/42 -F body=@${file}`);
    expect(r.stdout).toBe("edited comment 42 on #7\n");
  });

  it("refuses a comment without a marker on its first line", () => {
    writeFileSync(join(dir, "bare.md"), "### no marker\n");
    const r = script(POST, [join(dir, "bare.md")], { PATH: `${dir}:${process.env.PATH}`, GITHUB_REPOSITORY: "o/r", PR_NUMBER: "7" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not a hidden marker");
  });
});



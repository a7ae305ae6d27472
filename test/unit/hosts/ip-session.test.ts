/**
 * The long-lived `ip -batch` session's framing (provider/hosts/ip-session.ts), against a
 * stand-in for `ip` that speaks the same protocol as iproute2 6.1 (test/kernel/ip-session.test.ts
 * checks the real one says exactly this): a line it does not know as an object is answered
 * `Object "X" is unknown, try "ip help".` and `Command failed -:N` on stderr; a command the
 * kernel refuses prints the kernel's words and `Command failed -:N`, and -force goes on; an
 * argument it cannot parse ends the process. No kernel is touched.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IpSession, type Step } from "../../../provider/hosts/ip-session";

/**
 * The stand-in's commands: `show TEXT` prints TEXT, `fail TEXT` fails with TEXT, `bad TOKEN`
 * exits on an argument it cannot parse, `hang` never answers, `pid` prints its pid as JSON.
 */
const FAKE_IP = `#!/bin/sh
set -f
n=0
while IFS= read -r line; do
  n=$((n + 1))
  set -- $line
  case $1 in
    show) shift; printf '%s\\n' "$*" ;;
    warn) shift; printf '%s\\n' "$*" >&2 ;;
    fail) shift; printf '%s\\n' "$*" >&2; echo "Command failed -:$n" >&2 ;;
    bad) echo "Error: argument \\"$2\\" is wrong: Invalid \\"mtu\\" value" >&2; echo >&2; exit 255 ;;
    hang) exec sleep 600 ;;
    pid) echo "[$$]" ;;
    *) echo "Object \\"$1\\" is unknown, try \\"ip help\\"." >&2; echo "Command failed -:$n" >&2 ;;
  esac
done
`;

const dir = mkdtempSync(join(tmpdir(), "linuxnet-ipsession-"));
const fakeIp = join(dir, "ip");
const sessions: IpSession[] = [];
function session(idleMs = 5000, timeoutMs = 30_000): IpSession {
  const s = new IpSession([fakeIp, "-json", "-details", "-force", "-batch", "-"], idleMs, timeoutMs);
  sessions.push(s);
  return s;
}
beforeAll(() => {
  writeFileSync(fakeIp, FAKE_IP);
  chmodSync(fakeIp, 0o755);
});
afterAll(() => {
  for (const s of sessions) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const pidOf = (step: Step) => (JSON.parse(step.printed[0]) as number[])[0];
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
const ok = (printed: string[]): Step => ({ printed, failed: false, exited: false });

describe("an ip -batch session's framing", () => {
  it("gives each command what was printed before the marker that follows it, stdout and stderr in order", async () => {
    const s = session();
    expect(await s.run(["show [1]", "show [2, 3]", 'show {"a": "b c"}', "show", "warn a warning", "show [4]"])).toEqual([
      ok(["[1]"]),
      ok(["[2, 3]"]),
      ok(['{"a": "b c"}']),
      ok([""]),
      ok(["a warning"]),
      ok(["[4]"]),
    ]);
    expect(await s.run(["show [5]"])).toEqual([ok(["[5]"])]);
  });

  it("attributes a failure to its line of the batch, runs nothing after it, and the process goes on", async () => {
    const s = session();
    const [first] = await s.run(["pid"]);
    const steps = await s.run(["show [1]", "fail RTNETLINK answers: File exists", "show [3]"]);
    expect(steps).toEqual([ok(["[1]"]), { printed: ["RTNETLINK answers: File exists"], failed: true, exited: false }]);
    // nothing of the failure is left for the next command, and it runs in the same process
    const [again, after] = await s.run(["pid", "show [4]"]);
    expect(pidOf(again)).toBe(pidOf(first));
    expect(after).toEqual(ok(["[4]"]));
    // a line ip does not know fails on its own line the same way
    expect((await s.run(["show [1]", "nonsense"]))[1]).toEqual({ printed: ['Object "nonsense" is unknown, try "ip help".'], failed: true, exited: false });
  });

  it("reports a command ip exits on as exited, with what ip said, and runs nothing more in that process", async () => {
    const s = session();
    const steps = await s.run(["pid", "bad abc", "show [never]"]);
    expect(steps).toHaveLength(2);
    expect(steps[1]).toMatchObject({ failed: true, exited: true });
    expect(steps[1].printed.join("\n")).toContain('Error: argument "abc" is wrong: Invalid "mtu" value');
    expect(s.dead).toBe(true);
    expect(alive(pidOf(steps[0]))).toBe(false);
    // work handed to it after that is not run at all (the host then starts a new session)
    expect(await s.run(["show [1]"])).toEqual([{ printed: ["the ip process has exited"], failed: true, exited: true, notRun: true }]);
  });

  it("fails a command not answered in time, kills the process, and runs nothing after it", async () => {
    const s = session(5000, 400);
    const t0 = Date.now();
    const steps = await s.run(["pid", "hang", "show [never]"]);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(steps).toHaveLength(2);
    expect(steps[1]).toEqual({ printed: ["ip did not answer in 0.4 s (the process was killed; LINUXNET_TIMEOUT_IP changes the limit)"], failed: true, exited: true, timedOut: true });
    expect(s.dead).toBe(true);
    for (let i = 0; i < 100 && alive(pidOf(steps[0])); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pidOf(steps[0]))).toBe(false);
  });

  it("runs batches of different callers one after another, never interleaved", async () => {
    const s = session();
    const batch = (k: number) => Array.from({ length: 20 }, (_, j) => `show [${k}, ${j}]`);
    const results = await Promise.all([1, 2, 3, 4].map((k) => s.run(batch(k))));
    results.forEach((steps, i) => expect(steps.map((st) => st.printed[0])).toEqual(batch(i + 1).map((l) => l.slice(5))));
  });

  it("finishes the work already given to it when retired, then ends", async () => {
    const s = session();
    const running = s.run(["pid", "show [1]"]);
    s.retire();
    const steps = await running;
    expect(steps[1]).toEqual(ok(["[1]"]));
    expect(s.dead).toBe(true);
    for (let i = 0; i < 100 && alive(pidOf(steps[0])); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pidOf(steps[0]))).toBe(false);
  });

  it("ends its process after a while without work", async () => {
    const s = session(100);
    const [step] = await s.run(["pid"]);
    for (let i = 0; i < 100 && alive(pidOf(step)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pidOf(step))).toBe(false);
    expect(s.dead).toBe(true);
  });
});

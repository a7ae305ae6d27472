/**
 * Over SSH: a tool missing on the other host is its own error (never "gone"), and a host that
 * did not answer once is asked again (its facts keep no failure). Two test hosts whose sshd
 * gives every session a PATH of links to the tools the provider runs; a test takes one link
 * away and puts it back.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { call, create } from "../support/dispatch";
import { ownerOf } from "../../provider/core/owner";
import { hostFor } from "../../provider/hosts";
import { closeHosts, run } from "../support/local";
import { SshHosts, type TestHost } from "../support/ssh-hosts";

jest.setTimeout(120_000);

const owner = (kind: string, name: string) => ownerOf("lab", "dev", kind, name);

const TOOLS = ["sh", "mktemp", "rm", "cat", "stat", "mkdir", "mv", "ls", "flock", "ip", "sysctl", "iptables", "nft", "nc", "ping"];
const bin = mkdtempSync(join(tmpdir(), "linuxnet-sshpath-"));
const where = (tool: string) => execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
for (const tool of TOOLS) if (execFileSync("sh", ["-c", `command -v ${tool} || true`], { encoding: "utf8" }).trim()) symlinkSync(where(tool), join(bin, tool));

const hosts = new SshHosts(81);
let h1: TestHost, h2: TestHost;
beforeAll(async () => {
  [h1, h2] = await hosts.start(2, "sshmt", [`SetEnv PATH=${bin}`]);
});
afterAll(async () => {
  closeHosts();
  await hosts.stop();
  rmSync(bin, { recursive: true, force: true });
});

/** `work` while the hosts' sessions find no `tool`. */
async function without<T>(tool: string, work: () => Promise<T>): Promise<T> {
  const link = join(bin, tool);
  const target = where(tool);
  unlinkSync(link);
  try {
    return await work();
  } finally {
    if (!existsSync(link)) symlinkSync(target, link);
  }
}

describe("a tool missing on an SSH host", () => {
  it("fails a Sysctl's refresh and delete in one line naming the tool, the host and its package; the value is put back once it is there", async () => {
    await create("namespace", { name: "m1", connection: h1.connection, owner: owner("Namespace", "m1") });
    const s = await create("sysctl", { key: "net.ipv4.ip_forward", value: 1, netns: "m1", connection: h1.connection, owner: owner("Sysctl", "fw") });
    const said = "`ip netns exec m1 sysctl -n net.ipv4.ip_forward`: `sysctl` is not installed on root@10.81.0.1:22: install procps";
    await without("sysctl", async () => {
      await expect(call("sysctl", "read", s.id, s.outs)).rejects.toThrow(`failed to read sysctl "net.ipv4.ip_forward" in netns "m1" on host root@10.81.0.1:22: ${said}`);
      await expect(call("sysctl", "delete", s.id, s.outs)).rejects.toThrow(`failed to delete sysctl "net.ipv4.ip_forward" in netns "m1" on host root@10.81.0.1:22: ${said}`);
    });
    expect((await hosts.on(h1, "ip", "netns", "exec", "m1", "sysctl", "-n", "net.ipv4.ip_forward")).trim()).toBe("1");
    expect((await call("sysctl", "read", s.id, s.outs)).inputs).toMatchObject({ value: "1" });
    await call("sysctl", "delete", s.id, s.outs);
    expect((await hosts.on(h1, "ip", "netns", "exec", "m1", "sysctl", "-n", "net.ipv4.ip_forward")).trim()).toBe("0");
  });

  it("says so for a command the host's shell does not find (its status 127), outside a namespace too", async () => {
    await without("sysctl", async () => {
      const failed = await hostFor({ ...h1.connection, insecureIgnoreHostKey: false }).run(["sysctl", "-n", "net.ipv4.ip_forward"]).catch((e: unknown) => e);
      expect(failed).toMatchObject({ kind: "missing-tool", exitCode: 127, message: "`sysctl -n net.ipv4.ip_forward`: `sysctl` is not installed on root@10.81.0.1:22: install procps" });
    });
  });
});

describe("a host that did not answer once", () => {
  it("is asked again whether it has nc: a TCP probe is not refused for a dropped connection", async () => {
    // h2 is not reached before this test: for a moment its sshd's port refuses connections.
    const props = { to: "10.81.0.254", port: 22, connection: h2.connection };
    const refuse = ["-p", "tcp", "--dport", "22", "-j", "REJECT", "--reject-with", "tcp-reset"];
    await run(["ip", "netns", "exec", h2.netns, "iptables", "-I", "INPUT", ...refuse]);
    try {
      await expect(call("probe", "check", {}, props)).rejects.toThrow(/ssh to root@10\.81\.0\.2:22: it is unreachable/);
    } finally {
      await run(["ip", "netns", "exec", h2.netns, "iptables", "-D", "INPUT", ...refuse]);
    }
    expect((await call("probe", "check", {}, props)).failures).toEqual([]);
  });
});

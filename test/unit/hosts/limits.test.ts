/**
 * Limits per kind of operation (provider/hosts/limits.ts), each changed by its environment
 * variable: an ip command, an ip batch scaled by its lines, any other command, a probe by its
 * own timeout, and opening an SSH connection; a bad value fails in one line naming the variable.
 */
import { limitFor, probeLimit, seconds, withConnect } from "../../../provider/hosts/limits";
import { spawnArgv } from "../../../provider/hosts/spawn";
import { sshArgv } from "../../../provider/hosts/ssh";
import { LocalHost } from "../../../provider/hosts/local";

const VARS = ["LINUXNET_TIMEOUT_IP", "LINUXNET_TIMEOUT_BATCH_LINE", "LINUXNET_TIMEOUT_COMMAND", "LINUXNET_TIMEOUT_SSH_CONNECT"];
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
afterEach(() => {
  for (const v of VARS) if (saved[v] === undefined) delete process.env[v];
  else process.env[v] = saved[v];
});

describe("limits per kind of operation", () => {
  it("gives an ip command, a batch by its size, another command and a probe each its own limit", () => {
    expect(limitFor(["ip", "-n", "c1", "link", "del", "dev", "v1"]).ms).toBe(30_000);
    const batch = limitFor(["ip", "-json", "-details", "-batch", "-"], "link add a type dummy\n".repeat(200));
    expect(batch).toEqual({ ms: 130_000, why: "the limit for a batch of 200 ip commands; LINUXNET_TIMEOUT_IP and LINUXNET_TIMEOUT_BATCH_LINE change it" });
    expect(limitFor(["ip", "netns", "exec", "c1", "iptables", "-S"]).ms).toBe(60_000);
    expect(limitFor(["sysctl", "-n", "net.ipv4.ip_forward"]).ms).toBe(60_000);
    expect(probeLimit(20).ms).toBe(80_000);
    expect(withConnect(limitFor(["true"])).ms).toBe(75_000);
  });

  it("takes each from its environment variable, in seconds, read at each use", () => {
    Object.assign(process.env, { LINUXNET_TIMEOUT_IP: "5", LINUXNET_TIMEOUT_BATCH_LINE: "0.1", LINUXNET_TIMEOUT_COMMAND: "2.5", LINUXNET_TIMEOUT_SSH_CONNECT: "7" });
    expect(limitFor(["ip", "link", "show"]).ms).toBe(5_000);
    expect(limitFor(["ip", "-batch", "-"], "a\nb\nc\n").ms).toBe(5_300);
    expect(limitFor(["tc", "qdisc", "show"])).toEqual({ ms: 2_500, why: "the limit for one command; LINUXNET_TIMEOUT_COMMAND changes it" });
    expect(sshArgv({ host: "10.0.0.1", port: 22, user: "root", insecureIgnoreHostKey: false }, ["true"]).argv).toContain("ConnectTimeout=7");
  });

  it.each(["0", "-1", "abc", "1e3", "5s", "86401"])("refuses LINUXNET_TIMEOUT_COMMAND=%j in one line naming the variable and the rule", (value) => {
    process.env.LINUXNET_TIMEOUT_COMMAND = value;
    expect(() => seconds("command")).toThrow(`invalid LINUXNET_TIMEOUT_COMMAND ${JSON.stringify(value)} (must be a number of seconds greater than 0 and at most 86400)`);
  });

  it("ends a command past its limit and says which limit it was, naming the command", async () => {
    process.env.LINUXNET_TIMEOUT_COMMAND = "0.3";
    const r = await spawnArgv(["sleep", "20"], {});
    expect(r).toMatchObject({ failed: true, stderr: "timed out after 0.3 s (the limit for one command; LINUXNET_TIMEOUT_COMMAND changes it)" });
    await expect(new LocalHost().run(["sleep", "20"])).rejects.toThrow(/^`sleep 20`: timed out after 0\.3 s \(the limit for one command; LINUXNET_TIMEOUT_COMMAND changes it\)$/);
  });
});

/**
 * What the project's scripts install: the demo only what the demo uses; the tests add the SSH
 * test hosts' server, which is never to start on this machine, not even at the next boot
 * (checked in the files systemd and sysvinit boot from: this machine need not run systemd).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..", "..");
const script = (name: string) => readFileSync(join(ROOT, "scripts", name), "utf8");

function packages(...args: string[]): string[] {
  const r = spawnSync("bash", ["-c", 'source scripts/toolchain.sh && linuxnet_apt_packages "$@"', "bash", ...args], { cwd: ROOT, encoding: "utf8" });
  expect(r.status).toBe(0);
  return r.stdout.trim().split("\n").map((l) => l.split(" ")[1]);
}

describe("the toolchain's Debian packages", () => {
  it("for the demo: the tools the provider runs, and no SSH server", () => {
    expect(packages()).toEqual(["iproute2", "iputils-ping", "procps", "iptables", "nftables", "netcat-openbsd"]);
  });

  it("for the tests: those and the SSH server of the test hosts", () => {
    expect(packages("--tests")).toEqual(["iproute2", "iputils-ping", "procps", "iptables", "nftables", "netcat-openbsd", "openssh-server"]);
  });

  it("are asked for by the demo as the demo's, by the test command as the tests'", () => {
    expect(script("demo.sh")).toMatch(/^linuxnet_toolchain$/m);
    expect(script("demo.sh")).not.toContain("--tests");
    expect(script("test.sh")).toMatch(/^LINUXNET_TOOLCHAIN_FOR=tests linuxnet_sandbox /m);
  });
});

const SSHD_NOTE = "/etc/ssh/sshd_not_to_be_run";
/** Why the boot check does not apply here (decided before the tests run), or undefined. */
const sshdSkip = (existsSync(SSHD_NOTE) ? readFileSync(SSHD_NOTE, "utf8") : "").startsWith("pulumi-linuxnet:")
  ? undefined
  : `openssh-server here was not installed by the project's toolchain (${SSHD_NOTE} is not its note): its boot setting is the machine owner's`;
if (sshdSkip) process.stdout.write(`skipping the SSH server's boot check: ${sshdSkip}\n`);

describe("the SSH server the tests installed", () => {
  it("is there: scripts/test.sh installs it before any test runs", () => {
    expect(existsSync("/usr/sbin/sshd")).toBe(true);
  });

  (sshdSkip ? it.skip : it)("is never enabled to start at boot: no systemd unit wanted by a target, no alias, no rc start link", () => {
    const units = ["ssh.service", "sshd.service", "ssh.socket"];
    const etc = "/etc/systemd/system";
    const wanted = existsSync(etc)
      ? readdirSync(etc)
          .filter((d) => d.endsWith(".wants") || d.endsWith(".requires"))
          .flatMap((d) => readdirSync(join(etc, d)).map((u) => `${d}/${u}`))
          .filter((u) => units.some((unit) => u.endsWith(`/${unit}`)))
      : [];
    expect(wanted).toEqual([]);
    expect(existsSync(join(etc, "sshd.service"))).toBe(false); // the alias systemctl enable makes
    const rcStarts = ["2", "3", "4", "5", "S"].flatMap((level) => {
      const dir = `/etc/rc${level}.d`;
      return existsSync(dir) ? readdirSync(dir).filter((f) => /^S\d\dssh$/.test(f)).map((f) => `${dir}/${f}`) : [];
    });
    expect(rcStarts).toEqual([]);
  });
});

// scripts/toolchain.sh builds the language host with Pulumi's plugin servers listening without
// TCP keepalive: on loopback a probe only ever fails by being lost (a bridge's multicast storm
// overflows the kernel's input backlog), and 9 lost in a row reset the engine's idle connection.
const languageHost = spawnSync("sh", ["-c", "command -v pulumi-language-nodejs"], { encoding: "utf8" }).stdout.trim();
/** Why the keepalive check does not apply here (decided before the tests run), or undefined. */
const keepaliveSkip = /\/pulumi-[0-9.]+-k2\/pulumi-language-nodejs$/.test(languageHost)
  ? undefined
  : `pulumi-language-nodejs here is ${languageHost || "not on PATH"}, not one the toolchain built (a pulumi of the pinned version found on PATH is used as is)`;
if (keepaliveSkip) process.stdout.write(`skipping the language host's keepalive check: ${keepaliveSkip}\n`);

describe("the language host the toolchain built", () => {
  it("is on PATH (the test command puts the toolchain there)", () => {
    expect(languageHost).not.toBe("");
  });

  (keepaliveSkip ? it.skip : it)("accepts the engine's connection with TCP keepalive off", async () => {
    const bin = languageHost;
    const host = spawn(bin, [], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        host.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          if (/^\d+\n/.test(out)) resolve(Number(out.split("\n")[0]));
        });
        host.once("exit", (code) => reject(new Error(`the language host exited (${code}) before printing its port`)));
      });
      const socket = connect(port, "127.0.0.1");
      await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
      try {
        // The language host's end of the connection: `ss -o` shows `timer:(keepalive,…)` when it probes.
        const ss = spawnSync("ss", ["-tnoH", "state", "established", `( sport = :${port} )`], { encoding: "utf8" });
        expect(ss.status).toBe(0);
        expect(ss.stdout).toContain(`127.0.0.1:${port}`);
        expect(ss.stdout).not.toContain("keepalive");
      } finally {
        socket.destroy();
      }
    } finally {
      host.kill("SIGKILL");
    }
  });
});

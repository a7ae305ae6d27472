/**
 * The provider's handlers on other machines, over SSH: three test hosts (namespaces, each with
 * its own sshd and its own /run/netns) reached from the sandbox's own namespace.
 */
import { call, create } from "../support/dispatch";
import { ownerOf } from "../../provider/core/owner";
import { CommandError } from "../../provider/core/errors";
import { closeHosts, run } from "../support/local";
import { hostFor } from "../../provider/hosts";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { descendants } from "../support/pulumi";
import { SshHosts, type TestHost } from "../support/ssh-hosts";

jest.setTimeout(120_000);

const owner = (kind: string, name: string) => ownerOf("lab", "dev", kind, name);

const hosts = new SshHosts();
let h1: TestHost, h2: TestHost;
beforeAll(async () => {
  [h1, h2] = await hosts.start(2);
});
afterAll(async () => {
  closeHosts();
  await hosts.stop();
});

describe("resources on SSH hosts", () => {
  it("makes a namespace, a bridge and a pair on a host, marked, in that host's own namespaces", async () => {
    await create("namespace", { name: "c1", connection: h1.connection, owner: owner("Namespace", "c1") });
    await create("namespace", { name: "c1", connection: h2.connection, owner: owner("Namespace", "c1-h2") }); // another host: another namespace
    await create("bridge", { name: "br0", addresses: ["10.5.0.1/24"], connection: h1.connection, owner: owner("Bridge", "br0") });
    const v = await create("veth", { end: { name: "eth0", netns: "c1", addresses: ["10.5.0.2/24"] }, peer: { name: "v1", master: "br0" }, connection: h1.connection, owner: owner("VethPair", "v") });
    expect((await hosts.on(h1, "ip", "netns", "list")).trim()).toMatch(/^c1/);
    expect(await hosts.on(h1, "ip", "-n", "c1", "-br", "addr", "show", "dev", "eth0")).toContain("10.5.0.2/24");
    expect(await hosts.on(h1, "ip", "-d", "link", "show", "dev", "v1")).toContain("alias linuxnet:lab/dev/VethPair/v:peer");
    expect(await hosts.on(h1, "ip", "netns", "exec", "c1", "ping", "-c", "1", "-W", "2", "10.5.0.1")).toContain("1 received");
    expect((await call("veth", "read", v.id, v.outs)).inputs).toMatchObject({ end: { addresses: ["10.5.0.2/24"] } });
    // nothing of it on this machine
    expect((await run(["ip", "-br", "link"])).stdout).not.toContain("br0");
  });

  it("keeps a sysctl's record on its host and puts the value back on delete", async () => {
    const s = await create("sysctl", { key: "net.ipv4.ip_forward", value: 1, netns: "c1", connection: h1.connection, owner: owner("Sysctl", "fw") });
    expect(s.outs.found).toBe("0");
    expect((await hosts.on(h1, "ip", "netns", "exec", "c1", "sysctl", "-n", "net.ipv4.ip_forward")).trim()).toBe("1");
    expect(await hosts.on(h1, "find", "/run/pulumi-linuxnet", "-type", "f")).toContain("sysctl/net.ipv4.ip_forward");
    await call("sysctl", "delete", s.id, s.outs);
    expect((await hosts.on(h1, "ip", "netns", "exec", "c1", "sysctl", "-n", "net.ipv4.ip_forward")).trim()).toBe("0");
  });

  it("says in one line which host and what went wrong: unreachable, key refused, host key changed", async () => {
    const props = { name: "x1", owner: owner("Namespace", "x1") };
    await expect(create("namespace", { ...props, connection: { ...h1.connection, host: "10.77.0.99" } })).rejects.toThrow(
      /^failed to create namespace "x1" on host root@10\.77\.0\.99:22: `ip -json -details -batch -`: ssh to root@10\.77\.0\.99:22: it is unreachable \(.+\)$/,
    );
    const otherKey = (await run(["sh", "-c", 'd=$(mktemp -d) && ssh-keygen -q -t ed25519 -N "" -f "$d/k" && cat "$d/k" && rm -rf "$d"'])).stdout;
    await expect(create("namespace", { ...props, connection: { ...h1.connection, privateKey: otherKey } })).rejects.toThrow(/on host root@10\.77\.0\.1:22: .*ssh to root@10\.77\.0\.1:22: authentication refused/);
    await expect(create("namespace", { ...props, connection: { ...h1.connection, hostKey: h2.connection.hostKey } })).rejects.toThrow(/ssh to root@10\.77\.0\.1:22: its host key does not match the one given/);
    expect(await hosts.on(h1, "ip", "netns", "list")).not.toContain("x1");
  });

  it("reads a sysctl on an unreachable host as a failure, never as gone", async () => {
    const s = await create("sysctl", { key: "net.ipv4.conf.all.forwarding", value: 1, netns: "c1", connection: h1.connection, owner: owner("Sysctl", "fw2") });
    await expect(call("sysctl", "read", s.id, { ...s.outs, connection: { ...h1.connection, host: "10.77.0.97" } })).rejects.toThrow(/it is unreachable/);
    expect((await call("sysctl", "read", s.id, s.outs)).id).toBe(s.id);
    await call("sysctl", "delete", s.id, s.outs);
  });

  it("deletes on the host, and a delete on an unreachable host fails instead of passing for done", async () => {
    const n = await create("namespace", { name: "d1", connection: h2.connection, owner: owner("Namespace", "d1") });
    await expect(call("namespace", "delete", n.id, { ...n.outs, connection: { ...h2.connection, host: "10.77.0.98" } })).rejects.toThrow(/it is unreachable/);
    await call("namespace", "delete", n.id, n.outs);
    expect(await hosts.on(h2, "ip", "netns", "list")).not.toContain("d1");
  });
});

describe("ssh's own configuration", () => {
  // The provider in a process of its own whose /etc/ssh/ssh_config (a mount namespace of its
  // own, nothing else sees it) sends every host through a ProxyCommand that fails: what the
  // operator's configuration would do to the stack if ssh read it.
  const reach = async (connection: Record<string, unknown>) => {
    const dir = mkdtempSync(join(tmpdir(), "linuxnet-sshcfg-"));
    try {
      writeFileSync(join(dir, "ssh_config"), "Host *\n  ProxyCommand /bin/false\n");
      const script = [
        `const { hostFor, closeHosts } = require(${JSON.stringify(join(__dirname, "../../provider/hosts"))});`,
        "hostFor(JSON.parse(process.argv[1])).run(['echo', 'reached']).then((r) => console.log(r.stdout), (e) => console.log(e.message)).finally(closeHosts);",
      ].join("\n");
      const mount = 'mount --bind "$1" /etc/ssh/ssh_config && shift && exec "$@"';
      const argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", mount, "sh", join(dir, "ssh_config"), process.execPath, "-e", script, JSON.stringify({ insecureIgnoreHostKey: false, ...connection })];
      return (await run(argv)).stdout.trim();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("is not read: the connection's settings alone reach the host; sshConfig: true reads it", async () => {
    expect(await reach(h1.connection)).toBe("reached");
    expect(await reach({ ...h1.connection, sshConfig: true })).toMatch(/^`echo reached`: ssh to root@10\.77\.0\.1:22: /);
  });
});

describe("the provider's exit", () => {
  // The engine ends a provider with SIGINT and SIGKILLs it 5 s later. Eight masters that do not
  // answer (stopped) cost the old hook 2 s each, one after another, before the keys went.
  it("ends within the engine's 5 s however many masters hang, and leaves no key behind", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "linuxnet-exit-"));
    const conns = [h1, h2].flatMap((h) => [{}, { sshConfig: false }, { insecureIgnoreHostKey: false }, { sshConfig: false, insecureIgnoreHostKey: false }].map((v) => ({ ...h.connection, ...v })));
    const script = [
      `const { hostFor } = require(${JSON.stringify(join(__dirname, "../../provider/hosts"))});`,
      "process.once('SIGINT', () => process.exit(130));", // as the provider process does (hosts/watchdog.ts)
      "setInterval(() => undefined, 1000);",
      "Promise.all(JSON.parse(process.argv[1]).map((c) => hostFor(c).run(['true']))).then(() => console.log('ready'), (e) => console.log(e.message));",
    ].join("\n");
    const child = spawn(process.execPath, ["-e", script, JSON.stringify(conns)], { env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "pipe", "inherit"] });
    const stopped: number[] = [];
    try {
      let said = "";
      child.stdout!.on("data", (d: Buffer) => (said += d.toString()));
      for (let t = 0; t < 600 && !said.includes("\n"); t++) await new Promise((r) => setTimeout(r, 50));
      expect(said.trim()).toBe("ready");
      const [own] = readdirSync(tmp);
      const files = readdirSync(join(tmp, own));
      expect(files.filter((f) => f.startsWith("key-"))).toHaveLength(1);
      const sockets = files.filter((f) => f.startsWith("cm-"));
      expect(sockets).toHaveLength(8);
      for (const sock of sockets) {
        const { stderr } = await run(["ssh", "-F", "none", "-o", `ControlPath=${join(tmp, own, sock)}`, "-O", "check", "x"]);
        stopped.push(Number(/pid=(\d+)/.exec(stderr)?.[1]));
      }
      for (const pid of stopped) process.kill(pid, "SIGSTOP"); // our masters, by PID: they hang
      const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
      child.kill("SIGINT");
      const engine = setTimeout(() => child.kill("SIGKILL"), 5000);
      const end = await exited;
      clearTimeout(engine);
      expect(end).toEqual({ code: 130, signal: null }); // by itself, before the engine's SIGKILL
      expect(readdirSync(tmp)).toEqual([]); // no key, no known_hosts file, no socket
    } finally {
      for (const pid of stopped) for (const sig of ["SIGKILL", "SIGCONT"] as const) try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
      child.kill("SIGKILL");
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe("commands on an SSH host through its long-lived shells", () => {
  const there = () => hostFor({ ...h1.connection, insecureIgnoreHostKey: false });

  it("gives each command its own stdout, stderr and exit status, whatever they hold", async () => {
    // Output that looks like the shell protocol's own header is only output.
    const fake = await there().run(["sh", "-c", "printf 'x\\n@LNX-00 1 0\\n@LNX-00 end 1\\nabc\\n'; printf 'warn\\n\\n@LNX-00 end 1\\n' >&2"]);
    expect(fake).toEqual({ stdout: "x\n@LNX-00 1 0\n@LNX-00 end 1\nabc", stderr: "warn\n\n@LNX-00 end 1" });
    const failed = await there().run(["sh", "-c", "echo half; echo broke >&2; exit 3"]).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CommandError);
    expect(failed).toMatchObject({ exitCode: 3, stderr: "broke" });
    // Input that holds heredoc ends, quotes and command substitutions reaches the command as it is.
    const canary = `/tmp/linuxnet-pwned-${process.pid}-${Date.now()}`;
    const input = `LNX_0011223344556677\nEOF\n'$(touch ${canary})' \`touch ${canary}\` \\ "\n\u00e9\u4e2d\n\nlast line without newline`;
    expect((await there().run(["cat"], undefined, input)).stdout).toBe(input);
    expect(await hosts.on(h1, "sh", "-c", `test -e ${canary} && echo yes || echo no`)).toBe("no");
    // Big output arrives whole; no input means stdin is empty, not the shell's own script.
    expect((await there().run(["head", "-c", "300000", "/dev/zero"])).stdout.length).toBe(300000);
    expect((await there().run(["wc", "-c"])).stdout.trim()).toBe("0");
  });

  it("runs many commands at once, each answered with its own output", async () => {
    const outs = await Promise.all(Array.from({ length: 40 }, (_, k) => there().run(["sh", "-c", `sleep 0.0${k % 5}; echo ${k}; echo e${k} >&2`])));
    expect(outs.map((o) => `${o.stdout}/${o.stderr}`)).toEqual(Array.from({ length: 40 }, (_, k) => `${k}/e${k}`));
  });

  it("ends a command past its limit on the host, with what it started, and says so in one line naming the command", async () => {
    await there().run(["true"]); // a connected shell: the limit is the command's alone
    process.env.LINUXNET_TIMEOUT_COMMAND = "1";
    try {
      await expect(there().run(["sh", "-c", "sleep 37 & sleep 38; echo late"])).rejects.toThrow(
        /^`sh -c sleep 37 & sleep 38; echo late`: on root@10\.77\.0\.1:22: timed out after 1 s \(the limit for one command; LINUXNET_TIMEOUT_COMMAND changes it\); it was ended on the host$/,
      );
    } finally {
      delete process.env.LINUXNET_TIMEOUT_COMMAND;
    }
    // (The test hosts share this machine's PIDs: what runs there is seen here.)
    const left = () => execFileSync("sh", ["-c", "pgrep -f '^sleep 3[78]$' || true"], { encoding: "utf8" }).trim();
    for (let t = 0; t < 100 && left(); t++) await new Promise((r) => setTimeout(r, 50));
    expect(left()).toBe("");
    expect((await there().run(["echo", "next"])).stdout).toBe("next");
  });

  it("says a tool is missing on that host, naming it and the host", async () => {
    await expect(there().run(["no-such-tool-here", "x"])).rejects.toThrow("`no-such-tool-here x`: `no-such-tool-here` is not installed on root@10.77.0.1:22");
  });

  it("never takes a host without ip for one where the object is gone: a delete there fails", async () => {
    // A host whose commands find sh and the shell's helpers, but no ip.
    const bin = mkdtempSync(join(tmpdir(), "linuxnet-noip-"));
    for (const tool of ["sh", "mktemp", "rm", "cat", "stat"]) symlinkSync(execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), join(bin, tool));
    const bare = new SshHosts(78);
    try {
      const [h] = await bare.start(1, "sshn", [`SetEnv PATH=${bin}`]);
      const ns = { name: "gone1", connection: h.connection, owner: owner("Namespace", "gone1") };
      await expect(call("namespace", "delete", "gone1", ns)).rejects.toThrow(/on host root@10\.78\.0\.1:22: .*`ip` is not installed on root@10\.78\.0\.1:22: install iproute2$/);
      await expect(call("namespace", "read", "gone1", ns)).rejects.toThrow(/`ip` is not installed on root@10\.78\.0\.1:22: install iproute2$/);
    } finally {
      await bare.stop();
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("starts a new shell when the one in use has died", async () => {
    await there().run(["true"]);
    // This process's ssh children running a remote shell (`… -- sh -s`): ours, ended by PID.
    const shells = descendants(process.pid).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").includes(`root@${h1.address} -- sh -s`);
      } catch {
        return false;
      }
    });
    expect(shells.length).toBeGreaterThan(0);
    for (const pid of shells) process.kill(pid, "SIGKILL");
    // The provider notices a shell's end when it has reaped it and its pipes have closed (or a
    // second after its exit): wait for the reaping, however loaded the machine, then that second.
    for (let t = 0; t < 200 && shells.some((pid) => existsSync(`/proc/${pid}`)); t++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1100));
    expect((await there().run(["echo", "again"])).stdout).toBe("again");
  });
});

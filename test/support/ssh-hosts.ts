/**
 * SSH test hosts inside the test sandbox: each a network namespace with its own private
 * /run/netns and /run/pulumi-linuxnet (a mount namespace of its own, so the namespaces one
 * "host" makes are its own), its own sshd (Debian's openssh-server, started by us, on the
 * host's address only) and host key, reachable from the sandbox's own namespace (the
 * "control machine") over a bridge; one client key generated per run. `stop` ends the sshd
 * processes by PID and removes the namespaces; everything else dies with the sandbox.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ip, run } from "./local";
import { shellQuote } from "../../provider/hosts/ssh";
import { descendants } from "./pulumi";

export interface TestHost {
  name: string;
  /** The host's network namespace, as seen from the control machine. */
  netns: string;
  address: string;
  /** What a resource's `connection` takes. */
  connection: { host: string; port: number; user: string; privateKey: string; hostKey: string };
  /** The host's temporary directory (its sessions' TMPDIR), readable from the control machine. */
  tmp: string;
}

export class SshHosts {
  readonly dir = mkdtempSync(join(tmpdir(), "linuxnet-ssh-"));
  readonly hosts: TestHost[] = [];
  private readonly sshds: ChildProcess[] = [];
  private readonly bridge: string;

  /** `net`: the hosts' subnet is 10.`net`.0.0/24 (one per SshHosts alive at a time). */
  constructor(private readonly net = 77) {
    this.bridge = `sshlan${net}`;
  }
  private readonly lans: string[] = [];

  /**
   * `count` hosts at 10.NET.0.1, .2, … ; the control machine at 10.NET.0.254. `sshdConfig`:
   * more lines for their sshd_config.
   */
  async start(count: number, prefix = "sshh", sshdConfig: string[] = []): Promise<TestHost[]> {
    await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", join(this.dir, "id")]);
    const privateKey = readFileSync(join(this.dir, "id"), "utf8");
    writeFileSync(join(this.dir, "authorized_keys"), readFileSync(join(this.dir, "id.pub")));
    await ip(["link", "add", "name", this.bridge, "type", "bridge"]);
    await ip(["addr", "add", `10.${this.net}.0.254/24`, "dev", this.bridge]);
    await ip(["link", "set", "dev", this.bridge, "up"]);
    for (let k = 1; k <= count; k++) {
      const name = `${prefix}${k}`;
      const address = `10.${this.net}.0.${k}`;
      await ip(["netns", "add", name]);
      await ip(["link", "set", "dev", "lo", "up"], { netns: name });
      await ip(["link", "add", "name", "mgmt0", "netns", name, "type", "veth", "peer", "name", `${name}c`]);
      await ip(["link", "set", "dev", `${name}c`, "master", this.bridge, "up"]);
      await ip(["addr", "add", `${address}/24`, "dev", "mgmt0"], { netns: name });
      await ip(["link", "set", "dev", "mgmt0", "up"], { netns: name });
      const hostKey = join(this.dir, `host_${k}`);
      await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
      const config = join(this.dir, `sshd_${k}`);
      const tmp = join(this.dir, `tmp_${k}`);
      mkdirSync(tmp);
      writeFileSync(
        config,
        [
          `ListenAddress ${address}`,
          "Port 22",
          `HostKey ${hostKey}`,
          `AuthorizedKeysFile ${join(this.dir, "authorized_keys")}`,
          "PermitRootLogin prohibit-password",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "UsePAM no",
          "StrictModes no",
          "PidFile none",
          "MaxSessions 10", // sshd's default, as on a real host
          "MaxStartups 100:30:200",
          "LogLevel ERROR",
          // sshd takes only the first SetEnv line: the host's TMPDIR joins one given.
          `SetEnv TMPDIR=${tmp} ${sshdConfig.find((l) => l.startsWith("SetEnv "))?.slice(7) ?? ""}`.trim(),
          ...sshdConfig.filter((l) => !l.startsWith("SetEnv ")),
          "",
        ].join("\n"),
      );
      // A mount namespace of the host's own: its /run/netns and records are its own.
      // A home of its own too: the machine's /root/.bashrc (sourced by bash for every ssh command)
      // may run slow or locking set-up (pyenv's rehash takes a lock file that a killed session leaves
      // behind, and every later shell waits 60 s for it), which a fresh host does not have.
      const script = 'mount -t tmpfs h /run/netns && mkdir -p /run/pulumi-linuxnet /run/sshd && mount -t tmpfs r /run/pulumi-linuxnet && mount -t tmpfs home /root && exec /usr/sbin/sshd -D -e -f "$1"';
      // Its log to a file, not a pipe: sshd's session processes (kept by ssh masters) would hold a pipe open.
      const log = join(this.dir, `sshd_${k}.log`);
      const sshd = spawn("ip", ["netns", "exec", name, "unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", config], {
        stdio: ["ignore", "ignore", openSync(log, "w")],
      });
      const said = () => readFileSync(log, "utf8");
      this.sshds.push(sshd);
      const host: TestHost = {
        name,
        netns: name,
        address,
        connection: { host: address, port: 22, user: "root", privateKey, hostKey: readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ") },
        tmp,
      };
      await this.waitFor(host, said);
      this.hosts.push(host);
    }
    return this.hosts;
  }

  /**
   * A LAN between the hosts, as their "physical" NICs: bridge `name` on the control machine,
   * and on every host a link `ifname` (a veth end, up) that is a port of it.
   */
  async lan(name: string, ifname: string): Promise<void> {
    await ip(["link", "add", "name", name, "type", "bridge"]);
    await ip(["link", "set", "dev", name, "up"]);
    this.lans.push(name);
    for (const [k, h] of this.hosts.entries()) {
      await ip(["link", "add", "name", ifname, "netns", h.netns, "type", "veth", "peer", "name", `${name}h${k + 1}`]);
      await ip(["link", "set", "dev", `${name}h${k + 1}`, "master", name, "up"]);
      await ip(["link", "set", "dev", ifname, "up"], { netns: h.netns });
    }
  }

  /**
   * Every connection to the host ends at once, as when it drops off the network: the session
   * processes under its sshd (the provider's masters and shells) are SIGKILLed. The listener
   * stays (a restarted one would come up in a new mount namespace, with an empty /run/netns:
   * another machine), so the host answers again at once.
   */
  dropConnections(host: TestHost): number {
    const sshd = this.sshds[this.hosts.indexOf(host)];
    const sessions = sshd?.pid && sshd.exitCode === null ? descendants(sshd.pid).reverse() : [];
    for (const pid of sessions) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    return sessions.length;
  }

  /** Runs argv on a host through ssh (as the tests check what the provider made there). */
  async on(host: TestHost, ...argv: string[]): Promise<string> {
    const known = join(this.dir, `known_${host.name}`);
    writeFileSync(known, `${host.address} ${host.connection.hostKey}\n`);
    const quoted = argv.map(shellQuote).join(" ");
    const r = await run(["ssh", "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${known}`, "-o", "StrictHostKeyChecking=yes", "-i", join(this.dir, "id"), `root@${host.address}`, "--", quoted]);
    return r.stdout;
  }

  private async waitFor(host: TestHost, said: () => string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      try {
        await this.on(host, "true");
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`sshd on ${host.name} did not answer: ${said()}`);
  }

  /**
   * Ends every sshd we started and the session processes under it (an ssh master kept alive by
   * ControlPersist holds one, and with it the host's namespace, after `netns del`), then
   * deletes the links on the control machine by name: a veth end goes with its pair even
   * while its namespace lives on, so nothing of the hosts is left for later tests to meet.
   */
  async stop(): Promise<void> {
    const pids = this.sshds.flatMap((s) => (s.pid && s.exitCode === null ? [s.pid, ...descendants(s.pid)] : []));
    for (const pid of pids.reverse()) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    const ends = this.hosts.flatMap((h, k) => [`${h.name}c`, ...this.lans.map((l) => `${l}h${k + 1}`)]);
    for (const l of [...ends, this.bridge, ...this.lans]) await ip(["link", "del", "dev", l]).catch(() => undefined);
    for (const h of this.hosts) await ip(["netns", "del", h.netns]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

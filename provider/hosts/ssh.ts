/**
 * Commands on another machine, for the SSH host (ssh-host.ts; nothing else may use this): an argv becomes
 * `ssh [options] user@host -- <argv quoted for the remote shell>`, over one connection per
 * host (OpenSSH ControlMaster), with the host key checked and the private key in a 0600 file
 * of the provider's own, never on a command line, in the state or in a message.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Connection } from "./connection";
import { seconds } from "./limits";

/**
 * One argv element as the remote shell must see it: left bare when it holds only characters
 * no shell treats specially, else single-quoted (a ' inside becomes '\'').
 */
export function shellQuote(token: string): string {
  if (token !== "" && /^[A-Za-z0-9_\/.:=@%+,-]+$/.test(token)) return token;
  return `'${token.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one remote command line: each element quoted, joined by spaces. */
export const remoteCommand = (argv: readonly string[]) => argv.map(shellQuote).join(" ");

let dir: string | undefined;
const masters = new Set<string>();
/** How long the exit hook waits for all masters together: the engine SIGKILLs a provider 5 s after its SIGINT. */
const CLOSE_MASTERS_MS = 2000;

/**
 * Ends master connections (`ssh -O exit` on each control socket), all at once and within
 * CLOSE_MASTERS_MS together, however many there are and however stuck: synchronous, for an
 * exit hook. (A fixed script; the sockets are its arguments.)
 */
export function closeMasters(sockets: readonly string[]): void {
  if (sockets.length === 0) return;
  const script = 'for s; do ssh -F none -o ControlPath="$s" -O exit x </dev/null >/dev/null 2>&1 & done; wait';
  spawnSync("sh", ["-c", script, "sh", ...sockets], { stdio: "ignore", timeout: CLOSE_MASTERS_MS, killSignal: "SIGKILL" });
}

/**
 * The provider's private directory for keys, known_hosts files and control sockets. At exit
 * the keys and known_hosts files go first (a provider killed mid-hook leaves none), then the
 * master connections it started are ended and the directory removed.
 */
function privateDir(): string {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), "pulumi-linuxnet-ssh-"));
    const d = dir;
    process.once("exit", () => {
      for (const f of readdirSync(d)) if (!f.startsWith("cm-")) rmSync(join(d, f), { force: true });
      closeMasters([...masters]);
      rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

const written = new Set<string>();
/**
 * A file of the provider's holding `content` (a key, a known_hosts line), named by its hash:
 * written once, whole (a temporary file renamed), since an ssh started at the same moment may
 * be reading it — rewriting it in place let one read a truncated key ("Permission denied").
 */
const fileFor = (kind: string, content: string) => {
  const path = join(privateDir(), `${kind}-${createHash("sha256").update(content).digest("hex").slice(0, 16)}`);
  if (written.has(path)) return path;
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, content.endsWith("\n") ? content : `${content}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  written.add(path);
  return path;
};

function master(c: Connection): string {
  const path = join(privateDir(), `cm-${createHash("sha256").update(JSON.stringify(c)).digest("hex").slice(0, 20)}`);
  masters.add(path);
  return path;
}

/** ssh's options for a connection: batch mode, one master connection per host, the host key as asked. */
export function sshOptions(c: Connection): string[] {
  const opts = [
    // Only the connection's settings, unless asked: a Host or ProxyCommand line in the
    // operator's ~/.ssh/config must not silently send the stack elsewhere.
    ...(c.sshConfig ? [] : ["-F", "none"]),
    "-o", "BatchMode=yes",
    "-o", `ConnectTimeout=${Math.ceil(seconds("connect"))}`,
    "-o", "ServerAliveInterval=15",
    "-o", "ControlMaster=auto",
    // One master per set of settings: a changed key or host key must not ride an old master.
    "-o", `ControlPath=${master(c)}`,
    "-o", "ControlPersist=60",
    "-o", "LogLevel=ERROR",
    "-p", String(c.port),
  ];
  if (c.privateKey) opts.push("-i", fileFor("key", c.privateKey), "-o", "IdentitiesOnly=yes");
  if (c.hostKey) {
    const host = c.port === 22 ? c.host : `[${c.host}]:${c.port}`;
    opts.push("-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${fileFor("known_hosts", `${host} ${c.hostKey}`)}`);
  } else if (c.knownHosts) opts.push("-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${c.knownHosts}`);
  else if (c.insecureIgnoreHostKey) opts.push("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null");
  else opts.push("-o", "StrictHostKeyChecking=yes");
  return opts;
}

/** `argv` run on the connection's host. */
export function sshArgv(c: Connection, argv: readonly string[]): { argv: string[]; env: Record<string, string> } {
  return {
    argv: ["ssh", ...sshOptions(c), `${c.user}@${c.host}`, "--", remoteCommand(argv)],
    env: c.agentSocket ? { SSH_AUTH_SOCK: c.agentSocket } : {},
  };
}

/**
 * What ssh itself said went wrong (it exits 255), in words for one line; undefined if it is the
 * remote command's failure. (A tool missing there is the remote command's: errors.ts missingTool.)
 */
export function sshProblem(exitCode: number | undefined, stderr: string): string | undefined {
  if (exitCode !== 255) return undefined;
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key for .* has changed|No \S+ host key is known/.test(stderr)) {
    return "its host key does not match the one given (connection.hostKey or connection.knownHosts)";
  }
  if (/Permission denied|Authentication failed|Too many authentication failures/.test(stderr)) return "authentication refused (check connection.user and connection.privateKey)";
  if (/Could not resolve hostname|Name or service not known/.test(stderr)) return "its name does not resolve";
  if (/Connection refused|No route to host|Connection timed out|Network is unreachable|Operation timed out|Connection closed by|port \d+: Connection/.test(stderr)) {
    return "it is unreachable";
  }
  return undefined;
}

/**
 * Which machine a handler works on. A resource's `connection` (SSH to another host) is set
 * around each of its handler calls (kind.ts), and the runner reads it from here: so a kind's
 * file never passes it along, and every command, record and ip session of that call goes to
 * that host. No connection: the machine the provider runs on.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface Connection {
  host: string;
  port: number;
  user: string;
  /** A private key (OpenSSH or PEM text). Kept out of argv, state and messages: written to a 0600 file. */
  privateKey?: string;
  /** An ssh-agent socket to use instead of a key. */
  agentSocket?: string;
  /** The host's public key as known_hosts has it after the host (`ssh-ed25519 AAAA…`): pinned. */
  hostKey?: string;
  /** A known_hosts file to check the host against. */
  knownHosts?: string;
  /** Accept any host key (asked for explicitly; otherwise an unknown or changed host key fails). */
  insecureIgnoreHostKey: boolean;
}

const scope = new AsyncLocalStorage<Connection | undefined>();

/** Runs `work` with `connection` as where its commands go. */
export function on<T>(connection: Connection | undefined, work: () => Promise<T>): Promise<T> {
  return scope.run(connection, work);
}

/** The connection of the handler call this code runs in, if any. */
export const here = (): Connection | undefined => scope.getStore();

/** A host as messages name it: `user@host:port`. */
export const hostLabel = (c: Connection) => `${c.user}@${c.host}:${c.port}`;

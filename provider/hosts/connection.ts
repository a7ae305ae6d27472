/** How to reach another machine over SSH: a resource's `connection`, as the provider takes it. */
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
  /** Read the operator's ssh configuration (~/.ssh/config, /etc/ssh/ssh_config); otherwise ssh runs with `-F none`. */
  sshConfig?: boolean;
}

/** A host as messages name it: `user@host:port`. */
export const hostLabel = (c: Connection) => `${c.user}@${c.host}:${c.port}`;

import * as pulumi from "@pulumi/pulumi";
import { ownerOf } from "../provider/core/owner";
import { remember } from "./topology";

/**
 * The dynamic provider for one resource kind. Pulumi serializes this object into the state as
 * a closure, so it must stay tiny: it captures only the kind's name and loads the compiled
 * implementation (zod, execa and all logic) when the engine calls it. Module-level zod
 * schemas and ESM-only execa would not survive that serialization.
 */
export function providerFor(kind: string): pulumi.dynamic.ResourceProvider {
  // One object per kind: @pulumi/pulumi caches serializations by object identity, so each
  // kind's closure is serialized once per program run instead of once per resource.
  let provider = providers.get(kind);
  if (!provider) {
    const call =
      (method: string) =>
      (...args: unknown[]) =>
        require("pulumi-linuxnet/dist/provider").dispatch(kind, method, args);
    provider = {
      check: call("check"),
      diff: call("diff"),
      create: call("create"),
      read: call("read"),
      update: call("update"),
      delete: call("delete"),
    } as pulumi.dynamic.ResourceProvider;
    providers.set(kind, provider);
  }
  return provider;
}

const providers = new Map<string, pulumi.dynamic.ResourceProvider>();

/** Type tokens read `pulumi-nodejs:dynamic/linuxnet:<Kind>`. */
export const MODULE = "linuxnet";

/** The ownership mark's owner for a resource of this program: project, stack, kind and name. */
export function ownerFor(kind: string, name: string): string {
  return ownerOf(pulumi.getProject(), pulumi.getStack(), kind, name);
}

/** How to reach another machine: SSH, the way `@pulumi/command`'s remote commands do. */
export interface ConnectionArgs {
  /** Host name or address. */
  host: pulumi.Input<string>;
  /** SSH port. Default: 22. */
  port?: pulumi.Input<number>;
  /** User (who may run ip, iptables and sysctl there: root, or one allowed to). Default: root. */
  user?: pulumi.Input<string>;
  /** The private key's text. Give it as `pulumi.secret(...)`: it stays secret in the state, and is only ever written to a 0600 file of the provider's. */
  privateKey?: pulumi.Input<string>;
  /** An ssh-agent socket to authenticate with instead of a key: the absolute path of an existing socket on the machine running `pulumi`. */
  agentSocket?: pulumi.Input<string>;
  /** The host's public key as known_hosts has it after the host name (`ssh-ed25519 AAAA…`): the connection fails unless the host has it. */
  hostKey?: pulumi.Input<string>;
  /** A known_hosts file to check the host against (instead of `hostKey`): the absolute path of an existing file on the machine running `pulumi`. */
  knownHosts?: pulumi.Input<string>;
  /** Accept any host key. Only when asked: without `hostKey`/`knownHosts` the user's known_hosts must know the host. */
  insecureIgnoreHostKey?: pulumi.Input<boolean>;
  /**
   * Let ssh read the operator's configuration (`~/.ssh/config`, `/etc/ssh/ssh_config`: a
   * ProxyJump, a HostName alias, more identities). Default: false, ssh runs with `-F none`
   * and only the settings given here, so the same program reaches the same host on every machine.
   */
  sshConfig?: pulumi.Input<boolean>;
}

/**
 * A machine, said once per program and given to every resource that lives there
 * (`connection: host1`). All of them share one SSH connection to it.
 */
export class Host {
  constructor(
    /** A name for messages. */
    readonly name: string,
    readonly connection: ConnectionArgs,
  ) {
    remember(this, "Host", typeof connection.host === "string" && (connection.port === undefined || typeof connection.port === "number") ? `${connection.host}:${connection.port ?? 22}` : undefined);
  }
}

/**
 * A resource's `connection` as the provider takes it, its private key a secret: also in the
 * state's inputs (`additionalSecretOutputs` covers only outputs), also when given as a plain string.
 */
export function connectionInput(c: CommonArgs["connection"]): pulumi.Input<ConnectionArgs> | undefined {
  const conn = c instanceof Host ? c.connection : c;
  if (conn === undefined) return undefined;
  if (pulumi.Output.isInstance(conn) || conn instanceof Promise) return pulumi.secret(conn); // its fields not known yet: all of it
  return conn.privateKey === undefined ? conn : { ...conn, privateKey: pulumi.secret(conn.privateKey) };
}

/** A resource's options: its connection (and so its key) is a secret output. */
export function withSecretConnection<O extends pulumi.CustomResourceOptions>(opts: O | undefined): O {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection"] } as O;
}

/** Arguments every resource takes. */
export interface CommonArgs {
  /**
   * The machine the resource's kernel objects live on, over SSH: a `Host`, or its connection
   * settings. Omitted: the machine `pulumi` runs on. A new host or port replaces the resource.
   */
  connection?: pulumi.Input<ConnectionArgs> | Host;
  /**
   * Take over an existing object of this name instead of failing: the way in for objects made
   * by hand or by another tool, since `pulumi import` does not work for dynamic providers
   * (pulumi/pulumi#16175). Create then reconciles the object to the declared state (addresses
   * not declared are removed) and marks it as this resource's; from then on it is managed like
   * one the stack made, and `pulumi destroy` deletes it — add Pulumi's `retainOnDelete: true`
   * resource option to keep it when the resource or the stack goes. Objects marked by another
   * stack or resource are never taken over. Without it, create fails on an existing object
   * unless it is this resource's own leftover from an interrupted `pulumi up`. Default: false.
   */
  adopt?: pulumi.Input<boolean>;
}

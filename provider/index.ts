/**
 * Entry point the dynamic-provider closures load at call time (see sdk/provider.ts): one
 * table from kind to handlers. Each kind module is loaded only when first used.
 */
import type { Handlers } from "./core/kind";

const kinds: Record<string, () => Handlers> = {
  namespace: () => require("./kinds/namespace").namespace,
  veth: () => require("./kinds/veth").veth,
  bridge: () => require("./kinds/bridge").bridge,
  vlan: () => require("./kinds/vlan").vlan,
  macvlanNetwork: () => require("./kinds/macvlan-network").macvlanNetwork,
  macvlanEndpoint: () => require("./kinds/macvlan-endpoint").macvlanEndpoint,
  sysctl: () => require("./kinds/sysctl").sysctl,
  route: () => require("./kinds/route").route,
  iptables: () => require("./kinds/iptables").iptables,
};

export type Method = keyof Handlers;

export function handlersFor(kind: string): Handlers {
  const load = kinds[kind];
  if (!load) throw new Error(`pulumi-linuxnet: unknown resource kind "${kind}" (known: ${Object.keys(kinds).join(", ")})`);
  return load();
}

/** Calls one handler; the SDK's provider closures are one-liners around this. */
export function dispatch(kind: string, method: Method, args: unknown[]): Promise<unknown> {
  const h = handlersFor(kind) as unknown as Record<Method, (...a: unknown[]) => Promise<unknown>>;
  return h[method](...args);
}

export { CommandError, InputError } from "./core/errors";

/**
 * Entry point the dynamic-provider closures load at call time (see sdk/provider.ts): one
 * table from kind to handlers. Each kind module is loaded only when first used.
 */
import type { Handlers } from "./kind";
import { watchEngine } from "./watchdog";

// Loaded by the first call the engine makes: from then on the process ends with the engine.
watchEngine();

const kinds: Record<string, () => Handlers> = {
  namespace: () => require("./namespace").namespace,
  veth: () => require("./veth").veth,
  bridge: () => require("./bridge").bridge,
  vlan: () => require("./vlan").vlan,
  macvlanNetwork: () => require("./macvlan-network").macvlanNetwork,
  macvlanEndpoint: () => require("./macvlan-endpoint").macvlanEndpoint,
  sysctl: () => require("./sysctl").sysctl,
  route: () => require("./route").route,
  iptables: () => require("./iptables").iptables,
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

export { CommandError, InputError } from "./errors";

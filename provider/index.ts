/**
 * Entry point the dynamic-provider closures load at call time (see sdk/provider.ts): the kinds
 * of the registry, each kind's module loaded only when first used.
 */
import type { Handlers } from "./core/kind";
import { KINDS } from "./registry";
import { watchEngine } from "./hosts/watchdog";

// Loaded by the first call the engine makes: from then on the process ends with the engine.
watchEngine();

export type Method = keyof Handlers;

export function handlersFor(key: string): Handlers {
  const decl = (KINDS as Record<string, { file: string; key: string }>)[key];
  if (!decl) throw new Error(`pulumi-linuxnet: unknown resource kind "${key}" (known: ${Object.keys(KINDS).join(", ")})`);
  // A path built from the registry's data; the kinds' files are compiled beside this one.
  return (require(`./kinds/${decl.file}`) as Record<string, Handlers>)[decl.key];
}

/** Calls one handler; the SDK's provider closures are one-liners around this. */
export function dispatch(kind: string, method: Method, args: unknown[]): Promise<unknown> {
  const h = handlersFor(kind) as unknown as Record<Method, (...a: unknown[]) => Promise<unknown>>;
  return h[method](...args);
}

export { CommandError, InputError } from "./core/errors";

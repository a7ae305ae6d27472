import type * as pulumi from "@pulumi/pulumi";

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

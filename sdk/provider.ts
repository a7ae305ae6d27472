import type * as pulumi from "@pulumi/pulumi";

/**
 * The dynamic provider for one resource kind. Pulumi serializes this object into the state as
 * a closure, so it must stay tiny: it captures only the kind's name and loads the compiled
 * implementation (zod, execa and all logic) when the engine calls it. Module-level zod
 * schemas and ESM-only execa would not survive that serialization.
 */
export function providerFor(kind: string): pulumi.dynamic.ResourceProvider {
  const call =
    (method: string) =>
    (...args: unknown[]) =>
      require("pulumi-linuxnet/dist/provider").dispatch(kind, method, args);
  return {
    check: call("check"),
    diff: call("diff"),
    create: call("create"),
    read: call("read"),
    update: call("update"),
    delete: call("delete"),
  } as pulumi.dynamic.ResourceProvider;
}

/** Type tokens read `pulumi-nodejs:dynamic/linuxnet:<Kind>`. */
export const MODULE = "linuxnet";

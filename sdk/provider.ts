import * as pulumi from "@pulumi/pulumi";
import { ownerOf } from "../provider/owner";

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

/** Arguments every resource takes. */
export interface CommonArgs {
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

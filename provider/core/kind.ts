/**
 * The shape every resource kind shares. A kind supplies its schema, the fields that force a
 * replacement, and create/read/update/delete; check and diff are derived from that data, so
 * the replace rule lives in one list per kind rather than in per-kind if-chains.
 */
import { z } from "zod";
import { type Connection, type Host, hostFor } from "../hosts";
import { type Attempt, InputError, isKind, objectError, onHost } from "./errors";
import { REPLACE_ON_EVERY_KIND } from "../registry";
import { type Claim, takeOverProblem } from "./owner";
import { checkWith, type CheckFailure, leniently, UNKNOWN, unwrap } from "./validate";

export type Props = Record<string, unknown>;

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/** What `read` found: current inputs and outputs, or undefined when the object is gone. */
export type ReadResult<I, O> = { inputs: I; outs: O } | undefined;

/** What a create found at the resource's kernel name(s) when the kernel said "exists". */
export interface Existing {
  /** How each object found stands to this resource (by its ownership mark). */
  claims: Claim[];
  /** Why it cannot be taken over as it is (say, one veth end whose peer is gone); it is then made afresh. */
  broken?: string;
}

/** Inputs every kind has (see `ownership()` in validate.ts). */
interface Owned {
  adopt: boolean;
}

/**
 * One resource kind. Every handler gets the host its resource lives on (`host`: this machine,
 * or one over SSH), resolved once per call from the resource's `connection`; every command,
 * record and lookup of the call goes through it. `St` is what the state holds beyond the
 * inputs (the outputs recorded last).
 */
export interface KindSpec<S extends z.ZodObject, O extends Props> {
  /** Type name as users see it, e.g. "Namespace". */
  kind: string;
  /** The object as errors name it: kind, name and namespace. */
  subject(inputs: z.output<S>): Omit<Attempt, "verb">;
  schema: S;
  /** Fields (dotted paths for nested ones) whose change means delete-then-create: kernel names are unique. */
  replaceOn: readonly string[];
  /** The id Pulumi keeps for the object (stable across in-place updates). */
  id(inputs: z.output<S>): string;
  create(host: Host, inputs: z.output<S>): Promise<O>;
  /** `state`: the outputs recorded last (what a kind keeps beyond its inputs, e.g. what it found at create). */
  read(host: Host, inputs: z.output<S>, state: Partial<O>): Promise<ReadResult<z.output<S>, O>>;
  /**
   * Makes the kernel match `news` in place; `olds` is the state (after refresh: what the kernel
   * had). Also takes over an existing object at create (`olds` = `news`), so it sets the mark.
   */
  update(host: Host, olds: z.output<S>, news: z.output<S>, state: Partial<O>): Promise<O>;
  /** Removes the object; one already gone, or marked by another owner since, is left as is. */
  delete(host: Host, inputs: z.output<S>, state: Partial<O>): Promise<void>;
  /** What holds the resource's kernel name(s) now, or undefined if nothing does. */
  existing(host: Host, inputs: z.output<S>): Promise<Existing | undefined>;
  /** Checks at preview that need the kernel (a sysctl key exists); run once the inputs are known and valid. */
  checkKernel?(host: Host, inputs: z.output<S>): Promise<CheckFailure[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Creates the object; where the kernel says it exists, decides by its mark. Its own leftover
 * (a create interrupted by a killed CLI or provider, retried by the next `up`) and, with
 * `adopt`, an unmarked object are converged to the inputs and returned as created; another
 * owner's object or an unmarked one without `adopt` fail with one line naming it. A name
 * that vanishes meanwhile, or a broken object still being torn down by the kernel (after
 * `ip netns del`), is retried briefly; a broken leftover of our own is removed and remade.
 */
export async function createOrTakeOver<S extends z.ZodObject, O extends Props>(spec: KindSpec<S, O>, host: Host, inputs: z.output<S>): Promise<O> {
  for (let delay = 25; ; delay *= 2) {
    const retryable = delay <= 800;
    try {
      return await spec.create(host, inputs);
    } catch (e) {
      if (!isKind(e, "exists")) throw e;
      const found = await spec.existing(host, inputs);
      if (!found && retryable) {
        await sleep(delay);
        continue;
      }
      if (!found) throw e;
      const problem = takeOverProblem(found.claims, (inputs as Owned).adopt);
      if (found.broken && !problem && retryable) {
        await spec.delete(host, inputs, {});
        continue;
      }
      if (found.broken && retryable) {
        await sleep(delay);
        continue;
      }
      const subject = { verb: "create", ...spec.subject(inputs) };
      if (found.broken) throw objectError(subject, `${found.broken}${problem ? `; ${problem}` : ""}`, "exists");
      if (problem) throw objectError(subject, problem, "exists");
      // Taken over as the state of an unmarked object (adopt), or of our own leftover.
      const olds = found.claims.some((c) => c.is === "unmarked") ? { ...inputs, owner: undefined } : inputs;
      return spec.update(host, olds, inputs, {});
    }
  }
}

/** Stable comparison: key order must not make two equal values differ. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Props)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/** Input fields, with the fields of nested objects as dotted paths ("end.name"). */
export function fieldPaths(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([key, t]) => {
    const inner = unwrap(t);
    return inner instanceof z.ZodObject ? fieldPaths(inner).map((sub) => `${key}.${sub}`) : [key];
  });
}

function at(props: Props, path: string): unknown {
  let cur: unknown = props;
  for (const key of path.split(".")) {
    if (cur === UNKNOWN) return UNKNOWN;
    cur = cur && typeof cur === "object" ? (cur as Props)[key] : undefined;
  }
  return cur;
}

/** The input fields that differ between olds and news (news may still hold unknowns). */
export function changedFields(fields: readonly string[], olds: Props, news: Props): string[] {
  return fields.filter((f) => at(news, f) === UNKNOWN || canonical(at(olds, f)) !== canonical(at(news, f)));
}

/**
 * changed ∩ replaceOn → replaces, reported as top-level properties (what the engine knows);
 * any replacement deletes first, since kernel names are unique.
 */
export function diffProps(fields: readonly string[], replaceOn: readonly string[], olds: Props, news: Props): DiffResult {
  const changed = changedFields(fields, olds, news);
  const replaces = [...new Set(changed.filter((f) => replaceOn.includes(f)).map((f) => f.split(".")[0]))];
  return { changes: changed.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
}

/** Whether a value is, or holds anywhere, preview's unknown placeholder. */
export function holdsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (v && typeof v === "object") return Object.values(v as Props).some(holdsUnknown);
  return false;
}

/** Drops undefined values: the engine's protobuf Struct conversion rejects them ("Unexpected struct type"). */
export function defined<T>(v: T): T {
  if (Array.isArray(v)) return v.map(defined) as T;
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v as Props).filter(([, x]) => x !== undefined).map(([k, x]) => [k, defined(x)])) as T;
  }
  return v;
}

/** The dynamic-provider methods for one kind, built from its spec. */
export function handlers<S extends z.ZodObject, O extends Props>(spec: KindSpec<S, O>) {
  type I = z.output<S>;
  const fields = fieldPaths(spec.schema);
  // Another machine is another object: a new host or port replaces, whatever the kind.
  const replaceOn = [...spec.replaceOn, ...REPLACE_ON_EVERY_KIND];
  /** Runs a handler on the resource's host, resolved once here; its errors name that host. */
  const onItsHost = async <T>(inputs: unknown, work: (host: Host) => Promise<T>): Promise<T> => {
    const host = hostFor((inputs as { connection?: Connection } | undefined)?.connection);
    try {
      return await work(host);
    } catch (e) {
      throw onHost(e, host.label);
    }
  };
  const topLevel = Object.keys(spec.schema.shape);

  /** Inputs as stored in the state (outputs are a superset of inputs). */
  const parse = (props: Props, what: string): I => {
    const { inputs, failures } = checkWith(spec.schema, props);
    if (!inputs) throw new InputError(`failed to ${what} ${spec.kind}: ${failures.map((f) => f.reason).join("; ")}`);
    return inputs;
  };
  const pick = (props: Props): Props => Object.fromEntries(topLevel.filter((f) => f in props).map((f) => [f, props[f]]));
  /**
   * The inputs recorded in the state. A refresh may have recorded what the kernel had, which
   * the input rules need not accept (an endpoint whose address was flushed by hand): those
   * values are taken as they are, so `up` can still repair the object and `destroy` remove it.
   */
  const state = (props: Props): I => {
    const { inputs } = checkWith(spec.schema, pick(props));
    return inputs ?? (leniently(spec.schema, pick(props)) as I);
  };
  const outputs = (inputs: I, outs: O): Props => defined({ ...inputs, ...outs });

  return {
    async check(_olds: Props, news: Props): Promise<{ inputs?: Props; failures: CheckFailure[] }> {
      const { inputs, failures } = checkWith(spec.schema, news);
      if (failures.length) return { failures };
      const kernel = spec.checkKernel && !holdsUnknown(news) ? await onItsHost(inputs, (host) => spec.checkKernel!(host, inputs!)) : [];
      return kernel.length ? { failures: kernel } : { inputs: defined(inputs as Props), failures: [] };
    },

    /**
     * `changes: true` would reach the engine as DIFF_SOME, and then it computes no per-property
     * diff (`pulumi preview --json` shows no diffReasons, detailedDiff null). Leaving `changes`
     * out when something changed maps to DIFF_UNKNOWN: the engine diffs the inputs itself,
     * property by property, and still takes our `replaces` as the replacement's reasons.
     */
    async diff(_id: string, olds: Props, news: Props): Promise<Omit<DiffResult, "changes"> & { changes?: false }> {
      const { changes, ...rest } = diffProps(fields, replaceOn, pick(olds), pick(news));
      return changes ? rest : { changes: false, ...rest };
    },

    async create(props: Props): Promise<{ id: string; outs: Props }> {
      const inputs = parse(props, "create");
      const outs = await onItsHost(inputs, (host) => createOrTakeOver(spec, host, inputs));
      return { id: spec.id(inputs), outs: outputs(inputs, outs) };
    },

    async read(id: string, props: Props): Promise<{ id: string; props: Props; inputs?: Props }> {
      const old = state(props);
      const found = await onItsHost(old, (host) => spec.read(host, old, props as Partial<O>));
      if (!found) return { id: "", props: {} };
      return { id, props: outputs(found.inputs, found.outs), inputs: defined(found.inputs as Props) };
    },

    async update(_id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
      const o = state(olds);
      const n = parse(news, "update");
      return { outs: outputs(n, await onItsHost(n, (host) => spec.update(host, o, n, olds as Partial<O>))) };
    },

    async delete(_id: string, props: Props): Promise<void> {
      const old = state(props);
      await onItsHost(old, (host) => spec.delete(host, old, props as Partial<O>));
    },
  };
}

export type Handlers = ReturnType<typeof handlers>;

/**
 * Ownership marks: every kernel object the stack creates carries a mark naming the project,
 * the stack and the resource, kept in the kernel itself (a link's alias, a namespace's `lo`
 * alias) so it survives any crash of the CLI or the provider. A create that meets an existing
 * object decides by its mark: its own leftover is converged, anything else is refused or,
 * with `adopt`, taken over. No zod here: the SDK imports this module at program run time.
 */
import { createHash } from "node:crypto";

/** Every mark starts with this, so a mark of ours tells itself apart from a hand-set alias. */
export const MARK_PREFIX = "linuxnet:";

/** IFALIASZ is 256 bytes including the terminating NUL. */
export const MARK_MAX = 255;

/** Percent-encodes all but `A-Z a-z 0-9 _ . ~ -`: a mark must pass through `ip -batch` untouched. */
export function encodePart(s: string): string {
  return [...Buffer.from(s, "utf8")]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9_.~-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

const decodePart = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** The owner the SDK passes as an input: `project/stack/Kind/name`, each part encoded. */
export function ownerOf(project: string, stack: string, kind: string, name: string): string {
  return [project, stack, kind, name].map(encodePart).join("/");
}

export const OWNER_PATTERN = /^[A-Za-z0-9_.~%-]+(\/[A-Za-z0-9_.~%-]+){3}$/;

/**
 * The mark an object of `owner` carries; `role` tells objects of one resource apart (a veth
 * pair's "end" and "peer"). Too long for an alias: a readable head and a hash of the whole.
 */
export function markOf(owner: string, role?: string): string {
  const full = `${MARK_PREFIX}${owner}${role ? `:${role}` : ""}`;
  if (full.length <= MARK_MAX) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 16);
  return `${full.slice(0, MARK_MAX - 17)}~${hash}`;
}

/** The owner recorded in a mark (role stripped), or undefined if the alias is no mark of ours. */
export function ownerInMark(alias: string | undefined): string | undefined {
  if (!alias?.startsWith(MARK_PREFIX)) return undefined;
  return alias.slice(MARK_PREFIX.length).split(":")[0];
}

/** A mark in words: `resource Bridge "br0" of stack "dev" (project "lab")`. */
export function describeOwner(owner: string): string {
  const parts = owner.split("~")[0].split("/");
  if (parts.length < 4) return `a pulumi-linuxnet resource (mark "${owner}")`;
  const [project, stack, kind, name] = parts.map(decodePart);
  return `resource ${kind} "${name}" of stack "${stack}" (project "${project}")`;
}

/** How an existing object stands to a resource about to create it. */
export type Claim = { is: "ours" } | { is: "unmarked"; alias?: string } | { is: "foreign"; owner: string };

export function claimOf(alias: string | undefined, owner: string | undefined, role?: string): Claim {
  if (owner !== undefined && alias === markOf(owner, role)) return { is: "ours" };
  const other = ownerInMark(alias);
  if (other !== undefined) return { is: "foreign", owner: other };
  return { is: "unmarked", alias: alias || undefined };
}

/**
 * Why a create may not take over what it found, or undefined if it may: its own leftover
 * always, an unmarked object only with `adopt`, another owner's object never.
 */
export function takeOverProblem(claims: readonly Claim[], adopt: boolean): string | undefined {
  const foreign = claims.find((c): c is Extract<Claim, { is: "foreign" }> => c.is === "foreign");
  if (foreign) {
    return (
      `it already exists and belongs to ${describeOwner(foreign.owner)}; ` +
      "a resource never takes over another's objects, not even with adopt: remove it from that stack (or delete it by hand) first"
    );
  }
  const unmarked = claims.find((c): c is Extract<Claim, { is: "unmarked" }> => c.is === "unmarked");
  if (unmarked && !adopt) {
    const alias = unmarked.alias ? `its alias is "${unmarked.alias}"` : "it carries no ownership mark";
    return `it already exists and was not made by pulumi-linuxnet (${alias}); set adopt: true to take it over`;
  }
  return undefined;
}

/**
 * Whether an object found at a resource's kernel name is (still) the one the state records:
 * it carries the mark the state records. An object without it — another owner's, or one made
 * by hand after ours went — is left alone (`refresh` reads the resource as gone; taking such
 * an object back needs `adopt`). State from before marks (no owner) accepts an unmarked object.
 */
export function stillOurs(alias: string | undefined, stateOwner: string | undefined, role?: string): boolean {
  if (stateOwner === undefined) return !alias?.startsWith(MARK_PREFIX);
  return alias === markOf(stateOwner, role);
}

/** Why an object at a resource's name is not the one its state records, as one clause for an update's error. */
export function notOurs(what: string, alias: string | undefined): string {
  const other = ownerInMark(alias);
  return `${what} is not this resource's any more (${other ? `it belongs to ${describeOwner(other)}` : "it carries no ownership mark of it: made by hand, or its mark cleared"}); run \`pulumi refresh\`, and set adopt: true to take an unmarked one back`;
}

/** The owner `read` reports: the state's when the mark is intact, else what the mark says (or none). */
export function observedOwner(alias: string | undefined, stateOwner: string | undefined, role?: string): string | undefined {
  return stateOwner !== undefined && alias === markOf(stateOwner, role) ? stateOwner : ownerInMark(alias);
}

/**
 * The `proto` every route the stack makes carries (`ip route … proto 148`): a route has no
 * alias, and its identity is its key (table, destination, metric), so the protocol number
 * marks it as made by pulumi-linuxnet. 148 is unassigned in iproute2's rt_protos.
 */
export const ROUTE_PROTO = "148";

/**
 * A pulumi-linuxnet resource as the model and the CLI read it from a preview or a stack export
 * (cli/resources.ts reads and checks those inputs): its kind, name, properties and planned operation.
 */
import type { Props } from "./values";

export type Op = "create" | "update" | "replace" | "delete" | "same";

/** A property path the engine reports as changed, and how ("add", "update", "delete", with "-replace" when it forces one). */
export type DetailedDiff = Record<string, { kind: string; inputDiff?: boolean }>;

export interface Resource {
  urn: string;
  /** The type token, e.g. `pulumi-nodejs:dynamic/linuxnet:VethPair`. */
  type: string;
  /** The kind: the token's last part ("VethPair"). */
  kind: string;
  /** The resource's name in the program (the URN's last part). */
  name: string;
  /** What it is or will be: the new inputs, or for a delete what the state holds. */
  props: Props;
  op: Op;
  /** The inputs as the program gives them (the provider's checked inputs), where the input has them. */
  inputs?: Props;
  /** The state before the step (preview only). */
  olds?: Props;
  /** The deployed object before the step, outputs first (preview only; absent for creates). */
  deployed?: { props: Props; inputs?: Props };
  /** The inputs after the step (preview only; absent for deletes). */
  news?: Props;
  detailedDiff?: DetailedDiff;
  diffReasons?: string[];
  replaceReasons?: string[];
  /** URNs this resource depends on (a replacement of one of them may replace it too). */
  dependencies: string[];
  parent?: string;
}

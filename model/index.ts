/**
 * The reachability model: from a stack's resources (a preview's or an export's), which
 * namespace reaches which address and why, predicted without a kernel. The CLI, the summary's
 * review and the tests' judge use it through this module; it imports nothing from `cli/`.
 */
export { buildModel, REACH_KINDS } from "./kinds";
export { counts, isAddress, type Matrix, matrixJson, reachabilityMatrix, stackAddresses, stackNamespaces } from "./matrix";
export type { Model, Netns } from "./model";
export { type Answer, type Prediction, predict, Predictor } from "./predict";
export type { DetailedDiff, Op, Resource } from "./resource";

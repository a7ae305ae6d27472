/** The machine the tests run on, as the provider's host object: its methods as plain functions for test code. */
import { local } from "../../provider/hosts";

export { closeHosts, execArgv, ipArgv, NETNS_RUN_DIR } from "../../provider/hosts";
export const ip = local.ip.bind(local);
export const ipJson = local.ipJson.bind(local);
export const ipBatch = local.ipBatch.bind(local);
export const run = local.run.bind(local);
export const readRecord = local.readRecord.bind(local);

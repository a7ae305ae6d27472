import { assertIsolated } from "./guard";

/** jest globalSetup of the kernel and e2e tiers: nothing runs unless the sandbox is real. */
export default async function guardSetup(): Promise<void> {
  await assertIsolated();
}

import { readFileSync } from "node:fs";
import { isolationProblem } from "./guard";

/** The kernel command-line flag scripts/full-kernel.sh boots its VM with, and nothing else does. */
export const FULL_KERNEL_FLAG = "linuxnet.fullkernel=1";

/**
 * jest globalSetup of the fullkernel tier: its tests need kernel features this machine's
 * kernel may lack (802.1Q VLANs), so they run only inside the VM scripts/full-kernel.sh
 * boots: the flag on the kernel command line, and a network namespace holding only `lo`.
 */
export default async function fullKernelSetup(): Promise<void> {
  const cmdline = readFileSync("/proc/cmdline", "utf8").trim().split(/\s+/);
  if (!cmdline.includes(FULL_KERNEL_FLAG)) {
    throw new Error(
      `refusing to run full-kernel tests: the kernel command line lacks ${FULL_KERNEL_FLAG}, so this is not the VM ` +
        "scripts/full-kernel.sh boots. Run them through `scripts/test.sh` (or `scripts/full-kernel.sh jest REPORT`).",
    );
  }
  const problem = await isolationProblem();
  if (problem) throw new Error(`refusing to run full-kernel tests: ${problem}`);
}

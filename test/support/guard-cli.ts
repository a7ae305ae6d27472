/** `node dist/test/support/guard-cli.js`: exit 0 inside a sandbox, 1 (with the reason) elsewhere. */
import { isolationProblem } from "./guard";

isolationProblem().then(
  (problem) => {
    if (problem) {
      process.stderr.write(`refusing: ${problem}\n`);
      process.exit(1);
    }
    process.stdout.write("isolated\n");
  },
  (e) => {
    process.stderr.write(`guard failed: ${e}\n`);
    process.exit(2);
  },
);

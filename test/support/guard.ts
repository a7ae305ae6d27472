/**
 * The kernel and end-to-end tiers change network state, so they must run in a throwaway
 * network namespace. The check: the current namespace holds only `lo`, and no named
 * namespaces are visible. (Comparing /proc/self/ns/net with /proc/1/ns/net is no check:
 * PID 1's link can be unreadable, and then it passes when it must refuse.)
 */
import { readdirSync } from "node:fs";
import { ipJson, NETNS_RUN_DIR } from "./local";

export async function isolationProblem(): Promise<string | undefined> {
  const links = await ipJson<{ ifname: string }>(["link", "show"]);
  const others = links.map((l) => l.ifname).filter((n) => n !== "lo");
  if (others.length) {
    return `this network namespace has interfaces besides lo (${others.join(", ")}): it looks like a real machine's`;
  }
  let named: string[] = [];
  try {
    named = readdirSync(NETNS_RUN_DIR);
  } catch {
    /* no /run/netns: nothing named is visible */
  }
  if (named.length) return `named namespaces are visible in ${NETNS_RUN_DIR} (${named.join(", ")}): it is not a private mount`;
  return undefined;
}

export async function assertIsolated(): Promise<void> {
  const problem = await isolationProblem();
  if (problem) {
    throw new Error(
      `refusing to run kernel tests: ${problem}. Run them through \`npm test\` (scripts/test.sh), ` +
        "which re-executes itself under `unshare --net --mount`.",
    );
  }
}

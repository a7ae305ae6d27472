/**
 * A PATH for the CLI and the provider it starts in which some tools are missing or fail: a
 * folder of symlinks to every program the current PATH finds (the first of each name, as a
 * lookup would), less the tools named, plus small scripts standing in for tools that must
 * fail. Nothing on the machine changes: only the PATH a test hands to the commands it runs.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FaultyPath {
  /** The folder to use as PATH. */
  path: string;
  /** Removes the folder. */
  remove(): void;
}

/**
 * `missing`: tools left out; `failing`: tools replaced by a script that prints `said` on
 * stderr and exits 1 (as a tool that ran and failed).
 */
export function faultyPath(missing: readonly string[], failing: Record<string, string> = {}): FaultyPath {
  const dir = mkdtempSync(join(tmpdir(), "linuxnet-path-"));
  const seen = new Set<string>([...missing, ...Object.keys(failing)]);
  for (const from of (process.env.PATH ?? "").split(":").filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(from);
    } catch {
      continue; // a PATH entry that does not exist
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      try {
        if (!statSync(join(from, name)).isFile()) continue;
      } catch {
        continue; // a dangling link
      }
      seen.add(name);
      symlinkSync(join(from, name), join(dir, name));
    }
  }
  for (const [tool, said] of Object.entries(failing)) {
    writeFileSync(join(dir, tool), `#!/bin/sh\necho ${JSON.stringify(said)} >&2\nexit 1\n`, { mode: 0o755 });
  }
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

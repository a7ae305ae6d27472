#!/usr/bin/env node
// Summarises V8 CPU profiles (node --cpu-prof) by where the time was spent: self time per
// package or part of Node, per profile (one per process), largest first. Used by bench/profile.sh.
//   node bench/cpuprofile-summary.js FILE.cpuprofile ...
"use strict";
const { readFileSync } = require("node:fs");

/** What a call frame's script is, in a few words: a package, our code, or a part of Node. */
function bucket(url, fn) {
  if (!url) return fn === "(garbage collector)" ? "GC" : fn === "(idle)" ? "(idle)" : fn === "(program)" ? "(V8/native)" : "(native)";
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0] === "internal" ? url.slice(5).split("/")[1] : url.slice(5)}`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (!m) return "(program's own code)";
  if (m[1] === "pulumi-linuxnet") return `pulumi-linuxnet/${m[2].split("/").slice(0, 2).join("/")}`;
  if (m[1] === "@pulumi/pulumi") return `@pulumi/pulumi/${m[2].split("/")[0]}`;
  return m[1];
}

/** Profiles by process: the chunks `provider.PID.K.cpuprofile` (bench/provider-cpuprof.js) of one process are summed. */
const groups = new Map();
for (const file of process.argv.slice(2)) {
  const chunked = /provider\.(\d+)\.\d+\.cpuprofile$/.exec(file);
  const key = chunked ? `provider.${chunked[1]}.*.cpuprofile` : file.split("/").pop();
  groups.set(key, [...(groups.get(key) ?? []), file]);
}

for (const [name, files] of groups) {
  const self = new Map();
  const ours = new Map(); // pulumi-linuxnet's own functions, self time
  let role = "other node process";
  for (const file of files) {
    const p = JSON.parse(readFileSync(file, "utf8"));
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const n = byId.get(id);
      const b = bucket(n.callFrame.url, n.callFrame.functionName);
      const ms = (p.timeDeltas[i] ?? 0) / 1000;
      self.set(b, (self.get(b) ?? 0) + ms);
      if (b.startsWith("pulumi-linuxnet/")) {
        const fn = `${n.callFrame.functionName || "(anonymous)"} (${n.callFrame.url.replace(/.*node_modules\/pulumi-linuxnet\//, "")}:${n.callFrame.lineNumber + 1})`;
        ours.set(fn, (ours.get(fn) ?? 0) + ms);
      }
    });
    const main = p.nodes.find((n) => /cmd\/(run|dynamic-provider)\/index\.js$/.test(n.callFrame.url));
    if (main) role = main.callFrame.url.includes("dynamic-provider") ? "dynamic-provider process" : "Node program";
    else if (name.startsWith("provider.")) role = "dynamic-provider process";
  }
  const total = [...self].filter(([b]) => b !== "(idle)").reduce((s, [, ms]) => s + ms, 0);
  if (total < 50) continue; // node -e one-liners
  console.log(`${role} (${name}${files.length > 1 ? `, ${files.length} chunks` : ""}): ${(total / 1000).toFixed(1)} s busy`);
  for (const [b, ms] of [...self].filter(([b]) => b !== "(idle)").sort((a, c) => c[1] - a[1]).slice(0, 10)) {
    console.log(`  ${b.padEnd(44)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${((100 * ms) / total).toFixed(0).padStart(3)}%`);
  }
  const oursTotal = [...ours.values()].reduce((s, ms) => s + ms, 0);
  if (oursTotal >= 50) {
    console.log(`  pulumi-linuxnet's own functions (self time, ${(oursTotal / 1000).toFixed(2)} s in all):`);
    for (const [fn, ms] of [...ours].sort((a, c) => c[1] - a[1]).slice(0, 6)) console.log(`    ${(ms / 1000).toFixed(2).padStart(6)} s  ${fn}`);
  }
}

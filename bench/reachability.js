#!/usr/bin/env node
// Benchmark (not a test; no kernel, no root): how long `pulumi-linuxnet reachability` takes
// to predict every namespace → every address for "N namespaces, each with a veth end and an
// address, peers on one bridge" (the state built in memory as `pulumi stack export` has it),
// against a baseline measured in the same run on the same stack: reading its export (JSON
// parse and the zod check of `fromExport`, what every command does first). Needs dist/.
//   node bench/reachability.js [N ...]        default: 25 50 100 200; LINUXNET_BENCH_REPS (default 3)
const { join } = require("node:path");
const dist = join(__dirname, "..", "dist");
const { buildModel, reachabilityMatrix } = require(join(dist, "model"));
const { fromExport } = require(join(dist, "cli/resources"));

const sizes = process.argv.slice(2).map(Number);
const reps = Number(process.env.LINUXNET_BENCH_REPS ?? 3);
const resource = (kind, name, props) => ({ urn: `urn:pulumi:b::b::pulumi-nodejs:dynamic/linuxnet:${kind}::${name}`, type: `pulumi-nodejs:dynamic/linuxnet:${kind}`, kind, name, props, inputs: props, op: "same", dependencies: [] });
const end = (name, netns, addresses, master) => ({ name, netns, addresses, up: true, ...(master && { master }) });

function state(n) {
  const rs = [resource("Namespace", "host", { name: "host", loopbackUp: true }), resource("Bridge", "br0", { name: "br0", netns: "host", addresses: ["10.200.0.1/16"], up: true, stp: false })];
  for (let i = 0; i < n; i++) {
    rs.push(resource("Namespace", `b${i}`, { name: `b${i}`, loopbackUp: true }));
    rs.push(resource("VethPair", `b${i}`, { end: end("eth0", `b${i}`, [`10.200.${1 + Math.floor(i / 250)}.${(i % 250) + 1}/16`]), peer: end(`v${i}`, "host", [], "br0") }));
  }
  return rs;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (f) => {
  const t0 = performance.now();
  const out = f();
  return [performance.now() - t0, out];
};

console.log("N      pairs   predict all (ms)   per pair (µs)   read export (ms, baseline)   ratio");
for (const n of sizes.length ? sizes : [25, 50, 100, 200]) {
  const rs = state(n);
  const exported = JSON.stringify({ version: 3, deployment: { resources: rs.map((r) => ({ urn: r.urn, type: r.type, inputs: r.props, outputs: r.props })) } });
  const predicted = [];
  const graphed = [];
  let pairs = 0;
  for (let r = -1; r < reps; r++) {
    const [g] = time(() => fromExport(JSON.parse(exported), "bench"));
    const [p, m] = time(() => reachabilityMatrix(buildModel(rs, {})));
    if (m.pairs.some((x) => x.answer !== "reachable")) throw new Error("bench: a pair of the lab is not reachable: the state is wrong");
    pairs = m.pairs.length;
    if (r < 0) continue; // a warm-up run, not counted
    graphed.push(g);
    predicted.push(p);
  }
  const [p, g] = [median(predicted), median(graphed)];
  console.log(`${String(n).padEnd(6)} ${String(pairs).padEnd(7)} ${p.toFixed(0).padStart(16)}   ${((p * 1000) / pairs).toFixed(0).padStart(13)}   ${g.toFixed(1).padStart(26)}   ${(p / g).toFixed(0).padStart(5)}x`);
}

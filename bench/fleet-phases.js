// Where a NamespaceFleet's time goes (bench/fleet-phases.sh runs it in the sandbox): its
// handlers (create, read, update of one member, delete) called as the engine calls them on N
// members whose ports are on br0, each timed, and within each the processes the provider's host
// started, by kind: their count and summed seconds (several run at once, so a sum can exceed
// the wall time) and the wall time from the first one's start to the last one's end.
//   node bench/fleet-phases.js N
const { namespaceFleet } = require("../dist/provider/kinds/namespace-fleet");
const { ownerOf } = require("../dist/provider/core/owner");
const { hostFor } = require("../dist/provider/hosts");

const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n < 1 || n > 1023) throw new Error(`fleet-phases: N from 1 to 1023, not '${process.argv[2]}'`);
const host = hostFor(undefined);
let calls = new Map();
const kindOf = (argv) => {
  const s = argv.join(" ");
  if (/^ip (-n \S+ )?.*-batch/.test(s)) return argv[1] === "-n" ? "ip -n MEMBER -batch" : "ip -batch in the own namespace (members' chunks, ports)";
  if (/^ip netns exec \S+ sh -c/.test(s)) return "the delete's look inside (sh: ip, iptables-save, ip6tables-save)";
  return argv.slice(0, argv[0] === "ip" ? 3 : 1).join(" ");
};
const run = host.run.bind(host);
host.run = async (argv, ...rest) => {
  const k = kindOf(argv);
  const t0 = performance.now();
  try {
    return await run(argv, ...rest);
  } finally {
    const t1 = performance.now();
    const c = calls.get(k) ?? { count: 0, sum: 0, first: t0, last: t1 };
    c.count++, (c.sum += t1 - t0), (c.first = Math.min(c.first, t0)), (c.last = Math.max(c.last, t1));
    calls.set(k, c);
  }
};
async function phase(what, f) {
  calls = new Map();
  const t0 = performance.now();
  const r = await f();
  console.log(`${what}: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  for (const [k, c] of [...calls].sort((a, b) => b[1].sum - a[1].sum))
    console.log(`  ${k.padEnd(64)} ${String(c.count).padStart(5)} processes, ${(c.sum / 1000).toFixed(2).padStart(6)} s summed, ${((c.last - c.first) / 1000).toFixed(2).padStart(6)} s first to last`);
  return r;
}
(async () => {
  const check = async (props) => {
    const r = await namespaceFleet.check({}, props);
    if (r.failures.length) throw new Error(JSON.stringify(r.failures));
    return r.inputs;
  };
  const props = { count: n, namePrefix: "b", bridge: "br0", subnet: "10.200.0.0/16", owner: ownerOf("bench", "phases", "NamespaceFleet", "b") };
  const inputs = await phase("check", () => check(props));
  const { id, outs } = await phase("create", () => namespaceFleet.create(inputs));
  await phase("read (refresh)", () => namespaceFleet.read(id, { ...inputs, ...outs }));
  const members = inputs.members.map((m, k) => (k === 0 ? { ...m, addresses: ["10.200.255.250/16"] } : m));
  const news = await check({ ...props, count: undefined, namePrefix: undefined, members: members.map((m) => ({ name: m.name, ...(m.name === "b0" ? { addresses: m.addresses } : {}) })) });
  const updated = await phase("update of b0's address", () => namespaceFleet.update(id, { ...inputs, ...outs }, news));
  await phase("delete", () => namespaceFleet.delete(id, { ...news, ...updated.outs }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

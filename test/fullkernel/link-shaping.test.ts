/**
 * LinkShaping's netem on a kernel that has it (Debian's, in the VM), driven through the
 * provider's own `dispatch`: a delay measured as round-trip time, loss, netem ⇄ tbf in place,
 * a distribution dropped, drift by hand, and delete back to the kernel's default qdisc.
 */
import { dispatch } from "../../provider";
import { ownerOf } from "../../provider/core/owner";
import { ip, run } from "../support/local";

// Under emulation every process costs ~80 ms and the first call loads the provider over 9p.
jest.setTimeout(240_000);

type Props = Record<string, unknown>;
const call = <T = Props>(method: string, ...args: unknown[]) => dispatch("linkShaping", method as never, args) as Promise<T>;

const made = new Set<string>();
afterEach(async () => {
  for (const ns of made) await ip(["netns", "del", ns]).catch(() => undefined);
  made.clear();
});

let counter = 0;
/** Two namespaces joined by a veth x—x (10.9.0.1/24, 10.9.0.2/24). */
async function pair(): Promise<[string, string]> {
  const [a, b] = [`sha${counter}`, `shb${counter++}`];
  for (const ns of [a, b]) (await ip(["netns", "add", ns]), made.add(ns));
  await ip(["link", "add", "x", "netns", a, "type", "veth", "peer", "name", "x", "netns", b]);
  for (const [ns, addr] of [[a, "10.9.0.1/24"], [b, "10.9.0.2/24"]]) {
    await ip(["addr", "add", addr, "dev", "x"], { netns: ns });
    await ip(["link", "set", "x", "up"], { netns: ns });
  }
  return [a, b];
}

async function checked(props: Props): Promise<Props> {
  const { inputs, failures } = await call<{ inputs: Props; failures: unknown[] }>("check", {}, props);
  expect(failures).toEqual([]);
  return inputs;
}
const create = async (props: Props) => call<{ id: string; outs: Props }>("create", await checked(props));
const root = async (ns: string) => JSON.parse((await run(["tc", "-n", ns, "-j", "qdisc", "show", "dev", "x", "root"])).stdout)[0] as { kind: string; handle: string; options: Props };

/** Round-trip times (ms) of `count` pings; [] when none came back. */
async function rtts(from: string, to: string, count: number): Promise<number[]> {
  const out = await run(["ip", "netns", "exec", from, "ping", "-c", String(count), "-i", "0.2", "-W", "2", to]).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? "",
  );
  return [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
}

describe("LinkShaping with netem on a full kernel", () => {
  it("delays each direction by its delay: the round trip is at least twice the delay; loss 100% drops every packet", async () => {
    const [a, b] = await pair();
    const owner = (n: string) => ownerOf("lab", "dev", "LinkShaping", n);
    const sa = await create({ dev: "x", netns: a, delay: "50ms", owner: owner("a") });
    const sb = await create({ dev: "x", netns: b, delay: "50ms", owner: owner("b") });
    expect(sa.outs).toMatchObject({ qdisc: "netem", found: "noqueue 0:" });
    expect(await root(a)).toMatchObject({ kind: "netem", handle: "148:", options: { delay: { delay: 0.05 } } });
    const times = await rtts(a, "10.9.0.2", 5);
    expect(times.length).toBe(5);
    const ratio = Math.min(...times) / 50;
    process.stdout.write(`netem delay 50ms on both ends: round trips ${times.join(", ")} ms; min/delay = ${ratio.toFixed(2)} (>= 2 expected)\n`);
    expect(ratio).toBeGreaterThanOrEqual(2);

    const lossy = await checked({ dev: "x", netns: a, delay: "50ms", loss: 100, owner: owner("a") });
    expect(await call("diff", sa.id, sa.outs, lossy)).toEqual({ replaces: [], deleteBeforeReplace: false });
    const u = await call<{ outs: Props }>("update", sa.id, sa.outs, lossy);
    expect(await rtts(a, "10.9.0.2", 3)).toEqual([]);
    await call("delete", sa.id, u.outs);
    await call("delete", sb.id, sb.outs);
    expect(await root(a)).toMatchObject({ kind: "noqueue", handle: "0:" });
    expect(await root(b)).toMatchObject({ kind: "noqueue", handle: "0:" });
  });

  it("switches netem to tbf and back in place, drops a distribution, reads a change by hand", async () => {
    const [a] = await pair();
    const base = { dev: "x", netns: a, owner: ownerOf("lab", "dev", "LinkShaping", "w") };
    const c = await create({ ...base, delay: "20ms", jitter: "5ms", distribution: "normal", rate: "10mbit" });
    expect(await root(a)).toMatchObject({ kind: "netem", options: { delay: { delay: 0.02, jitter: 0.005 }, rate: { rate: 1_250_000 } } });
    const read = await call<{ inputs: Props }>("read", c.id, c.outs);
    expect(read.inputs).toMatchObject({ delay: "20ms", jitter: "5ms", distribution: "normal", rate: "10mbit" });

    const tbf = await call<{ outs: Props }>("update", c.id, c.outs, await checked({ ...base, rate: "10mbit" }));
    expect(tbf.outs).toMatchObject({ qdisc: "tbf" });
    expect(await root(a)).toMatchObject({ kind: "tbf", handle: "148:", options: { rate: 1_250_000 } });
    const netem = await call<{ outs: Props }>("update", c.id, tbf.outs, await checked({ ...base, delay: "20ms", jitter: "5ms", distribution: "pareto" }));
    expect(await root(a)).toMatchObject({ kind: "netem", options: { delay: { delay: 0.02 } } });
    // no distribution any more: netem keeps a table once given, so the qdisc is made afresh
    const plain = await call<{ outs: Props }>("update", c.id, netem.outs, await checked({ ...base, delay: "20ms", jitter: "5ms" }));
    expect(await root(a)).toMatchObject({ kind: "netem", handle: "148:" });

    await run(["tc", "-n", a, "qdisc", "change", "dev", "x", "root", "handle", "148:", "netem", "delay", "7ms", "loss", "random", "2%"]);
    const drift = await call<{ inputs: Props }>("read", c.id, plain.outs);
    expect(drift.inputs).toMatchObject({ delay: "7ms", loss: 2 });
    expect(drift.inputs.jitter).toBeUndefined();
    await call("delete", c.id, plain.outs);
    expect(await root(a)).toMatchObject({ kind: "noqueue", handle: "0:" });
  });
});

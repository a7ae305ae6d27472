import { argv, defaultBurst, observedShaping, parseRoot, qdiscOf, seenOf, shapingProblem, tcArgv } from "../../provider/core/qdisc";
import { schema } from "../../provider/kinds/link-shaping";
import { checkWith } from "../../provider/core/validate";

const check = (v: Record<string, unknown>) => checkWith(schema, v);
const inputs = (v: Record<string, unknown>) => {
  const c = check(v);
  if (!c.inputs) throw new Error(JSON.stringify(c.failures));
  return c.inputs;
};

// What `tc -j -raw qdisc show dev va root` printed (iproute2 6.1): tbf here, netem in the full-kernel VM.
const TBF = '[{"kind":"tbf","handle":"148:","root":true,"refcnt":3,"options":{"rate":1250000,"burst":12500,"burst_raw":"2625a","lat":111120,"limit":151400}}]';
const NETEM =
  '[{"kind":"netem","handle":"148:","root":true,"refcnt":3,"options":{"limit":500,"delay":{"delay":0.05,"jitter":0.01,"correlation":0},' +
  '"loss-random":{"loss":0.01,"correlation":0},"duplicate":{"duplicate":0.02,"correlation":0},"reorder":{"reorder":0.1,"correlation":0},' +
  '"corrupt":{"corrupt":0.005,"correlation":0},"rate":{"rate":1250000,"packetoverhead":0,"cellsize":0,"celloverhead":0},"ecn":false,"gap":1}}]';
const DEFAULT = '[{"kind":"noqueue","handle":"0:","root":true,"refcnt":2,"options":{}}]';

describe("LinkShaping inputs", () => {
  it("normalizes units and picks the qdisc: tbf for a rate alone, netem for any impairment", () => {
    const tbf = inputs({ dev: "eth0", rate: "10000kbit" });
    expect(tbf).toMatchObject({ dev: "eth0", rate: "10mbit", adopt: false });
    expect(qdiscOf(tbf)).toBe("tbf");
    const netem = inputs({ dev: "eth0", delay: "0.05s", jitter: "10ms", loss: "1%", rate: "1mbit" });
    expect(netem).toMatchObject({ delay: "50ms", jitter: "10ms", loss: 1, rate: "1mbit" });
    expect(qdiscOf(netem)).toBe("netem");
  });

  it.each([
    [{ dev: "eth0" }, "rate", "invalid shaping (must set at least one of delay, jitter, loss, duplicate, corrupt, reorder or rate)"],
    [{ dev: "eth0", jitter: "10ms" }, "jitter", 'invalid jitter "10ms" (must be given with delay: jitter varies the delay around it)'],
    [{ dev: "eth0", delay: "10ms", distribution: "normal" }, "distribution", 'invalid distribution "normal" (must be given with jitter: it shapes how the delay varies)'],
    [{ dev: "eth0", loss: 1, reorder: 25 }, "reorder", "invalid reorder 25 (must be given with delay: netem reorders by sending some packets at once and delaying the rest)"],
    [{ dev: "eth0", delay: "5ms", rate: "1mbit", burst: 4096 }, "burst", "invalid burst 4096 (must be given only with rate alone: it is tbf's bucket; netem's rate has none)"],
    [{ dev: "eth0", loss: 101 }, "loss", 'invalid loss 101 (must be a percentage from 0 to 100, like 1 or "0.5%")'],
    [{ dev: "eth0", rate: "10mb" }, "rate", expect.stringMatching(/^invalid rate "10mb" \(must be a rate like "10mbit"/)],
    [{ dev: "eth0", delay: "50" }, "delay", 'invalid delay "50" (must be a duration like "50ms", "100us" or "1.5s", at most 60s)'],
    [{ dev: "eth0", delay: "5ms", distribution: "gauss", jitter: "1ms" }, "distribution", 'invalid distribution "gauss" (must be one of "uniform", "normal", "pareto", "paretonormal")'],
    [{ dev: "eth0", rate: "1mbit", limit: 0 }, "limit", "invalid limit 0 (must be a whole number of packets from 1 to 1000000)"],
    [{ dev: "eth 0", rate: "1mbit" }, "dev", 'invalid dev "eth 0" (must not contain whitespace)'],
  ])("refuses %j at preview, naming field, value and rule", (props, property, reason) => {
    expect(check(props).failures).toEqual([{ property, reason }]);
  });

  it("builds tbf with a bucket of 10 ms at the rate and a queue of limit full frames", () => {
    const i = inputs({ dev: "va", rate: "10mbit", limit: 100 });
    expect(defaultBurst(i, 1500)).toBe(12500);
    expect(argv.replace(i, 1500)).toEqual(["qdisc", "replace", "dev", "va", "root", "handle", "148:", "tbf", "rate", "10000000bit", "burst", "12500", "limit", "151400"]);
    expect(argv.qdisc(inputs({ dev: "va", rate: "64kbit", burst: "4kb" }), 1500)).toEqual(["tbf", "rate", "64000bit", "burst", "4096", "latency", "50ms"]);
  });

  it("builds netem with every option given, zeros included (replace keeps the options it is not given)", () => {
    const i = inputs({ dev: "va", delay: "50ms", jitter: "10ms", distribution: "normal", loss: 1 });
    expect(argv.qdisc(i, 1500)).toEqual([
      "netem", "limit", "1000", "delay", "50000us", "10000us", "0%", "distribution", "normal",
      "loss", "random", "1%", "duplicate", "0%", "reorder", "0%", "corrupt", "0%", "rate", "0bit",
    ]);
    expect(tcArgv(argv.show("va"), { netns: "h1" })).toEqual(["tc", "-n", "h1", "-j", "-raw", "qdisc", "show", "dev", "va", "root"]);
    expect(argv.del("va")).toEqual(["qdisc", "del", "dev", "va", "root"]);
  });
});

describe("reading tc -j back", () => {
  it("parses the root qdisc, and none where tc shows none", () => {
    expect(parseRoot(DEFAULT)).toEqual({ kind: "noqueue", handle: "0:", options: {} });
    expect(parseRoot("[]")).toBeUndefined();
    expect(parseRoot("")).toBeUndefined();
  });

  it("reads tbf's rate, bucket and queue (in packets of the link's MTU)", () => {
    expect(seenOf(parseRoot(TBF)!, 1500)).toMatchObject({ qdisc: "tbf", rateBits: 10e6, burst: 12500, limitPackets: 100, delayUs: 0 });
    const i = inputs({ dev: "va", rate: "10mbit", limit: 100 });
    expect(observedShaping(i, seenOf(parseRoot(TBF)!, 1500), undefined)).toEqual(i);
    expect(shapingProblem(i, seenOf(parseRoot(TBF)!, 1500), undefined)).toBeUndefined();
  });

  it("reads netem's options, equal to the declared ones within the kernel's rounding", () => {
    const i = inputs({ dev: "va", delay: "50ms", jitter: "10ms", loss: 1, duplicate: 2, reorder: 10, corrupt: "0.5%", rate: "10mbit", limit: 500 });
    const seen = seenOf(parseRoot(NETEM)!, 1500);
    expect(seen).toMatchObject({ qdisc: "netem", delayUs: 50_000, jitterUs: 10_000, loss: 1, duplicate: 2, reorder: 10, corrupt: 0.5, rateBits: 10e6, limitPackets: 500 });
    expect(observedShaping(i, seen, undefined)).toEqual(i);
    // 1.5ms reads back as 1499us (clock ticks): still what was declared
    const tick = seenOf({ kind: "netem", handle: "148:", options: { limit: 1000, delay: { delay: 0.001499, jitter: 0 } } }, 1500);
    expect(observedShaping(inputs({ dev: "va", delay: "1500us" }), tick, undefined).delay).toBe("1500us");
  });

  it("reports what was changed by hand: another rate, a loss gone, netem where tbf was", () => {
    const i = inputs({ dev: "va", delay: "50ms", jitter: "10ms", loss: 3, rate: "5mbit", limit: 500 });
    const o = observedShaping(i, seenOf(parseRoot(NETEM)!, 1500), "normal");
    expect(o).toMatchObject({ delay: "50ms", loss: 1, rate: "10mbit", duplicate: 2, distribution: "normal" });
    expect(shapingProblem(i, seenOf(parseRoot(NETEM)!, 1500), undefined)).toBe("loss is 1; duplicate is 2; corrupt is 0.5; reorder is 10; rate is 10mbit");
    expect(shapingProblem(inputs({ dev: "va", rate: "10mbit" }), seenOf(parseRoot(NETEM)!, 1500), undefined)).toBe("the root qdisc is netem, not tbf");
  });
});

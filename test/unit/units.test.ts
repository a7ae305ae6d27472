import { z } from "zod";
import { duration, formatDuration, formatRate, parseDuration, parseRate, parseSize, percent, rate, size } from "../../provider/core/units";

const parse = (t: z.ZodType, v: unknown) => {
  const r = t.safeParse(v);
  return r.success ? r.data : r.error.issues[0].message;
};

describe("tc's units", () => {
  it("reads durations in microseconds and spells them the shortest exact way", () => {
    expect([parseDuration("50ms"), parseDuration("100us"), parseDuration("1.5s"), parseDuration("1.5ms")]).toEqual([50_000, 100, 1_500_000, 1500]);
    expect([formatDuration(50_000), formatDuration(1500), formatDuration(2_000_000), formatDuration(0)]).toEqual(["50ms", "1500us", "2s", "0us"]);
    expect(parse(duration("delay"), "0.05s")).toBe("50ms");
  });

  it.each(["50", "50 ms", "5m", "-1ms", "1e3ms", "61s"])("refuses the duration %j, naming field, value and rule", (v) => {
    expect(parse(duration("delay"), v)).toBe(`invalid delay ${JSON.stringify(v)} (must be a duration like "50ms", "100us" or "1.5s", at most 60s)`);
  });

  it("reads rates in bits per second (bps: bytes, as in tc) and spells them the shortest exact way", () => {
    expect([parseRate("10mbit"), parseRate("1.5mbit"), parseRate("1gbit"), parseRate("100kbps"), parseRate("10Mbit")]).toEqual([10e6, 1.5e6, 1e9, 800_000, 10e6]);
    expect([formatRate(10e6), formatRate(1.5e6), formatRate(64)]).toEqual(["10mbit", "1500kbit", "64bit"]);
    expect(parse(rate("rate"), "10000kbit")).toBe("10mbit");
  });

  it.each(["10", "10mb", "fast", "4bit", "2tbit"])("refuses the rate %j", (v) => {
    expect(parse(rate("rate"), v)).toMatch(new RegExp(`^invalid rate "${v}" \\(must be a rate like "10mbit"`));
  });

  it("reads sizes in bytes with tc's binary k and m", () => {
    expect([parseSize(1500), parseSize("32kb"), parseSize("1m"), parseSize("100b"), parseSize("1.5k")]).toEqual([1500, 32768, 1048576, 100, undefined]);
    expect(parse(size("burst"), "32kb")).toBe(32768);
    expect(parse(size("burst"), 10)).toBe("invalid burst 10 (must be a whole number of bytes or a size like \"32kb\" or \"1mb\", from 64 bytes to 64mb)");
  });

  it("takes percentages 0-100 as numbers or N% strings, and refuses the rest", () => {
    expect([parse(percent("loss"), 1), parse(percent("loss"), "0.5%"), parse(percent("loss"), 0), parse(percent("loss"), 100)]).toEqual([1, 0.5, 0, 100]);
    for (const v of [101, -1, "1", "x%", "150%"]) expect(parse(percent("loss"), v)).toBe(`invalid loss ${JSON.stringify(v)} (must be a percentage from 0 to 100, like 1 or "0.5%")`);
  });
});

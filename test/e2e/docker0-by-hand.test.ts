import { linkState, links, namedNamespaces, pings } from "../support/kernel";
import { exampleDir, PulumiStack } from "../support/pulumi";
import { expectJudged, judgeReachability } from "../support/reachability";

jest.setTimeout(300_000);

const addresses = ["172.17.0.101", "172.17.0.102", "172.17.0.103"];

describe("examples/docker0-by-hand (scenario 3) through the real pulumi CLI", () => {
  const stack = new PulumiStack(exampleDir("docker0-by-hand"));
  beforeAll(() => stack.init());
  afterAll(() => stack.dispose());

  it("up: every namespace has eth0 on docker0 and pings the bridge and the other two", async () => {
    await stack.up();
    expectJudged(await judgeReachability(stack, "examples/docker0-by-hand after up"), { ipv4: { compared: 16 }, ipv6: { compared: 6 } });
    for (const [i, ns] of ["ns0", "ns1", "ns2"].entries()) {
      expect((await linkState(`veth${i}`))?.master).toBe("docker0");
      expect(await pings(ns, "172.17.0.1")).toBe(true);
      for (const other of addresses.filter((_, j) => j !== i)) expect(await pings(ns, other)).toBe(true);
    }
    const out = await stack.outputs();
    expect((out.containers as Array<{ address: string }>).map((c) => c.address)).toEqual(addresses.map((a) => `${a}/16`));
    // the example's probes: nine pairs, each reached directly
    const seen = out.seen as Record<string, { reachable: boolean; ttl: number }>;
    expect(Object.keys(seen)).toHaveLength(9);
    expect(seen["ns0 → docker0"]).toMatchObject({ reachable: true, ttl: 64 });
    for (const [pair, s] of Object.entries(seen)) expect([pair, s.reachable, s.ttl]).toEqual([pair, true, 64]);
  });

  it("previews no changes right after up", async () => {
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("destroy leaves no namespace, link or address behind", async () => {
    await stack.destroy();
    expect(namedNamespaces().filter((n) => /^ns[0-2]$/.test(n))).toEqual([]);
    expect((await links()).map((l) => l.ifname)).toEqual(["lo"]);
  });
});

/**
 * `expectReachability` (sdk/probe.ts) with IPv6 destinations, under Pulumi's own resource
 * mocks (`pulumi.runtime.setMocks`: no engine, no kernel): each stated pair becomes one Probe
 * whose `to` is the destination as given — a global IPv6 address, one with a link's prefix
 * length, a link-local one with its interface — and the provider's check takes each (the
 * end-to-end run is test/e2e/probe.test.ts on test/programs/probe).
 */
import * as pulumi from "@pulumi/pulumi";
import { checkWith } from "../../provider/core/validate";
import { schema } from "../../provider/kinds/probe";

pulumi.runtime.setMocks(
  {
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: (args) => args.inputs,
  },
  "expect-reachability",
  "unit",
  false,
);

// Loaded after the mocks are set: the SDK registers resources through them.
const { expectReachability } = require("../../sdk/probe") as typeof import("../../sdk/probe");

const resolved = <T>(o: pulumi.Output<T>) => new Promise<T>((done) => o.apply(done));

describe("expectReachability with IPv6 destinations", () => {
  it("makes one probe per pair, to an IPv6 global address, a link's address with its prefix, and a link-local address with its interface, as given", async () => {
    const probes = expectReachability("lab", {
      from: { a: "probe-a" },
      to: { b6: "fd00:31:2::2", link: pulumi.output("fd00:31:1::1/64"), rll: "fe80::1%eth0", b4: "10.31.2.2" },
      reachable: { a: [{ to: "b6", ttl: 63 }, "link", { to: "rll", ttl: 64 }] },
      unreachable: { a: ["b4"] },
    });
    expect(Object.keys(probes)).toEqual(["a → b6", "a → link", "a → rll", "a → b4"]);
    const to = await Promise.all(Object.values(probes).map((p) => resolved(p.to)));
    expect(to).toEqual(["fd00:31:2::2", "fd00:31:1::1/64", "fe80::1%eth0", "10.31.2.2"]);
    expect(await resolved(probes["a → b6"].ttl)).toBe(63);
    expect(await resolved(probes["a → rll"].expect)).toBe("reachable");
    expect(await resolved(probes["a → b4"].expect)).toBe("unreachable");
    // What the provider makes of each (its check, as `up` runs it): the address, no prefix length; the interface kept.
    expect(to.map((t) => checkWith(schema, { to: t }).inputs?.to)).toEqual(["fd00:31:2::2", "fd00:31:1::1", "fe80::1%eth0", "10.31.2.2"]);
  });

  it("names a probe by the destination's name, not its address: an IPv6 address's colons and zone never reach a resource name", async () => {
    const probes = expectReachability("ll", { from: { r: "probe-r" }, to: { "a-ll": "fe80::2%toa" }, reachable: { r: ["a-ll"] } });
    expect(Object.keys(probes)).toEqual(["r → a-ll"]);
    expect(await resolved(probes["r → a-ll"].urn)).toMatch(/dynamic\/linuxnet:Probe::ll-r-a-ll$/);
    expect(await resolved(probes["r → a-ll"].to)).toBe("fe80::2%toa");
  });
});

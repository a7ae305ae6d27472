/**
 * examples/docker0-nat (dual-stack) through the real CLI. The "host" is the sandbox's own
 * namespace, as Docker's is the machine's: it already has a firewall rule of someone else's
 * before `up`, and after `destroy` its iptables-save and ip6tables-save, ip_forward and
 * net.ipv6.conf.all.forwarding must be exactly what they were.
 */
import { ip, run } from "../support/local";
import { namedNamespaces, pings } from "../support/kernel";
import { exampleDir, planned, PulumiStack, stepsDone } from "../support/pulumi";
import { expectJudged, judgeReachability } from "../support/reachability";
import { maybeWriteFixture, runCli } from "../unit/cli/helpers";

jest.setTimeout(300_000);

/**
 * Every judgement of the example (after up, without ns1's routes, with forwarding off), none
 * unknown: IPv4 4 namespaces × 6 addresses; IPv6 4 × 5 global addresses and 8 pairs to the
 * link-local addresses of each namespace's neighbours (docker0's fe80::1 among them), ADDR%DEV.
 */
const JUDGED = { ipv4: { compared: 24 }, ipv6: { compared: 28 } };

const sh = async (...argv: string[]) => (await run(argv)).stdout;
const save = async () => (await Promise.all(["iptables-save", "ip6tables-save"].map((tool) => sh(tool)))).join("").split("\n").filter((l) => !l.startsWith("#")).join("\n");
const ipForward = async () => (await sh("sysctl", "-n", "net.ipv4.ip_forward")).trim();
const ip6Forward = async () => (await sh("sysctl", "-n", "net.ipv6.conf.all.forwarding")).trim();
const inOutside = (...argv: string[]) => sh("ip", "netns", "exec", "outside", ...argv);
const tables = (source: string) => (source.includes(":") ? "ip6tables" : "iptables");
/** Packets the outside counted from `source` (a rule of the test's own in the outside namespace). */
async function countedFrom(source: string): Promise<number> {
  const line = (await inOutside(tables(source), "-v", "-x", "-n", "-L", "INPUT")).split("\n").find((l) => l.includes(source));
  return Number(line?.trim().split(/\s+/)[0] ?? -1);
}
const countFrom = (source: string) => inOutside(tables(source), "-A", "INPUT", "-p", source.includes(":") ? "ipv6-icmp" : "icmp", "-s", source);

describe("examples/docker0-nat through the real pulumi CLI", () => {
  const stack = new PulumiStack(exampleDir("docker0-nat"));
  let before: string;
  let forwardBefore: string;
  let forward6Before: string;

  beforeAll(async () => {
    await sh("iptables", "-w", "-A", "FORWARD", "-i", "foreign0", "-j", "DROP"); // someone else's rule
    await sh("iptables", "-w", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT");
    before = await save();
    forwardBefore = await ipForward();
    forward6Before = await ip6Forward();
    await stack.init();
  });
  afterAll(async () => {
    await stack.dispose();
    await sh("iptables", "-w", "-D", "FORWARD", "-i", "foreign0", "-j", "DROP").catch(() => undefined);
    await sh("iptables", "-w", "-D", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT").catch(() => undefined);
  });

  it("a killed up converges; the containers reach the outside over IPv4 and IPv6, which sees only the uplink's addresses", async () => {
    const killed = await stack.cliKilled(["up", "--yes", "--skip-preview"], (out) => stepsDone(out, "created") >= 8, "cli");
    expect(killed.killed).toBe(true);
    await stack.cli(["cancel", "--yes"]);
    await stack.up();
    expect(await ipForward()).toBe("1");
    expect(await ip6Forward()).toBe("1");
    expectJudged(await judgeReachability(stack, "examples/docker0-nat after up"), JUDGED);
    for (const source of ["198.51.100.2", "172.17.0.0/16", "fd00:198:51:100::2", "fd00:172:17::/64"]) await countFrom(source);
    for (const to of ["198.51.100.1", "fd00:198:51:100::1"]) {
      expect(await pings("ns0", to)).toBe(true);
      expect(await pings("ns1", to)).toBe(true);
    }
    expect(await countedFrom("198.51.100.2")).toBeGreaterThanOrEqual(2);
    expect(await countedFrom("172.17.0.0/16")).toBe(0);
    expect(await countedFrom("fd00:198:51:100::2")).toBeGreaterThanOrEqual(2); // NAT66
    expect(await countedFrom("fd00:172:17::/64")).toBe(0);
    expect(await pings("outside", "172.17.0.101")).toBe(false); // no way in: only replies come back
    expect(await pings("outside", "fd00:172:17::101")).toBe(false);
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
    const made = (await stack.outputs()).made as string[];
    expect(made).toEqual([
      "sysctl net.ipv4.ip_forward=1",
      "sysctl net.ipv6.conf.all.forwarding=1",
      "iptables -t filter -A FORWARD -i docker0 -o uplink0 -j ACCEPT",
      "iptables -t filter -A FORWARD -i uplink0 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "iptables -t nat -A POSTROUTING -o uplink0 -j MASQUERADE",
      "ip6tables -t filter -A FORWARD -i docker0 -o uplink0 -j ACCEPT",
      "ip6tables -t filter -A FORWARD -i uplink0 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "ip6tables -t nat -A POSTROUTING -o uplink0 -j MASQUERADE",
    ]);
  });

  it("a new gateway updates ns0's route in place; a new metric replaces it", async () => {
    await stack.setConfig("ns0Gateway", "172.17.0.254");
    let plan = await stack.preview();
    expect(planned(plan.stdout, "Route", "update")).toBe(true);
    expect(plan.stdout).toMatch(/~ via\s*: "172\.17\.0\.1" => "172\.17\.0\.254"/);
    await stack.up();
    expect(await sh("ip", "-n", "ns0", "route", "show", "default")).toMatch(/default via 172\.17\.0\.254 dev eth0 proto 148/);
    expect(await pings("ns0", "198.51.100.1")).toBe(true);
    await stack.setConfig("ns0Metric", "100");
    plan = await stack.preview();
    expect(planned(plan.stdout, "Route", "replace")).toBe(true);
    await stack.up();
    expect(await sh("ip", "-n", "ns0", "route", "show", "default")).toMatch(/default via 172\.17\.0\.254 dev eth0 proto 148 metric 100/);
    expect(await pings("ns0", "198.51.100.1")).toBe(true);
  });

  it("a route removed: the summary of the plan flags what stops answering, and after up the kernel agrees with the prediction", async () => {
    await stack.setConfig("ns1Route", "false");
    const plan = (await stack.cli(["preview", "--json", "--show-sames"])).stdout;
    maybeWriteFixture("docker0-nat-route-removed", plan);
    const summary = runCli(["preview-summary", "--own-netns", "fresh"], plan).stdout;
    expect(summary).toContain("#### Reachability");
    expect(summary).toContain("- `ns1` → `198.51.100.1`: reachable (TTL 63) → **unreachable**: ns1 has no route to 198.51.100.1 (Route ns1-default deleted)");
    expect(summary).not.toMatch(/- `ns0` → /); // ns0 keeps its route: nothing changes for it
    await stack.up();
    expect(await pings("ns1", "198.51.100.1")).toBe(false);
    expect(await pings("ns1", "fd00:198:51:100::1")).toBe(false);
    expectJudged(await judgeReachability(stack, "examples/docker0-nat after ns1's default routes are removed"), JUDGED);
  });

  it("refresh finds the MASQUERADE rules deleted and forwarding set back by hand, IPv4 and IPv6; up repairs them", async () => {
    await sh("iptables", "-w", "-t", "nat", "-F", "POSTROUTING");
    await sh("ip6tables", "-w", "-t", "nat", "-F", "POSTROUTING");
    await sh("sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
    await sh("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=0");
    expect(await pings("ns0", "198.51.100.1")).toBe(false);
    expect(await pings("ns0", "fd00:198:51:100::1")).toBe(false);
    await stack.refresh();
    // The refreshed state is what the kernel has: no forwarding, no MASQUERADE, in either family.
    expectJudged(await judgeReachability(stack, "examples/docker0-nat after refresh found forwarding off"), JUDGED);
    const summary = runCli(["preview-summary", "--own-netns", "fresh"], (await stack.cli(["preview", "--json", "--show-sames"])).stdout).stdout;
    expect(summary).toMatch(/- `ns0` → `198\.51\.100\.1`: unreachable → \*\*reachable \(TTL 63\)\*\*: through pulumi's own, masqueraded by pulumi's own; the reply crosses 1 router \(.*Sysctl host-ip-forward updated: `value` 0 → 1/);
    const plan = await stack.preview();
    expect(planned(plan.stdout, "Sysctl", "update")).toBe(true);
    expect(plan.stdout).toMatch(/~ value\s*: "0" => "1"/);
    expect(planned(plan.stdout, "IptablesRule", "create")).toBe(true);
    await stack.up();
    expect(await pings("ns0", "198.51.100.1")).toBe(true);
    expect(await pings("ns0", "fd00:198:51:100::1")).toBe(true);
    expect((await stack.preview("--expect-no-changes")).code).toBe(0);
  });

  it("destroy puts both forwarding settings back and leaves the firewall exactly as it was, someone else's rules included", async () => {
    await stack.destroy();
    expect(await save()).toBe(before);
    expect(await ipForward()).toBe(forwardBefore);
    expect(await ip6Forward()).toBe(forward6Before);
    expect(namedNamespaces()).toEqual([]);
    expect((await ip(["-br", "link", "show"])).stdout.trim().split("\n").map((l) => l.split(/\s+/)[0])).toEqual(["lo"]);
  });
});

/**
 * examples/fleet-clients through the real pulumi CLI: a NamespaceFleet of 6 clients on a lab
 * bridge. Up (the kernel judges the reachability prediction, the fleet's expectation and a
 * Probe from one member by name hold); one member's address changed and one member added show
 * as exactly those members' paths in `preview --diff`, `--json`'s detailedDiff and
 * `preview-summary`, and `up` applies them leaving the other members' namespaces and links as
 * they were; an address flushed by hand shows in `refresh` as that member's change (its lost
 * default route its own drift) and the next `up` repairs it in place; the fleet lost from the
 * state, `orphans` lists its members and `--delete` removes exactly them; `pulumi up`
 * SIGKILLed while it makes a fleet of 100, the next `up` takes over what it made and converges
 * with every member whole; `diagram` draws the fleet as one group with its count; destroy
 * leaves no namespace.
 */
import { spawnSync } from "node:child_process";
import { ip, ipJson } from "../support/local";
import { addressesOf, inodeOf, links, namedNamespaces, removeNamespaces } from "../support/kernel";
import { exampleDir, PulumiStack } from "../support/pulumi";
import { expectJudged, judgeReachability } from "../support/reachability";
import { BIN } from "../unit/cli/helpers";

jest.setTimeout(300_000);

const FLEET = "pulumi-nodejs:dynamic/linuxnet:NamespaceFleet";
const BIG = 100;

describe("examples/fleet-clients through the real pulumi CLI", () => {
  const t0 = Date.now();
  const stack = new PulumiStack(exampleDir("fleet-clients"));
  const p = `f${stack.stack.slice(3, 9)}`; // unique per run, short: member names stay ≤ 15 bytes
  const lab = `${p}l`;
  const prefix = `${p}c`;
  const member = (k: number) => `${prefix}${k}`;
  const ours = () => namedNamespaces().filter((n) => n === lab || n.startsWith(prefix));
  /** A member's namespace inode and its eth0's ifindex: what an update must leave alone. */
  const identity = async (k: number) => ({ inode: inodeOf(member(k)), ifindex: (await links(member(k))).find((l) => l.ifname === "eth0")?.ifindex });
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: stack.programDir, env: stack.environment, encoding: "utf8", maxBuffer: 64 << 20, timeout: 120_000 });
  let before: Array<{ inode: number; ifindex?: number }> = [];
  /** The fleet resource's outputs as the state has them (refresh updates them; the stack's outputs only `up` does). */
  const fleetState = async () => {
    const exported = JSON.parse((await stack.cli(["stack", "export"])).stdout);
    const r = exported.deployment.resources.find((x: { urn: string }) => x.urn.endsWith("::clients"));
    return r?.outputs as { members: Array<{ name: string; addresses: string[] }>; memberStates: Array<{ name: string; inode: number; ifindex: number; drift?: object }>; expectation?: unknown };
  };

  beforeAll(() => stack.init({ lab, prefix }));
  afterAll(async () => {
    await stack.cli(["cancel", "--yes"], true);
    await stack.dispose();
    await removeNamespaces(ours()); // in case destroy itself was what failed
    process.stdout.write(`fleet e2e: pulumi timings (ms): ${stack.timings.map(([c, ms]) => `${c}=${ms}`).join(", ")}; whole file ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });

  it("up makes 6 members on the bridge; the expectation, a Probe from member 2 by name and the kernel's judgement of the prediction hold", async () => {
    await stack.up();
    const out = await stack.outputs();
    expect(out.fleet).toEqual({ count: 6, first: member(0), last: member(5) });
    const { members, memberStates: states } = await fleetState();
    expect(members).toEqual([0, 1, 2, 3, 4, 5].map((k) => ({ name: member(k), addresses: [`10.40.0.${k + 2}/24`, `fd00:40::${k + 2}/64`] })));
    expect(states.map((s) => s.inode)).toEqual([0, 1, 2, 3, 4, 5].map((k) => inodeOf(member(k))));
    expect(await addressesOf("eth0", member(5))).toEqual(["10.40.0.7/24", "fd00:40::7/64"]);
    const ports = await ipJson<{ ifname: string; master?: string }>(["link", "show", "master", "br0"], { netns: lab });
    expect(ports.map((l) => l.ifname).sort()).toEqual([0, 1, 2, 3, 4, 5].map(member).sort());
    expect(out.expectation).toEqual({ holds: true, checked: 6, failing: [] });
    expect((out.seen as { received?: number }).received).toBeGreaterThanOrEqual(1); // client2 → fd00:40::1
    // 7 namespaces (lab, 6 members) × 14 addresses: every pair decided, none unknown.
    expectJudged(await judgeReachability(stack, "examples/fleet-clients after up"), { ipv4: { compared: 49 }, ipv6: { compared: 49 } });
    before = await Promise.all([0, 1, 2, 3, 4, 5].map(identity));
  });

  it("one member's address changed and one member added: preview --diff, --json and preview-summary name exactly those members", async () => {
    await stack.cli(["config", "set", "--path", "moved.3", "10.40.0.103/24"]);
    await stack.setConfig("clients", "7");
    const text = await stack.preview();
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`~ ${FLEET}: \\(update\\)`));
    expect(text.stdout).toMatch(/~ \[0\]: "10\.40\.0\.5\/24" => "10\.40\.0\.103\/24"/);
    expect(text.stdout).not.toMatch(/10\.40\.0\.[2-4]\/24|10\.40\.0\.[67]\/24/); // no other member's address shown
    const json = await stack.cli(["preview", "--json"]);
    const steps = JSON.parse(json.stdout).steps as Array<{ op: string; urn: string; detailedDiff?: Record<string, { kind: string }> }>;
    const fleet = steps.find((s) => s.urn.endsWith("::clients"))!;
    expect(fleet.op).toBe("update");
    expect(fleet.detailedDiff).toEqual({ "members[3].addresses[0]": { kind: "update", inputDiff: true }, "members[6]": { kind: "add", inputDiff: true } });
    expect(steps.filter((s) => s.op !== "same").map((s) => s.urn.split("::").pop())).toEqual(["clients"]);
    const summary = spawnSync(process.execPath, [BIN, "preview-summary"], { input: json.stdout, encoding: "utf8" });
    expect(summary.status).toBe(0);
    expect(summary.stdout).toContain("| 🔵 update | NamespaceFleet | `clients` |");
    const row = summary.stdout.split("\n").find((l) => l.startsWith("| 🔵 update | NamespaceFleet | `clients` |"))!;
    expect(row.split(" | ").pop()!.split("<br>")).toEqual([
      "`members[3].addresses`: `10.40.0.5/24, fd00:40::5/64` → `10.40.0.103/24, fd00:40::5/64`",
      `\`members[6]\`: \`(unset)\` → \`{addresses: 10.40.0.8/24, fd00:40::8/64, name: ${member(6)}}\` |`,
    ]);
  });

  it("up applies only them: member 3 moved in place, member 6 made, every other member keeps its namespace and link", async () => {
    await stack.up();
    expect(await addressesOf("eth0", member(3))).toEqual(["10.40.0.103/24", "fd00:40::5/64"]);
    expect(await addressesOf("eth0", member(6))).toEqual(["10.40.0.8/24", "fd00:40::8/64"]);
    expect(await Promise.all([0, 1, 2, 3, 4, 5].map(identity))).toEqual(before);
    expect((await stack.outputs()).expectation).toEqual({ holds: true, checked: 7, failing: [] });
  });

  it("an address flushed by hand shows in refresh as that member's change, and the next up puts it back", async () => {
    await ip(["addr", "flush", "dev", "eth0"], { netns: member(4) });
    const refreshed = await stack.cli(["refresh", "--yes", "--skip-preview", "--diff"]);
    expect(refreshed.stdout).toMatch(new RegExp(`~ ${FLEET}: \\(update\\)`));
    // That member's addresses, under `members`; its default route (gone with its last IPv4 address) is its own drift, not the fleet's gateway.
    expect(refreshed.stdout).toMatch(/~ members: \[\n\s+~ \[4\]: \{\n\s+~ addresses: \[\n\s+- \[0\]: "10\.40\.0\.6\/24"\n\s+- \[1\]: "fd00:40::6\/64"/);
    expect(refreshed.stdout).not.toMatch(/^\s+[-+~] gateway/m);
    expect(refreshed.stdout).not.toMatch(/~ \[[0-35-9]\]: \{/); // no other member
    const refreshedState = await fleetState();
    expect(refreshedState.expectation).toMatchObject({ holds: false, failing: [member(4)] });
    expect(refreshedState.memberStates.filter((m) => m.drift).map((m) => [m.name, m.drift])).toEqual([[member(4), { gateway: null }]]);
    await stack.up();
    expect(await addressesOf("eth0", member(4))).toEqual(["10.40.0.6/24", "fd00:40::6/64"]);
    expect((await stack.outputs()).expectation).toEqual({ holds: true, checked: 7, failing: [] });
    expect(await identity(4)).toEqual(before[4]);
  });

  it("the fleet lost from the state: orphans lists its 7 members, --delete removes exactly them", async () => {
    const exported = JSON.parse((await stack.cli(["stack", "export"])).stdout);
    const urn = exported.deployment.resources.find((x: { urn: string }) => x.urn.endsWith("::clients")).urn as string;
    await stack.cli(["state", "delete", urn, "--target-dependents", "--yes"]); // the fleet and the Probe on it leave the state; the kernel keeps them
    const r = cli("orphans", "--stack", stack.stack, "--delete");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const [listing, removal] = r.stdout.split("removing them:\n");
    const lines = listing.split("\n").filter((l) => l.startsWith("  "));
    const owner = ` — resource NamespaceFleet "clients" of stack "${stack.stack}" (project "fleet-clients")`;
    expect(lines.filter((l) => !l.endsWith(owner))).toEqual([]); // the fleet's objects only: nothing of the lab's Namespace and Bridge, still held
    const namespaces = lines.flatMap((l) => /^ {2}this machine: namespace "([^"]+)"/.exec(l)?.[1] ?? []);
    expect(namespaces.sort()).toEqual(Array.from({ length: 7 }, (_, k) => member(k)).sort());
    expect(removal).toMatch(new RegExp(`removed ${lines.length} of ${lines.length}\n$`));
    expect(ours()).toEqual([lab]);
    expect((await links(lab)).map((l) => l.ifname).sort()).toEqual(["br0", "lo"]); // the ports went with their members
  });

  it(`pulumi up SIGKILLed while it makes a fleet of ${BIG}: the next up takes over what it made and converges with every member whole`, async () => {
    await stack.setConfig("clients", String(BIG));
    let creating: number | undefined;
    const killed = await stack.cliKilled(["up", "--yes", "--skip-preview"], (out) => /NamespaceFleet clients creating/.test(out) && Date.now() - (creating ??= Date.now()) >= 1000, "cli");
    expect(killed.killed).toBe(true);
    // The engine never heard back: the state holds no fleet, the kernel what the provider made.
    expect(await fleetState()).toBeUndefined();
    const made = ours().filter((n) => n !== lab).length;
    process.stdout.write(`fleet e2e: the CLI killed 1 s into the create; ${made} of ${BIG} members' namespaces there after its plugins ended\n`);
    expect(made).toBeGreaterThan(0);
    await stack.cli(["cancel", "--yes"]);
    await stack.up();
    const names = Array.from({ length: BIG }, (_, k) => member(k));
    expect(ours().filter((n) => n !== lab).sort()).toEqual([...names].sort());
    const ports = await ipJson<{ ifname: string; flags: string[] }>(["link", "show", "master", "br0"], { netns: lab });
    expect(ports.filter((l) => l.flags.includes("UP")).map((l) => l.ifname).sort()).toEqual([...names].sort());
    expect((await stack.outputs()).expectation).toEqual({ holds: true, checked: BIG, failing: [] }); // every member reached the gateway
    const eth0 = await Promise.all(names.map((n) => ipJson<{ addr_info: Array<{ local: string; scope: string }> }>(["addr", "show", "dev", "eth0"], { netns: n })));
    const moved = (k: number) => (k === 3 ? "10.40.0.103" : `10.40.0.${k + 2}`);
    expect(eth0.map((l, k) => l[0].addr_info.filter((a) => a.scope === "global").map((a) => a.local))).toEqual(names.map((_, k) => [moved(k), `fd00:40::${(k + 2).toString(16)}`]));
  });

  it("diagram draws the fleet as one group with its count", () => {
    const r = cli("diagram");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${BIG} namespaces ${member(0)}…${member(BIG - 1)}`);
    expect(r.stdout).toContain(`${BIG} veth pairs`);
  });

  it("destroy leaves no namespace", async () => {
    await stack.destroy();
    expect(ours()).toEqual([]);
  });
});

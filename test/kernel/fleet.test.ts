/**
 * NamespaceFleet on the real kernel, through the provider's handlers as the engine calls them
 * (check, create, read, update, delete): batched members, per-member updates that leave the
 * other members' namespaces and links as they are, drift, take-over of its own leftovers,
 * refusal of others' objects, the expectation, and the namespace guard per member.
 */
import { namespaceFleet } from "../../provider/kinds/namespace-fleet";
import { ownerOf } from "../../provider/core/owner";
import { hostFor } from "../../provider/hosts";
import { ip } from "../support/local";
import { addressesOf, checked, inodeOf, links, namedNamespaces, nsExec, removeNamespaces, uniqueName } from "../support/kernel";

const made = new Set<string>();
let lab: string;
const OWNER = ownerOf("p", "s", "NamespaceFleet", "f");

beforeEach(async () => {
  lab = uniqueName("fl");
  made.add(lab);
  await ip(["netns", "add", lab]);
  await ip(["link", "add", "br0", "type", "bridge"], { netns: lab });
  await ip(["addr", "add", "10.77.0.1/24", "dev", "br0"], { netns: lab });
  await ip(["addr", "add", "fd77::1/64", "dev", "br0", "nodad"], { netns: lab });
  await ip(["link", "set", "br0", "up"], { netns: lab });
});
afterEach(async () => {
  await removeNamespaces([...made, ...namedNamespaces().filter((n) => n.startsWith(`${lab}m`) || n.startsWith(`${lab}l`))]);
  made.clear();
});

const fleet = (over: Record<string, unknown> = {}) => ({ count: 4, namePrefix: `${lab}m`, netns: lab, bridge: "br0", subnet: "10.77.0.0/24", gateway: "10.77.0.1", owner: OWNER, ...over });
const member = (k: number) => `${lab}m${k}`;
/** Each member's namespace inode and own end's ifindex: what must not change for untouched members. */
const identity = async (name: string) => ({ inode: inodeOf(name), ifindex: (await links(name)).find((l) => l.ifname === "eth0")?.ifindex });

describe("NamespaceFleet on the real kernel", () => {
  it("makes every member: namespace marked, veth port on the bridge, address, default route; a member reaches the gateway", async () => {
    const inputs = await checked(namespaceFleet, fleet());
    // The state names every member with its addresses (what the engine's per-member diff reads).
    expect(inputs.members).toEqual([0, 1, 2, 3].map((k) => ({ name: member(k), addresses: [`10.77.0.${k + 2}/24`] })));
    expect(inputs.count).toBeUndefined();
    const { outs } = await namespaceFleet.create(inputs);
    const states = outs.memberStates as Array<{ name: string; inode: number; ifindex: number; portIfindex: number }>;
    expect(states.map((s) => s.name)).toEqual([0, 1, 2, 3].map(member));
    for (const [k, s] of states.entries()) {
      expect(s.inode).toBe(inodeOf(member(k)));
      expect(await addressesOf("eth0", member(k))).toEqual([`10.77.0.${k + 2}/24`]);
    }
    const ports = (await links(lab)).filter((l) => l.ifname.startsWith(`${lab}m`));
    expect(ports.map((p) => (p as unknown as { master?: string }).master)).toEqual(["br0", "br0", "br0", "br0"]);
    expect(await nsExec(member(3), "ip", "-j", "route", "show", "default")).toContain('"gateway":"10.77.0.1"');
    expect(await nsExec(member(3), "ping", "-c", "1", "-W", "2", "10.77.0.1")).toContain("1 received");
    // No IPv6 on a member without IPv6 addresses: no link-local address on either end.
    expect((await nsExec(member(0), "ip", "-6", "addr", "show", "dev", "eth0")).trim()).toBe("");
  });

  it("updates only the member that changed, grows and shrinks at the edge, and keeps the others' namespaces and links", async () => {
    const inputs = await checked(namespaceFleet, fleet());
    const { id, outs } = await namespaceFleet.create(inputs);
    const before = await Promise.all([0, 1, 2, 3].map((k) => identity(member(k))));
    const members = (inputs.members as Array<{ name: string; addresses: string[] }>).map((m) => ({ ...m }));
    members[1].addresses = ["10.77.0.101/24"];
    const changed = await checked(namespaceFleet, { ...fleet({ count: undefined, namePrefix: undefined }), members: [...members, { name: member(4) }] });
    const d = await namespaceFleet.diff(id, outs, changed);
    expect(d).toEqual({ replaces: [], deleteBeforeReplace: false }); // changes left to the engine's own per-property diff
    await namespaceFleet.update(id, outs, changed);
    expect(await addressesOf("eth0", member(1))).toEqual(["10.77.0.101/24"]);
    // Its only IPv4 address replaced: the default route, gone with the old one, is back.
    expect(await nsExec(member(1), "ip", "-j", "route", "show", "default")).toContain('"gateway":"10.77.0.1"');
    expect(await addressesOf("eth0", member(4))).toEqual(["10.77.0.6/24"]);
    const after = await Promise.all([0, 1, 2, 3].map((k) => identity(member(k))));
    expect(after).toEqual(before); // the changed member too: in place
    // Shrink: only the members at the edge go.
    const shrunk = await checked(namespaceFleet, fleet({ count: 2 }));
    await namespaceFleet.update(id, { ...outs, ...changed }, shrunk);
    expect(namedNamespaces().filter((n) => n.startsWith(`${lab}m`)).sort()).toEqual([member(0), member(1)]);
    expect(await identity(member(0))).toEqual(before[0]);
  });

  it("reads a member changed by hand as drift and a deleted one as missing; the next update repairs both", async () => {
    const inputs = await checked(namespaceFleet, fleet());
    const { id, outs } = await namespaceFleet.create(inputs);
    await ip(["addr", "flush", "dev", "eth0"], { netns: member(2) });
    await ip(["netns", "del", member(3)]);
    const read = await namespaceFleet.read(id, outs);
    // Every member keeps its place (the engine diffs the list by position): the flushed one without
    // addresses, its lost default route its own drift; the deleted one without addresses and without a state.
    const seen = read.inputs!.members as Array<{ name: string; addresses: string[] }>;
    expect(seen.map((m) => m.name)).toEqual([0, 1, 2, 3].map(member));
    expect(seen.map((m) => m.addresses)).toEqual([["10.77.0.2/24"], ["10.77.0.3/24"], [], []]);
    expect(read.inputs!.gateway).toBe("10.77.0.1"); // the fleet's, not the one member's
    const states = read.props.memberStates as Array<{ name: string; drift?: object }>;
    expect(states.map((m) => [m.name, m.drift])).toEqual([[member(0), undefined], [member(1), undefined], [member(2), { gateway: null }]]);
    // Even with the same inputs as the state, the next up has work: member 3 to make, member 2's route to put back.
    expect((await namespaceFleet.diff(id, read.props, { ...read.inputs })).changes).toBe(true);
    const untouched = await identity(member(0));
    await namespaceFleet.update(id, read.props, inputs);
    expect(await addressesOf("eth0", member(2))).toEqual(["10.77.0.4/24"]);
    expect(await addressesOf("eth0", member(3))).toEqual(["10.77.0.5/24"]);
    expect(await nsExec(member(2), "ip", "-j", "route", "show", "default")).toContain('"gateway":"10.77.0.1"');
    expect(await identity(member(0))).toEqual(untouched);
  });

  it("takes over its own half-made member, refuses another's namespace and an unmarked one without adopt, and leaves them", async () => {
    // A killed `up`: the member's namespace made and marked, its pair made, the port not yet marked
    // (the port goes at once: the namespace's links would go only once the kernel has cleaned it up).
    await ip(["netns", "add", member(0)]);
    await ip(["link", "set", "dev", "lo", "alias", `linuxnet:${OWNER}`, "up"], { netns: member(0) });
    await ip(["link", "add", "name", member(0), "netns", lab, "type", "veth", "peer", "name", "eth0", "netns", member(0)]);
    const inputs = await checked(namespaceFleet, fleet({ count: 2 }));
    const { outs } = await namespaceFleet.create(inputs);
    expect((outs.memberStates as unknown[]).length).toBe(2);
    await namespaceFleet.delete("x", outs);
    expect(namedNamespaces().filter((n) => n.startsWith(`${lab}m`))).toEqual([]);

    // Killed between its batches: namespaces made, not yet marked, and the record of what it was making.
    await ip(["netns", "add", member(0)]);
    await ip(["netns", "add", member(1)]);
    await ip(["link", "add", "name", member(1), "netns", lab, "type", "veth", "peer", "name", "eth0", "netns", member(1)]); // its port not marked yet
    await hostFor(undefined).writeRecord({}, "fleet", OWNER, { making: [member(0), member(1)] });
    const again = await namespaceFleet.create(inputs);
    expect((again.outs.memberStates as Array<{ inode: number }>).map((s) => s.inode)).toEqual([inodeOf(member(0)), inodeOf(member(1))]);
    expect(await hostFor(undefined).readRecord({}, "fleet", OWNER)).toBeUndefined(); // done: every member carries its mark
    await namespaceFleet.delete("x", again.outs);

    await ip(["netns", "add", member(1)]);
    await expect(namespaceFleet.create(inputs)).rejects.toThrow(/namespace ".*m1" already exists and was not made by pulumi-linuxnet .*set adopt: true/);
    expect(namedNamespaces()).toContain(member(1));
    expect(namedNamespaces()).not.toContain(member(0)); // what the failed create made is gone
    await ip(["link", "set", "dev", "lo", "alias", `linuxnet:${ownerOf("p", "other", "Namespace", "x")}`], { netns: member(1) });
    await expect(namespaceFleet.create(inputs)).rejects.toThrow(/belongs to resource Namespace "x" of stack "other"/);
    expect(namedNamespaces()).toContain(member(1));
  });

  it("fails create in one line naming the members that break the expectation, and leaves nothing", async () => {
    const inputs = await checked(namespaceFleet, fleet({ count: 3, expect: { to: "10.77.0.200", timeout: 1 } }));
    await expect(namespaceFleet.create(inputs)).rejects.toThrow(/fleet expectation does not hold for 3 of 3 members \(.*m0, .*m1, .*m2\); the first: /);
    expect(namedNamespaces().filter((n) => n.startsWith(`${lab}m`))).toEqual([]);
    const ok = await checked(namespaceFleet, fleet({ count: 3, expect: { to: "10.77.0.1" } }));
    const { outs } = await namespaceFleet.create(ok);
    expect(outs.expectation).toEqual({ holds: true, checked: 3, failing: [] });
  });

  it("gives IPv6 members their addresses without DAD and a default route; they reach the gateway", async () => {
    const inputs = await checked(namespaceFleet, fleet({ count: 2, subnet6: "fd77::/64", gateway6: "fd77::1", expect: { to: "fd77::1" } }));
    const { outs } = await namespaceFleet.create(inputs);
    expect(outs.expectation).toEqual({ holds: true, checked: 2, failing: [] });
    expect(await addressesOf("eth0", member(1))).toEqual(["10.77.0.3/24", "fd77::3/64"]);
    // No link-local address (no DAD, router or listener solicitations at scale) unless asked for.
    expect((await nsExec(member(1), "ip", "-6", "addr", "show", "dev", "eth0", "scope", "link")).trim()).toBe("");
    const withLinkLocal = await checked(namespaceFleet, fleet({ count: 1, namePrefix: `${lab}l`, subnet6: "fd77::/64", linkLocal: true }));
    await namespaceFleet.create(withLinkLocal);
    expect(await nsExec(`${lab}l0`, "ip", "-6", "addr", "show", "dev", "eth0", "scope", "link")).toMatch(/inet6 fe80::/);
  });

  it("refuses at check, naming the field and the rule", async () => {
    const failures = async (props: Record<string, unknown>) => ((await namespaceFleet.check({}, props)).failures as Array<{ reason: string }>).map((f) => f.reason).join("; ");
    expect(await failures(fleet({ count: 300 }))).toMatch(/invalid subnet "10.77.0.0\/24" \(too small for 300 members from host 2 on\)/);
    expect(await failures(fleet({ namePrefix: "a-very-long-name" }))).toMatch(/invalid namePrefix/);
    expect(await failures(fleet({ gateway: "10.78.0.1" }))).toMatch(/invalid gateway "10.78.0.1" \(must be on the members' subnet/);
    expect(await failures(fleet({ members: [{ name: "a" }] }))).toMatch(/give count with namePrefix, or members: one of them/);
    expect(await failures({ members: [{ name: "a" }, { name: "a" }] })).toMatch(/invalid members\[1\]\.name "a" \(must not be listed twice\)/);
  });
});

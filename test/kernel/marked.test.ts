/**
 * Marked objects on the real kernel: a Namespace's delete never takes another stack's objects
 * with it, nor goes when it cannot look inside (a save that fails, a record that cannot be
 * read); the listing `pulumi-linuxnet orphans` uses finds every kind by its mark or record (and
 * nothing unmarked), reports a namespace it cannot read, and removes each as its kind's delete would.
 */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeMarked } from "../../cli/admin/orphans";
import { describeMarked, markedIn as markedOn, markedObjects as everythingOn } from "../../provider/core/marked";
import { ownerOf } from "../../provider/core/owner";
import { local } from "../../provider/hosts";
import { bridge } from "../../provider/kinds/bridge";
import { RECORD_DIR } from "../../provider/hosts/host";
import { iptables } from "../../provider/kinds/iptables";
import { linkShaping } from "../../provider/kinds/link-shaping";
import { namespace } from "../../provider/kinds/namespace";
import { route } from "../../provider/kinds/route";
import { sysctl } from "../../provider/kinds/sysctl";
import { veth } from "../../provider/kinds/veth";
import { ip, readRecord } from "../support/local";
import { namedNamespaces, removeNamespaces, run, uniqueName } from "../support/kernel";

const markedIn = (netns?: string) => markedOn(local, netns);
const markedObjects = () => everythingOn(local);
const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});
const owner = (stack: string, kind: string, name: string) => ownerOf("lab", stack, kind, name);
const newNamespace = async (stack: string) => {
  const n = uniqueName("mk");
  made.add(n);
  await namespace.create({ name: n, owner: owner(stack, "Namespace", n) });
  return n;
};
/** Makes a record of the namespace unparsable, as a crash of an old writer or a full disk could leave it. */
const corruptRecord = (ns: string, kind: string, key: string) => {
  const s = statSync(`/run/netns/${ns}`, { bigint: true });
  writeFileSync(join(RECORD_DIR, `${s.ino}-${s.ctimeNs}`, kind, key), '{"found": ');
};
/** Runs `work` with an `iptables-save` first on PATH that prints a line and exits 4 (the provider's commands are spawned with this process's environment). */
async function withFailingSave<T>(work: () => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "linuxnet-save-"));
  writeFileSync(join(dir, "iptables-save"), "#!/bin/sh\necho 'iptables-save: cannot read the tables' >&2\nexit 4\n");
  chmodSync(join(dir, "iptables-save"), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${dir}:${path}`;
  try {
    return await work();
  } finally {
    process.env.PATH = path;
    rmSync(dir, { recursive: true, force: true });
  }
}
/** A veth pair va—vb in the namespace, both up (shaping needs a link). */
const vethIn = async (ns: string) => {
  await run(["ip", "-n", ns, "link", "add", "va", "type", "veth", "peer", "name", "vb"]);
  await run(["ip", "-n", ns, "link", "set", "va", "up"]);
  await run(["ip", "-n", ns, "link", "set", "vb", "up"]);
};
const rootQdisc = async (ns: string, dev: string) => (JSON.parse((await run(["tc", "-n", ns, "-j", "qdisc", "show", "dev", dev, "root"])).stdout) as Array<{ kind: string; handle: string }>)[0];
const forwarding = (ns: string) => run(["ip", "netns", "exec", ns, "sysctl", "-n", "net.ipv4.ip_forward"]).then((r) => r.stdout.trim());

describe("a Namespace's delete", () => {
  it("refuses to take another stack's link with it, in one line naming the link, its stack and what to do; goes once that is removed", async () => {
    const n = await newNamespace("a");
    const br = await bridge.create({ name: "br0", netns: n, owner: owner("b", "Bridge", "br") });
    const del = namespace.delete(n, { name: n, owner: owner("a", "Namespace", n) });
    await expect(del).rejects.toThrow(
      `failed to delete namespace "${n}": it holds objects of another stack, which deleting it would take with it: ` +
        `link "br0" in netns "${n}" (resource Bridge "br" of stack "b" (project "lab")); ` +
        "destroy that stack first (or remove those resources from it), or delete the objects by hand, then destroy this one again",
    );
    await del.catch((e: Error) => expect(e.message).not.toContain("\n"));
    expect(namedNamespaces()).toContain(n);
    await bridge.delete(br.id, br.outs);
    await namespace.delete(n, { name: n, owner: owner("a", "Namespace", n) });
    expect(namedNamespaces()).not.toContain(n);
  });

  it("refuses for another stack's rule or sysctl too, naming each", async () => {
    const n = await newNamespace("a");
    await iptables.create({ chain: "FORWARD", rule: ["-j", "ACCEPT"], netns: n, owner: owner("c", "IptablesRule", "fw") });
    await sysctl.create({ key: "net.ipv4.ip_forward", value: 1, netns: n, owner: owner("d", "Sysctl", "fwd") });
    await expect(namespace.delete(n, { name: n, owner: owner("a", "Namespace", n) })).rejects.toThrow(
      `it holds objects of other stacks, which deleting it would take with it: iptables rule "-t filter -A FORWARD -j ACCEPT" in netns "${n}" (resource IptablesRule "fw" of stack "c" (project "lab")), ` +
        `sysctl net.ipv4.ip_forward in netns "${n}" (resource Sysctl "fwd" of stack "d" (project "lab")); destroy those stacks first`,
    );
  });

  it("refuses for another stack's link shaping on a link of its own, naming it", async () => {
    const n = await newNamespace("a");
    await vethIn(n);
    await linkShaping.create({ dev: "va", netns: n, rate: "10mbit", owner: owner("e", "LinkShaping", "wan") });
    await expect(namespace.delete(n, { name: n, owner: owner("a", "Namespace", n) })).rejects.toThrow(
      `it holds objects of another stack, which deleting it would take with it: link shaping "va" in netns "${n}" (resource LinkShaping "wan" of stack "e" (project "lab")); destroy that stack first`,
    );
    expect(namedNamespaces()).toContain(n);
  });

  it("refuses in one line when it cannot read the rules inside (an iptables-save that fails), and takes nothing", async () => {
    const n = await newNamespace("a");
    await iptables.create({ chain: "FORWARD", rule: ["-j", "ACCEPT"], netns: n, owner: owner("c", "IptablesRule", "fw") });
    const del = withFailingSave(() => namespace.delete(n, { name: n, owner: owner("a", "Namespace", n) }));
    await expect(del).rejects.toThrow(
      new Error(
        `failed to delete namespace "${n}": cannot tell whether it holds other stacks' objects, which deleting it would take with it: ` +
          "`iptables-save` failed (exit status 4: iptables-save: cannot read the tables), so its rules cannot be read; fix that, then destroy it again",
      ),
    );
    expect(namedNamespaces()).toContain(n);
    expect((await run(["ip", "netns", "exec", n, "iptables-save"])).stdout).toContain("linuxnet:lab/c/IptablesRule/fw");
  });

  it("refuses in one line when a record inside cannot be read, and takes nothing", async () => {
    const n = await newNamespace("a");
    await sysctl.create({ key: "net.ipv4.ip_forward", value: 1, netns: n, owner: owner("d", "Sysctl", "fwd") });
    corruptRecord(n, "sysctl", "net.ipv4.ip_forward");
    const del = namespace.delete(n, { name: n, owner: owner("a", "Namespace", n) });
    await expect(del).rejects.toThrow(
      new RegExp(`^failed to delete namespace "${n}": cannot tell whether it holds other stacks' objects, which deleting it would take with it: the record /run/pulumi-linuxnet/\\S+ is corrupt \\(.+\\); remove it by hand .*; fix that, then destroy it again$`),
    );
    expect(namedNamespaces()).toContain(n);
  });

  it("takes the same stack's objects and unmarked ones with it", async () => {
    const n = await newNamespace("a");
    await bridge.create({ name: "br0", netns: n, owner: owner("a", "Bridge", "br") });
    await ip(["link", "add", "hand0", "type", "bridge"], { netns: n });
    await namespace.delete(n, { name: n, owner: owner("a", "Namespace", n) });
    expect(namedNamespaces()).not.toContain(n);
  });
});

describe("the objects carrying marks", () => {
  it("are found by kind: namespace, veth ends, bridge, route, rule and sysctl; hand-made ones are not", async () => {
    const n = await newNamespace("old");
    await ip(["link", "add", "hand0", "type", "bridge"], { netns: n });
    await bridge.create({ name: "br0", netns: n, addresses: ["10.9.0.1/24"], owner: owner("old", "Bridge", "br") });
    const pair = await veth.create({ end: { name: "e0", netns: n, addresses: ["10.8.0.1/30"] }, peer: { name: `${n}p` }, owner: owner("old", "VethPair", "v") });
    await route.create({ destination: "10.7.0.0/24", via: "10.8.0.2", netns: n, owner: owner("old", "Route", "r") });
    await iptables.create({ chain: "FORWARD", rule: ["-i", "e0", "-j", "ACCEPT"], netns: n, owner: owner("old", "IptablesRule", "fw") });
    await sysctl.create({ key: "net.ipv4.ip_forward", value: 1, netns: n, owner: owner("old", "Sysctl", "fwd") });
    await linkShaping.create({ dev: "e0", netns: n, rate: "10mbit", owner: owner("old", "LinkShaping", "wan") });
    await run(["ip", "netns", "exec", n, "iptables", "-w", "-A", "INPUT", "-j", "ACCEPT"]); // unmarked: not listed
    await run(["tc", "-n", n, "qdisc", "replace", "dev", "br0", "root", "handle", "148:", "tbf", "rate", "1mbit", "burst", "5000", "latency", "50ms"]); // 148: without a record: not listed

    const inside = (await markedIn(n)).map(describeMarked).sort();
    expect(inside).toEqual(
      [
        `iptables rule "-t filter -A FORWARD -i e0 -j ACCEPT" in netns "${n}"`,
        `link "br0" in netns "${n}"`,
        `link "e0" in netns "${n}"`,
        `link shaping "e0" in netns "${n}"`,
        `namespace "${n}"`,
        `route 10.7.0.0/24 (table main, metric 0) in netns "${n}"`,
        `sysctl net.ipv4.ip_forward in netns "${n}"`,
      ].sort(),
    );
    expect((await markedIn(n)).find((m) => m.kind === "link shaping")).toMatchObject({ owner: owner("old", "LinkShaping", "wan"), inputs: { dev: "e0", netns: n } });
    const everywhere = (await markedObjects()).objects.map(describeMarked);
    expect(everywhere).toEqual(expect.arrayContaining([...inside, `link "${n}p"`])); // the peer, in this namespace
    expect((await markedIn(n)).find((m) => m.name === "e0")).toMatchObject({ owner: pair.outs.owner, mark: `linuxnet:${pair.outs.owner}:end` });
  });

  it("are removed each as its kind's delete does: the sysctl put back, the rule's table, the namespace last", async () => {
    const n = await newNamespace("old");
    await bridge.create({ name: "br0", netns: n, owner: owner("old", "Bridge", "br") });
    await iptables.create({ chain: "FORWARD", rule: ["-j", "DROP"], netns: n, owner: owner("old", "IptablesRule", "fw") });
    await sysctl.create({ key: "net.ipv4.ip_forward", value: 1, netns: n, owner: owner("old", "Sysctl", "fwd") });
    await vethIn(n);
    const shaped = await linkShaping.create({ dev: "va", netns: n, rate: "10mbit", owner: owner("old", "LinkShaping", "wan") });
    expect(await forwarding(n)).toBe("1");
    const found = await markedIn(n);
    for (const m of found.filter((f) => f.kind === "link shaping")) await removeMarked(m);
    expect(await rootQdisc(n, "va")).toMatchObject({ handle: "0:" }); // the kernel's default again
    expect(await readRecord({ netns: n }, "qdisc", `va@${shaped.outs.ifindex}`)).toBeUndefined();
    for (const kind of ["iptables rule", "sysctl", "link"] as const) for (const m of found.filter((f) => f.kind === kind)) await removeMarked(m);
    expect(await forwarding(n)).toBe("0");
    expect(await readRecord({ netns: n }, "sysctl", "net.ipv4.ip_forward")).toBeUndefined();
    expect((await run(["ip", "netns", "exec", n, "iptables-save"])).stdout).not.toContain("linuxnet:");
    expect((await markedIn(n)).map(describeMarked)).toEqual([`namespace "${n}"`]);
    await removeMarked(found.find((m) => m.kind === "namespace")!);
    expect(namedNamespaces()).not.toContain(n);
  });

  it("report a namespace that cannot be read, with the cause, and list the rest", async () => {
    const bad = await newNamespace("old");
    const good = await newNamespace("old");
    await sysctl.create({ key: "net.ipv4.ip_forward", value: 1, netns: bad, owner: owner("old", "Sysctl", "fwd") });
    corruptRecord(bad, "sysctl", "net.ipv4.ip_forward");
    const { objects, unreadable } = await markedObjects();
    expect(unreadable).toEqual([{ netns: bad, cause: expect.stringMatching(/^the record \/run\/pulumi-linuxnet\/\S+ is corrupt/) }]);
    expect(objects.map(describeMarked)).toContain(`namespace "${good}"`);
    expect(objects.map(describeMarked)).not.toContain(`namespace "${bad}"`);
  });
});

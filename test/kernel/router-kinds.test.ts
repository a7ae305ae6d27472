/**
 * Sysctl, Route and IptablesRule on the real kernel, each in throwaway namespaces: only what
 * the stack made is touched, and delete puts back what was there.
 */
import { iptables } from "../../provider/kinds/iptables";
import { ownerOf } from "../../provider/core/owner";
import { route } from "../../provider/kinds/route";
import { ip, ipJson, readRecord } from "../support/local";
import { sysctl } from "../../provider/kinds/sysctl";
import { checked, freshNamespace, nsExec as exec, removeNamespaces, uniqueName } from "../support/kernel";

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});

const forwarding = (ns: string) => exec(ns, "sysctl", "-n", "net.ipv4.ip_forward").then((v) => v.trim());

describe("Sysctl", () => {
  const owner = (name: string, stack = "dev") => ownerOf("lab", stack, "Sysctl", name);

  it("sets a key, reports what it found, reads drift, and puts the found value back on delete", async () => {
    const ns = await freshNamespace(made);
    const inputs = await checked(sysctl, { key: "net.ipv4.ip_forward", value: 1, netns: ns, owner: owner("fwd") });
    const c = await sysctl.create(inputs);
    expect(c.outs).toMatchObject({ value: "1", found: "0" });
    expect(await forwarding(ns)).toBe("1");
    await exec(ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
    const r = await sysctl.read(c.id, c.outs);
    expect(r.inputs).toMatchObject({ value: "0" });
    await sysctl.update(c.id, r.props, inputs);
    expect(await forwarding(ns)).toBe("1");
    await sysctl.delete(c.id, c.outs);
    expect(await forwarding(ns)).toBe("0");
    expect(await readRecord({ netns: ns }, "sysctl", "net.ipv4.ip_forward")).toBeUndefined();
  });

  it("keeps what an interrupted create found (its record), and refuses a key another stack set", async () => {
    const ns = await freshNamespace(made);
    const first = await sysctl.create(await checked(sysctl, { key: "net.ipv4.ip_forward", value: 1, netns: ns, owner: owner("fwd") }));
    // the create again, as the engine retries it after a crash: it must still know "0"
    const again = await sysctl.create(await checked(sysctl, { key: "net.ipv4.ip_forward", value: 1, netns: ns, owner: owner("fwd") }));
    expect(again.outs.found).toBe("0");
    await expect(sysctl.create(await checked(sysctl, { key: "net.ipv4.ip_forward", value: 1, netns: ns, owner: owner("fwd", "prod") }))).rejects.toThrow(
      `failed to create sysctl "net.ipv4.ip_forward" in netns "${ns}": it is set by resource Sysctl "fwd" of stack "dev" (project "lab"); one setting has one owner: remove it from there first`,
    );
    await sysctl.delete(first.id, first.outs);
    expect(await forwarding(ns)).toBe("0");
  });

  it("leaves a value changed by hand after it alone on delete", async () => {
    const ns = await freshNamespace(made);
    const c = await sysctl.create(await checked(sysctl, { key: "net.ipv4.conf.all.rp_filter", value: 2, netns: ns, owner: owner("rp") }));
    await exec(ns, "sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=1");
    await sysctl.delete(c.id, c.outs);
    expect((await exec(ns, "sysctl", "-n", "net.ipv4.conf.all.rp_filter")).trim()).toBe("1");
  });

  it("refuses an unknown key at check where the namespace exists, and at create in one line otherwise", async () => {
    const ns = await freshNamespace(made);
    expect((await sysctl.check({}, { key: "net.ipv4.ip_forwad", value: 1, netns: ns })).failures).toEqual([
      { property: "key", reason: `invalid key "net.ipv4.ip_forwad" (the kernel has no such setting in netns "${ns}" (/proc/sys/net/ipv4/ip_forwad does not exist))` },
    ]);
    const later = uniqueName("later");
    const inputs = await checked(sysctl, { key: "net.ipv4.conf.eth9.forwarding", value: 1, netns: later }); // names an interface: left to create
    made.add(later);
    await ip(["netns", "add", later]);
    await expect(sysctl.create(inputs)).rejects.toThrow(
      `failed to create sysctl "net.ipv4.conf.eth9.forwarding" in netns "${later}": the kernel has no such setting in netns "${later}" (/proc/sys/net/ipv4/conf/eth9/forwarding does not exist)`,
    );
  });
});

describe("Route", () => {
  /** A namespace with eth0 (10.1.0.2/24) whose peer is in a second one. */
  async function wired(): Promise<string> {
    const [a, b] = [await freshNamespace(made), await freshNamespace(made)];
    await ip(["link", "add", "name", "eth0", "netns", a, "type", "veth", "peer", "name", "eth0", "netns", b]);
    await ip(["addr", "add", "10.1.0.2/24", "dev", "eth0"], { netns: a });
    await ip(["link", "set", "eth0", "up"], { netns: a });
    return a;
  }
  const routes = (ns: string, dst = "default") => ipJson<{ dst: string; gateway?: string; protocol?: string; dev?: string }>(["route", "show", "exact", dst], { netns: ns });

  it("adds a route marked proto 148, changes its gateway with replace, reads a deletion by hand as gone", async () => {
    const ns = await wired();
    const inputs = await checked(route, { destination: "default", via: "10.1.0.1", netns: ns });
    const c = await route.create(inputs);
    expect(await routes(ns)).toEqual([expect.objectContaining({ gateway: "10.1.0.1", dev: "eth0", protocol: "148" })]);
    const news = await checked(route, { destination: "default", via: "10.1.0.254", netns: ns });
    expect(await route.diff(c.id, c.outs, news)).toEqual({ replaces: [], deleteBeforeReplace: false });
    const u = await route.update(c.id, c.outs, news);
    expect(await routes(ns)).toEqual([expect.objectContaining({ gateway: "10.1.0.254" })]);
    await ip(["route", "del", "default"], { netns: ns });
    expect(await route.read(c.id, u.outs)).toEqual({ id: "", props: {} });
    await expect(route.delete(c.id, u.outs)).resolves.toBeUndefined();
  });

  it("refuses a route it did not make unless adopted, and never deletes one that is not marked", async () => {
    const ns = await wired();
    await ip(["route", "add", "10.9.0.0/24", "via", "10.1.0.1", "proto", "static"], { netns: ns });
    const inputs = await checked(route, { destination: "10.9.0.0/24", via: "10.1.0.1", netns: ns });
    await expect(route.create(inputs)).rejects.toThrow(`failed to create route "10.9.0.0/24" in netns "${ns}": it already exists and was not made by pulumi-linuxnet (its alias is "proto static"); set adopt: true`);
    await route.delete("x", inputs); // not marked: left alone
    expect(await routes(ns, "10.9.0.0/24")).toHaveLength(1);
    const c = await route.create({ ...inputs, adopt: true });
    expect(await routes(ns, "10.9.0.0/24")).toEqual([expect.objectContaining({ protocol: "148" })]);
    await route.delete(c.id, c.outs);
    expect(await routes(ns, "10.9.0.0/24")).toEqual([]);
  });

  it("says in one line what the kernel refuses (a gateway not on any link)", async () => {
    const ns = await wired();
    await expect(route.create(await checked(route, { destination: "10.8.0.0/24", via: "192.0.2.1", netns: ns }))).rejects.toThrow(
      `failed to create route "10.8.0.0/24" in netns "${ns}": \`ip -n ${ns} -4 route add 10.8.0.0/24 metric 0 table main via 192.0.2.1 proto 148\`: Nexthop has invalid gateway.`,
    );
  });
});

describe("IptablesRule", () => {
  const owner = (name: string, stack = "dev") => ownerOf("lab", stack, "IptablesRule", name);
  const save = (ns: string) => exec(ns, "iptables-save").then((s) => s.split("\n").filter((l) => !l.startsWith("#")).join("\n"));

  it("adds a rule marked with its comment, finds it by -C, reads a rule changed by hand, deletes exactly it", async () => {
    const ns = await freshNamespace(made);
    await exec(ns, "iptables", "-A", "FORWARD", "-i", "x0", "-j", "ACCEPT"); // someone else's
    const before = await save(ns);
    const inputs = await checked(iptables, { table: "nat", chain: "POSTROUTING", rule: ["-o", "enp0s8.100", "-j", "MASQUERADE"], netns: ns, owner: owner("masq") });
    const c = await iptables.create(inputs);
    expect(await exec(ns, "iptables", "-t", "nat", "-S", "POSTROUTING")).toContain('-A POSTROUTING -o enp0s8.100 -m comment --comment "linuxnet:lab/dev/IptablesRule/masq" -j MASQUERADE');
    expect((await iptables.read(c.id, c.outs)).inputs).toMatchObject({ rule: ["-o", "enp0s8.100", "-j", "MASQUERADE"] });
    // changed by hand: the same mark, another interface
    await exec(ns, "iptables", "-t", "nat", "-R", "POSTROUTING", "1", "-o", "enp0s8.999", "-m", "comment", "--comment", "linuxnet:lab/dev/IptablesRule/masq", "-j", "MASQUERADE");
    const r = await iptables.read(c.id, c.outs);
    expect(r.inputs).toMatchObject({ rule: ["-o", "enp0s8.999", "-j", "MASQUERADE"] });
    await iptables.update(c.id, r.props, inputs);
    expect(await exec(ns, "iptables", "-t", "nat", "-S", "POSTROUTING")).toMatch(/-o enp0s8\.100 .*MASQUERADE/);
    expect(await exec(ns, "iptables", "-t", "nat", "-S", "POSTROUTING")).not.toMatch(/enp0s8\.999/);
    await iptables.delete(c.id, c.outs);
    expect(await save(ns)).toBe(before);
    await expect(iptables.delete(c.id, c.outs)).resolves.toBeUndefined();
  });

  it("creates 20 rules at once in one namespace (-w), each exactly once", async () => {
    const ns = await freshNamespace(made);
    const all = await Promise.all(
      [...Array(20).keys()].map(async (k) => iptables.create(await checked(iptables, { chain: "FORWARD", rule: ["-i", `in${k}`, "-j", "ACCEPT"], netns: ns, owner: owner(`r${k}`) }))),
    );
    const lines = (await exec(ns, "iptables", "-S", "FORWARD")).split("\n").filter((l) => l.startsWith("-A"));
    expect(lines).toHaveLength(20);
    for (let k = 0; k < 20; k++) expect(lines.filter((l) => l.includes(`--comment "linuxnet:lab/dev/IptablesRule/r${k}"`))).toHaveLength(1);
    await Promise.all(all.map((c) => iptables.delete(c.id, c.outs)));
    expect((await exec(ns, "iptables", "-S", "FORWARD")).trim()).toBe("-P FORWARD ACCEPT");
  });

  it("fails a rule iptables refuses with iptables' own words and the rule", async () => {
    const ns = await freshNamespace(made);
    await expect(iptables.create(await checked(iptables, { chain: "FORWARD", rule: ["-j", "NOPE"], netns: ns, owner: owner("bad") }))).rejects.toThrow(
      /failed to create iptables rule "-t filter FORWARD -j NOPE" in netns "[^"]+": `ip netns exec \S+ iptables -w -t filter -C FORWARD -j NOPE -m comment --comment linuxnet:lab\/dev\/IptablesRule\/bad`: iptables v[\d.]+ \(nf_tables\): Chain 'NOPE' does not exist/,
    );
    await expect(iptables.create(await checked(iptables, { chain: "FORWARD", rule: ["-m", "nosuch", "-j", "ACCEPT"], netns: ns, owner: owner("bad2") }))).rejects.toThrow(/Couldn't load match `nosuch'/);
  });

  it("refuses an identical rule made by hand unless adopted; adopting replaces it with the marked one", async () => {
    const ns = await freshNamespace(made);
    await exec(ns, "iptables", "-A", "FORWARD", "-i", "a0", "-o", "b0", "-j", "ACCEPT");
    const inputs = await checked(iptables, { chain: "FORWARD", rule: ["-i", "a0", "-o", "b0", "-j", "ACCEPT"], netns: ns, owner: owner("fwd") });
    await expect(iptables.create(inputs)).rejects.toThrow(/it already exists and was not made by pulumi-linuxnet .* set adopt: true to take it over/);
    await iptables.create({ ...inputs, adopt: true });
    const lines = (await exec(ns, "iptables", "-S", "FORWARD")).split("\n").filter((l) => l.startsWith("-A"));
    expect(lines).toEqual(['-A FORWARD -i a0 -o b0 -m comment --comment "linuxnet:lab/dev/IptablesRule/fwd" -j ACCEPT']);
  });
});

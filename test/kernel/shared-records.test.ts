/**
 * The records kinds share, on the real kernel: a parent's promiscuous flag set by two networks
 * made at once from two processes, a MacvlanEndpoint's host route by Route's owner rules, a
 * namespace whose delete fails keeping its records, a Sysctl whose create fails leaving none.
 * Each case was a defect of issue 22.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { macvlanEndpoint } from "../../provider/kinds/macvlan-endpoint";
import { macvlanNetwork } from "../../provider/kinds/macvlan-network";
import { namespace } from "../../provider/kinds/namespace";
import { ownerOf } from "../../provider/core/owner";
import { route } from "../../provider/kinds/route";
import { sysctl } from "../../provider/kinds/sysctl";
import { ip, ipJson, readRecord, run } from "../support/local";
import { freshNamespace, linkState, links, removeNamespaces, uniqueName } from "../support/kernel";

jest.setTimeout(120_000);

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});

type Props = Record<string, unknown>;
type H = { check: Function; create: Function };
const checked = async (h: H, props: Props): Promise<Props> => {
  const r = await h.check({}, props);
  expect(r.failures).toEqual([]);
  return r.inputs;
};
const owner = (kind: string, name: string, stack = "dev") => ownerOf("lab", stack, kind, name);
const promisc = async (ns: string) => (await linkState("enp0s8", ns))?.flags.includes("PROMISC");

/** A host namespace with enp0s8 (a veth end, up), and the network on it with a host shim. */
async function host(): Promise<string> {
  const h = await freshNamespace(made, "h");
  await ip(["link", "add", "name", "enp0s8", "type", "veth", "peer", "name", "x1"], { netns: h });
  await ip(["link", "set", "enp0s8", "up"], { netns: h });
  return h;
}
const network = (h: string, k: number, extra: Props = {}): Props => ({ name: `mac${k}`, parent: "enp0s8", netns: h, subnet: `172.16.${k}.0/24`, gateway: `172.16.${k}.1`, promiscuous: true, ...extra });

/** Creates networks in a provider process of its own (as another stack's `up` does); they start together on "go". */
function creator(networks: Props[]): { ready: Promise<void>; go: () => void; done: Promise<Props[]> } {
  const kinds = join(__dirname, "../../provider/kinds/macvlan-network");
  const script = `
    const { macvlanNetwork: m } = require(${JSON.stringify(kinds)});
    const all = ${JSON.stringify(networks)};
    process.stdout.write("ready\\n");
    process.stdin.once("data", async () => {
      try {
        const made = await Promise.all(all.map(async (n) => (await m.create((await m.check({}, n)).inputs)).outs));
        process.stdout.write(JSON.stringify(made) + "\\n");
      } catch (e) { process.stderr.write(String(e.message)); process.exit(1); }
      process.exit(0);
    });`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let onReady = () => undefined as void;
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout.on("data", (d: Buffer) => (out += d.toString()) && out.startsWith("ready") && onReady());
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const done = new Promise<Props[]>((resolve, reject) =>
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out.split("\n")[1])) : reject(new Error(`creator exited ${code}: ${err}`)))),
  );
  return { ready, go: () => child.stdin.write("go\n"), done };
}

describe("a parent's promiscuous flag, shared by networks of two stacks", () => {
  it("keeps every network made at once from two processes as an owner: the flag stays until the last goes", async () => {
    const h = await host();
    const stacks = ["a", "b"].map((s) => [1, 2, 3].map((k) => network(h, s === "a" ? k : k + 10, { owner: owner("MacvlanNetwork", `n${k}`, s) })));
    const procs = stacks.map(creator);
    await Promise.all(procs.map((p) => p.ready));
    procs.forEach((p) => p.go());
    const outs = (await Promise.all(procs.map((p) => p.done))).flat();
    const record = await readRecord<{ found: boolean; owners: string[] }>({ netns: h }, "promisc", "enp0s8");
    expect(record?.owners.sort()).toEqual(stacks.flat().map((n) => n.owner).sort());
    expect(record?.found).toBe(false);
    const all = stacks.flat();
    for (const [k, n] of all.entries()) {
      expect(await promisc(h)).toBe(true); // each earlier destroy kept it: a later network still needs it
      await macvlanNetwork.delete(`${h}/enp0s8/${n.name}`, { ...(await checked(macvlanNetwork, n)), ...outs[k] });
    }
    expect(await promisc(h)).toBe(false); // the last put back what was found
    expect(await readRecord({ netns: h }, "promisc", "enp0s8")).toBeUndefined();
  });

  it("fails a destroy that meets a corrupt owners record, naming the file, and leaves the flag as it is", async () => {
    const h = await host();
    const inputs = await checked(macvlanNetwork, network(h, 1, { owner: owner("MacvlanNetwork", "n1") }));
    const n = await macvlanNetwork.create(inputs);
    const path = (await run(["find", "/run/pulumi-linuxnet", "-path", "*/promisc/enp0s8", "-type", "f"])).stdout.trim().split("\n").find((p) => p)!;
    await run(["sh", "-c", 'printf "{\\"found\\": false, \\"owners\\": [" > "$1"', "sh", path]);
    await expect(macvlanNetwork.delete(n.id, n.outs)).rejects.toThrow(new RegExp(`the record ${path} is corrupt`));
    expect(await promisc(h)).toBe(true);
  });
});

describe("a macvlan endpoint's host route, by Route's owner rules", () => {
  /** The host with a shim network, a container, and the endpoint's inputs (its host route: 172.16.1.2/32 via mac1-shim). */
  async function setup(): Promise<{ h: string; c: string; inputs: Props; hostRoute: string[] }> {
    const h = await host();
    await macvlanNetwork.create(await checked(macvlanNetwork, network(h, 1, { promiscuous: undefined, hostAccess: { address: "172.16.1.254" }, owner: owner("MacvlanNetwork", "n1") })));
    const c = await freshNamespace(made, "c");
    const net = { parent: "enp0s8", netns: h, mode: "bridge", subnet: "172.16.1.0/24", gateway: "172.16.1.1", shim: { name: "mac1-shim", address: "172.16.1.254" } };
    const inputs = await checked(macvlanEndpoint, { netns: c, address: "172.16.1.2", network: net, owner: owner("MacvlanEndpoint", "c1") });
    return { h, c, inputs, hostRoute: ["route", "show", "172.16.1.2/32"] };
  }
  const routeOf = async (h: string) => (await ipJson<{ dev: string; protocol?: string }>(["route", "show", "172.16.1.2/32"], { netns: h }))[0];
  const recordOf = (h: string) => readRecord<{ owner?: string }>({ netns: h }, "route", "ipv4/main/172.16.1.2/32/0");
  const otherRoute = (h: string) => checked(route, { destination: "172.16.1.2/32", dev: "mac1-shim", netns: h, owner: owner("Route", "r", "other") });

  it("makes its host route with its owner recorded, and removes both with the endpoint", async () => {
    const { h, inputs } = await setup();
    const e = await macvlanEndpoint.create(inputs);
    expect(await routeOf(h)).toMatchObject({ dev: "mac1-shim", protocol: "148" });
    expect(await recordOf(h)).toEqual({ owner: inputs.owner });
    await macvlanEndpoint.delete(e.id, e.outs);
    expect(await routeOf(h)).toBeUndefined();
    expect(await recordOf(h)).toBeUndefined();
  });

  it("refuses a host route another stack's Route holds: its record and route stay, and the endpoint's link goes", async () => {
    const { h, c, inputs } = await setup();
    await route.create(await otherRoute(h));
    await expect(macvlanEndpoint.create(inputs)).rejects.toThrow(/failed to create macvlan endpoint "eth0" in netns "[^"]+": its host route 172\.16\.1\.2\/32 through "mac1-shim": it already exists and belongs to resource Route "r" of stack "other"/);
    expect(await recordOf(h)).toEqual({ owner: owner("Route", "r", "other") });
    expect(await routeOf(h)).toMatchObject({ protocol: "148" });
    expect((await links(c)).map((l) => l.ifname)).toEqual(["lo"]);
  });

  it("never replaces a host route made by hand (no adopt), and records nothing for it", async () => {
    const { h, inputs } = await setup();
    await ip(["route", "add", "172.16.1.2/32", "dev", "mac1-shim"], { netns: h });
    await expect(macvlanEndpoint.create(inputs)).rejects.toThrow(/its host route 172\.16\.1\.2\/32 through "mac1-shim": it already exists and was not made by pulumi-linuxnet/);
    expect((await routeOf(h))?.protocol).not.toBe("148");
    expect(await recordOf(h)).toBeUndefined();
  });

  it("deletes only its own host route: one another Route made at that key since stays", async () => {
    const { h, inputs } = await setup();
    const e = await macvlanEndpoint.create(inputs);
    await ip(["route", "del", "172.16.1.2/32"], { netns: h }); // gone by hand, then another stack's Route takes the key
    await route.create(await otherRoute(h));
    await macvlanEndpoint.delete(e.id, e.outs);
    expect(await routeOf(h)).toMatchObject({ dev: "mac1-shim", protocol: "148" });
    expect(await recordOf(h)).toEqual({ owner: owner("Route", "r", "other") });
  });

  it("undoes only what its create made: a create that fails at its link leaves another's host route and record alone", async () => {
    const { h, c, inputs } = await setup();
    await route.create(await otherRoute(h));
    await ip(["link", "add", "name", "eth0", "type", "veth", "peer", "name", "eth0p"], { netns: c }); // the endpoint's name is taken: its add fails "exists"
    await expect(macvlanEndpoint.create(inputs)).rejects.toThrow(/the name is taken by a veth/);
    expect(await routeOf(h)).toMatchObject({ protocol: "148" });
    expect(await recordOf(h)).toEqual({ owner: owner("Route", "r", "other") });
  });
});

describe("records of a namespace and a sysctl under failure", () => {
  it("keeps a namespace's records (the values to put back) when its delete fails", async () => {
    const ns = uniqueName("n");
    made.add(ns);
    const nsInputs = await checked(namespace, { name: ns, owner: owner("Namespace", "n") });
    await namespace.create(nsInputs);
    const key = { key: "net.ipv4.ip_forward", value: "1", netns: ns, owner: owner("Sysctl", "fw") };
    await sysctl.create(await checked(sysctl, key));
    // A second mount on the namespace file: `ip netns del` unmounts one, and the unlink fails (busy).
    await run(["mount", "--bind", `/run/netns/${ns}`, `/run/netns/${ns}`]);
    await expect(namespace.delete(ns, nsInputs)).rejects.toThrow(/failed to delete namespace/);
    expect(await readRecord({ netns: ns }, "sysctl", "net.ipv4.ip_forward")).toEqual({ owner: key.owner, found: "0", value: "1" });
  });

  it("leaves no owner record when a sysctl's create fails to set the value", async () => {
    const ns = await freshNamespace(made);
    const inputs = await checked(sysctl, { key: "net.ipv4.ip_forward", value: "not-a-number", netns: ns, owner: owner("Sysctl", "fw") });
    await expect(sysctl.create(inputs)).rejects.toThrow(/failed to create sysctl "net.ipv4.ip_forward"/);
    expect(await readRecord({ netns: ns }, "sysctl", "net.ipv4.ip_forward")).toBeUndefined();
    // and another stack may take the setting now
    await sysctl.create(await checked(sysctl, { key: "net.ipv4.ip_forward", value: "1", netns: ns, owner: owner("Sysctl", "fw", "other") }));
  });
});

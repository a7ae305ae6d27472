/**
 * VLAN-separated macvlan networks joined by a router host (the hand-made experiment the vlan-router example reproduces), on a kernel with 802.1Q, built by
 * the provider's handlers through `dispatch`: VLAN sub-interfaces enp0s8.100 and enp0s8.200 on
 * two hosts, macvlan networks mac10 and mac20 on them, d1/d3 on mac10 and d2/d4 on mac20; then
 * host3 with the gateways on its own enp0s8.100/.200 becomes the router the Router component
 * makes (the same plan: sysctl and iptables rules), and d1 reaches d2 and d4 in one hop.
 */
import { dispatch } from "../../provider";
import { routerPlan } from "../../provider/core/router-plan";
import { ip, run } from "../support/local";

type Props = Record<string, unknown>;
interface Made {
  kind: string;
  id: string;
  outs: Props;
}

const made: Made[] = [];
const namespaces: string[] = [];

async function create(kind: string, props: Props): Promise<Made> {
  const { inputs, failures } = (await dispatch(kind, "check", [{}, props])) as { inputs: Props; failures: unknown[] };
  expect(failures).toEqual([]);
  const { id, outs } = (await dispatch(kind, "create", [inputs])) as { id: string; outs: Props };
  const m = { kind, id, outs };
  made.push(m);
  return m;
}
const read = (m: Made) => dispatch(m.kind, "read", [m.id, m.outs]) as Promise<{ id: string; props: Props }>;
const pings = (from: string, to: string) =>
  run(["ip", "netns", "exec", from, "ping", "-c", "1", "-W", "2", to]).then(
    () => true,
    () => false,
  );

async function namespace(name: string): Promise<void> {
  await create("namespace", { name });
  namespaces.push(name);
}

afterAll(async () => {
  for (const m of made.reverse()) await dispatch(m.kind, "delete", [m.id, m.outs]).catch(() => undefined);
  for (const ns of namespaces) await ip(["netns", "del", ns]).catch(() => undefined);
});

describe("two VLAN-separated macvlan networks across two hosts, then host3 as their router", () => {
  const nets: Record<string, Made> = {};
  const vlans: Record<string, Made> = {};
  const endpoints: Record<string, Made> = {};
  const mac = (vlan: 100 | 200) => ({ subnet: `172.16.${vlan / 10}.0/24`, gateway: `172.16.${vlan / 10}.1` });
  const endpointProps = (d: string, host: string, vlan: 100 | 200, address: string) => ({
    netns: d,
    address,
    network: { parent: `enp0s8.${vlan}`, netns: host, mode: "bridge", ...mac(vlan) },
  });

  beforeAll(async () => {
    for (const ns of ["s5lan", "s5h1", "s5h2", "d1", "d2", "d3", "d4"]) await namespace(ns);
    await create("bridge", { name: "br-lan", netns: "s5lan" });
    for (const [k, host] of [[1, "s5h1"], [2, "s5h2"]] as const) {
      await create("veth", { end: { name: "enp0s8", netns: host }, peer: { name: `lan${k}`, netns: "s5lan", master: "br-lan" } });
      for (const vlan of [100, 200] as const) {
        vlans[`${host}.${vlan}`] = await create("vlan", { parent: "enp0s8", vlanId: vlan, netns: host });
        nets[`${host}.${vlan}`] = await create("macvlanNetwork", { name: `mac${vlan / 10}`, parent: `enp0s8.${vlan}`, netns: host, ...mac(vlan), promiscuous: true });
      }
    }
    endpoints.d1 = await create("macvlanEndpoint", endpointProps("d1", "s5h1", 100, "172.16.10.10"));
    endpoints.d2 = await create("macvlanEndpoint", endpointProps("d2", "s5h1", 200, "172.16.20.10"));
    endpoints.d3 = await create("macvlanEndpoint", endpointProps("d3", "s5h2", 100, "172.16.10.11"));
    endpoints.d4 = await create("macvlanEndpoint", endpointProps("d4", "s5h2", 200, "172.16.20.11"));
  });

  it("names the sub-interfaces enp0s8.100 and enp0s8.200 on both hosts", () => {
    expect(Object.values(vlans).map((v) => v.id).sort()).toEqual(["s5h1/enp0s8.100", "s5h1/enp0s8.200", "s5h2/enp0s8.100", "s5h2/enp0s8.200"]);
  });

  it("connects endpoints of one network across the hosts: d1 ↔ d3, d2 ↔ d4", async () => {
    expect(await pings("d1", "172.16.10.11")).toBe(true);
    expect(await pings("d3", "172.16.10.10")).toBe(true);
    expect(await pings("d2", "172.16.20.11")).toBe(true);
    expect(await pings("d4", "172.16.20.10")).toBe(true);
  });

  it("keeps the networks apart at layer 2: d1 reaches neither d2 nor d4 (no router yet)", async () => {
    expect(await pings("d1", "172.16.20.10")).toBe(false);
    expect(await pings("d1", "172.16.20.11")).toBe(false);
  });

  it("reads a VLAN sub-interface deleted by hand as gone (its macvlan endpoint with it), and recreates them", async () => {
    await ip(["link", "del", "dev", "enp0s8.100"], { netns: "s5h1" });
    expect(await read(vlans["s5h1.100"])).toEqual({ id: "", props: {} });
    expect(await read(endpoints.d1)).toEqual({ id: "", props: {} }); // the kernel removes macvlans with their lower link
    expect(await pings("d3", "172.16.10.10")).toBe(false);
    vlans["s5h1.100"] = await create("vlan", { parent: "enp0s8", vlanId: 100, netns: "s5h1" });
    endpoints.d1 = await create("macvlanEndpoint", endpointProps("d1", "s5h1", 100, "172.16.10.10"));
    // d1's new eth0 has a new MAC: d1 asks first, so d3 learns it (d3's cached neighbour entry is stale)
    expect(await pings("d1", "172.16.10.11")).toBe(true);
    expect(await pings("d3", "172.16.10.10")).toBe(true);
  });

  it("with host3 as the router (ip_forward, FORWARD and MASQUERADE rules on its VLAN legs), d1 reaches d2 and d4 with a reply TTL of 63", async () => {
    await namespace("s5h3");
    await create("veth", { end: { name: "enp0s8", netns: "s5h3" }, peer: { name: "lan3", netns: "s5lan", master: "br-lan" } });
    for (const vlan of [100, 200] as const) await create("vlan", { parent: "enp0s8", vlanId: vlan, netns: "s5h3", addresses: [`172.16.${vlan / 10}.1/24`] });
    const plan = routerPlan({ legs: ["enp0s8.100", "enp0s8.200"], masquerade: ["enp0s8.100", "enp0s8.200"] });
    for (const s of plan.sysctls) await create("sysctl", { key: s.key, value: s.value, netns: "s5h3" });
    for (const r of plan.rules) await create("iptables", { table: r.table, chain: r.chain, rule: r.rule, family: r.family, netns: "s5h3" });
    const ttl = async (from: string, to: string) => /ttl=(\d+)/.exec((await run(["ip", "netns", "exec", from, "ping", "-c", "1", "-W", "2", to])).stdout)?.[1];
    expect(await ttl("d1", "172.16.20.10")).toBe("63");
    expect(await ttl("d1", "172.16.20.11")).toBe("63");
    expect(await ttl("d1", "172.16.10.11")).toBe("64");
  });

  it("tears down through delete: the hosts keep only lo and enp0s8, then no namespace is left", async () => {
    const all = made.splice(0).reverse();
    const isTopology = (m: Made) => m.kind === "namespace" || m.kind === "veth" || m.kind === "bridge";
    for (const m of all.filter((m) => !isTopology(m))) await dispatch(m.kind, "delete", [m.id, m.outs]);
    expect((await run(["ip", "netns", "exec", "s5h3", "sysctl", "-n", "net.ipv4.ip_forward"])).stdout.trim()).toBe("0"); // put back
    expect((await run(["ip", "netns", "exec", "s5h3", "iptables-save"])).stdout).not.toMatch(/^-A /m);
    for (const host of ["s5h1", "s5h2", "s5h3"]) {
      const { stdout } = await ip(["-j", "link", "show"], { netns: host });
      const links = JSON.parse(stdout) as Array<{ ifname: string }>;
      expect(links.map((l) => l.ifname).sort()).toEqual(["enp0s8", "lo"]);
    }
    for (const m of all.filter(isTopology)) await dispatch(m.kind, "delete", [m.id, m.outs]);
    expect((await run(["ip", "netns", "list"])).stdout.trim()).toBe("");
  });
});

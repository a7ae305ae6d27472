import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// Two sites, one per machine, reached over SSH. Each site has a LAN (bridge br0) with a
// container on it (namespace c1 on the first machine, c2 on the second, 192.168.100.11 and
// .12/24). The machines only need to route to each other: a VXLAN tunnel (VNI 100, UDP 4789)
// between their underlay addresses joins the two bridges into one LAN, with the overlay MTU
// (1450 on a 1500 underlay) on every link of it. Each tunnel end shapes what its site sends
// into the WAN.
//   config hosts: [{ name, address, hostKey }] (two), privateKey (secret): how to reach them.
//   config underlay (default "eth0"): the machines' NIC that carries `address`.
//   config wanRate (default "20mbit"): the WAN's rate each way: tbf, which every kernel has.
//   config wanDelay, wanLoss (e.g. "50ms", 1): a WAN's delay and loss each way, with netem
//     (kernel module sch_netem); `up` fails in one line on a kernel without it.
const config = new pulumi.Config();
const privateKey = config.requireSecret("privateKey");
const hosts = config.requireObject<Array<{ name: string; address: string; hostKey: string }>>("hosts");
if (hosts.length !== 2) throw new Error("config hosts: two machines, one per site");
const machines = hosts.map((h) => new linuxnet.Host(h.name, { host: h.address, privateKey, hostKey: h.hostKey }));
const underlay = config.get("underlay") ?? "eth0";
const underlayMtu = config.getNumber("underlayMtu") ?? 1500;

const sites = machines.map((machine) => ({ machine, lan: new linuxnet.Bridge(`${machine.name}-br0`, { name: "br0", connection: machine }) }));

// ip link add vxlan100 type vxlan id 100 local A remote B dstport 4789 dev eth0; ip link set vxlan100 master br0 mtu 1450 up (on each machine)
const tunnel = new linuxnet.VxlanTunnel("wan", {
  vni: 100,
  underlayMtu,
  a: { connection: machines[0], local: hosts[0].address, dev: underlay, bridge: sites[0].lan },
  b: { connection: machines[1], local: hosts[1].address, dev: underlay, bridge: sites[1].lan },
});

const containers = sites.map((site, k) => {
  const name = `c${k + 1}`;
  const address = `192.168.100.${11 + k}`;
  const ns = new linuxnet.Namespace(name, { name, connection: site.machine });
  new linuxnet.VethPair(name, {
    end: { name: "eth0", netns: ns, addresses: [`${address}/24`], mtu: tunnel.mtu },
    peer: { name: `${name}-p`, master: site.lan, mtu: tunnel.mtu },
    connection: site.machine,
  });
  return { container: name, host: site.machine.name, address };
});

// tc qdisc replace dev vxlan100 root handle 148: tbf rate 20mbit … (netem delay 50ms loss random 1% rate 20mbit with wanDelay/wanLoss)
const wan = { rate: config.get("wanRate") ?? "20mbit", delay: config.get("wanDelay"), loss: config.getNumber("wanLoss") };
const shaping = [tunnel.a, tunnel.b].map((end, k) => new linuxnet.LinkShaping(`wan-${k + 1}`, { link: end, ...wan }));

export { containers };
export const overlayMtu = tunnel.mtu;
export const wanQdiscs = shaping.map((s) => s.qdisc);

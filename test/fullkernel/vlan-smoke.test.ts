/**
 * Proves the full-kernel tier is real: 802.1Q VLAN sub-interfaces, which this machine's own
 * kernel cannot make ("Unknown device type"), carry traffic between two namespaces joined by
 * a veth, and only between equal VLAN ids.
 */
import { execFile } from "node:child_process";
import { ip, ipJson, run } from "../support/local";

interface VlanLink {
  ifname: string;
  linkinfo?: { info_kind?: string; info_data?: { protocol?: string; id?: number } };
}

let counter = 0;
const made = new Set<string>();

/** Two fresh namespaces, each holding one end (eth0) of a veth pair, both up. */
async function joinedPair(): Promise<[string, string]> {
  const [a, b] = [`fka${process.pid}x${counter}`, `fkb${process.pid}x${counter++}`];
  for (const ns of [a, b]) {
    await ip(["netns", "add", ns]);
    made.add(ns);
  }
  await ip(["link", "add", "eth0", "netns", a, "type", "veth", "peer", "name", "eth0", "netns", b]);
  for (const ns of [a, b]) await ip(["link", "set", "eth0", "up"], { netns: ns });
  return [a, b];
}

/** `eth0.ID` on eth0 in `netns`, addressed and up. */
async function vlan(netns: string, id: number, cidr: string): Promise<string> {
  const name = `eth0.${id}`;
  await ip(["link", "add", "link", "eth0", "name", name, "type", "vlan", "id", String(id)], { netns });
  await ip(["addr", "add", cidr, "dev", name], { netns });
  await ip(["link", "set", name, "up"], { netns });
  return name;
}

function ping(from: string, address: string) {
  return run(["ip", "netns", "exec", from, "ping", "-c", "1", "-W", "2", address]);
}

/** One ping's own summary and exit status, whether it got an answer or not. */
function pingSays(from: string, address: string): Promise<{ status: number; said: string }> {
  return new Promise((resolve) =>
    execFile("ip", ["netns", "exec", from, "ping", "-c", "1", "-W", "2", address], { env: { ...process.env, LC_ALL: "C" } }, (err, stdout, stderr) =>
      resolve({ status: err ? Number(err.code ?? 1) : 0, said: `${stdout}${stderr}` }),
    ),
  );
}

afterEach(async () => {
  for (const ns of made) await ip(["netns", "del", ns]).catch(() => undefined);
  made.clear();
});

describe("802.1Q VLANs on the full kernel", () => {
  it("makes VLAN 100 sub-interfaces on both ends of a veth that ping each other", async () => {
    const [a, b] = await joinedPair();
    await vlan(a, 100, "10.100.0.1/24");
    await vlan(b, 100, "10.100.0.2/24");

    for (const ns of [a, b]) {
      const [link] = await ipJson<VlanLink>(["-details", "link", "show", "dev", "eth0.100"], { netns: ns });
      expect(link.linkinfo?.info_kind).toBe("vlan");
      expect(link.linkinfo?.info_data?.id).toBe(100);
      expect(link.linkinfo?.info_data?.protocol).toBe("802.1Q");
    }
    await expect(ping(a, "10.100.0.2")).resolves.toBeDefined();
    await expect(ping(b, "10.100.0.1")).resolves.toBeDefined();
  });

  it("does not carry a ping between VLAN 100 and VLAN 200 on the same wire, and does once both ends are VLAN 100", async () => {
    const [a, b] = await joinedPair();
    await vlan(a, 100, "10.100.0.1/24");
    await vlan(b, 200, "10.100.0.2/24");

    const [link] = await ipJson<VlanLink>(["-details", "link", "show", "dev", "eth0.200"], { netns: b });
    expect(link.linkinfo?.info_data?.id).toBe(200);
    const apart = await pingSays(a, "10.100.0.2");
    expect(apart.said).toMatch(/\b1 packets transmitted, 0 received\b/); // ping's own words: sent, never answered
    expect(apart.status).toBe(1);

    // The same wire and addresses, the far end on VLAN 100 now: the ping goes through.
    await ip(["link", "del", "dev", "eth0.200"], { netns: b });
    await vlan(b, 100, "10.100.0.2/24");
    await ip(["neigh", "flush", "dev", "eth0.100"], { netns: a });
    const together = await pingSays(a, "10.100.0.2");
    expect(together.said).toMatch(/\b1 packets transmitted, 1 received\b/);
    expect(together.status).toBe(0);
  });
});

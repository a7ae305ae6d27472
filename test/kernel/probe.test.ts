/**
 * Probe through its handlers on the real kernel: a router namespace `r` between `a`
 * (10.0.1.0/24, fd00:1::/64) and `b` (10.0.2.0/24), built with ip in throwaway namespaces;
 * pings and TCP connects go only between them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeHosts } from "../../provider/hosts";
import { probe } from "../../provider/kinds/probe";
import { freshNamespace, removeNamespaces } from "../support/kernel";
import { ip, run } from "../support/local";
import { SshHosts, type TestHost } from "../support/ssh-hosts";

type Props = Record<string, unknown>;
const made = new Set<string>();
let a: string, r: string, b: string;

async function link(x: string, xAddr: string[], y: string, yAddr: string[], name: string): Promise<void> {
  await ip(["link", "add", `${name}x`, "netns", x, "type", "veth", "peer", "name", `${name}y`, "netns", y]);
  for (const addr of xAddr) await ip(["addr", "add", addr, "dev", `${name}x`, ...(addr.includes(":") ? ["nodad"] : [])], { netns: x });
  for (const addr of yAddr) await ip(["addr", "add", addr, "dev", `${name}y`, ...(addr.includes(":") ? ["nodad"] : [])], { netns: y });
  await ip(["link", "set", "dev", `${name}x`, "up"], { netns: x });
  await ip(["link", "set", "dev", `${name}y`, "up"], { netns: y });
}

beforeAll(async () => {
  [a, r, b] = [await freshNamespace(made, "pa"), await freshNamespace(made, "pr"), await freshNamespace(made, "pb")];
  await link(a, ["10.0.1.2/24", "fd00:1::2/64"], r, ["10.0.1.1/24", "fd00:1::1/64"], "ar");
  await link(r, ["10.0.2.1/24"], b, ["10.0.2.2/24"], "rb");
  await ip(["route", "add", "default", "via", "10.0.1.1"], { netns: a });
  await ip(["route", "add", "default", "via", "10.0.2.1"], { netns: b });
  await run(["ip", "netns", "exec", r, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
});
afterAll(() => removeNamespaces(made));

async function checked(props: Props): Promise<Props> {
  const c = await probe.check({}, props);
  expect(c.failures).toEqual([]);
  return c.inputs!;
}
const create = async (props: Props) => probe.create(await checked(props));
/** The namespace's count of packets the kernel found no route for (Ip OutNoRoutes in /proc/net/snmp). */
async function outNoRoutes(ns: string): Promise<number> {
  const [names, values] = (await run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"])).stdout.split("\n").filter((l) => l.startsWith("Ip: ")).map((l) => l.split(" "));
  return Number(values[names.indexOf("OutNoRoutes")]);
}

describe("a probe through its handlers", () => {
  it("sees a neighbour reachable with TTL 64, over IPv4 and IPv6, and records what it saw", async () => {
    const c = await create({ netns: a, to: "10.0.1.1", ttl: 64 });
    expect(c.outs).toMatchObject({ to: "10.0.1.1", expect: "reachable", holds: true, seen: { via: "icmp", reachable: true, ttl: 64, sent: 1, received: 1 } });
    expect((c.outs.seen as Props).rttMs).toBeGreaterThan(0);
    expect(Date.parse((c.outs.seen as Props).at as string)).toBeGreaterThan(Date.now() - 60_000);
    const v6 = await create({ netns: a, to: "fd00:1::1/64", ttl: 64, count: 2 });
    expect(v6.outs).toMatchObject({ to: "fd00:1::1", seen: { reachable: true, ttl: 64 } });
    // count: 2 waits for two replies; ping counts any others already on their way (requests queued during neighbour discovery)
    expect((v6.outs.seen as Props).received).toBeGreaterThanOrEqual(2);
  });

  it("sees the reply through the router namespace with TTL 63, and fails with one line when 64 is expected", async () => {
    expect((await create({ netns: a, to: "10.0.2.2", ttl: 63 })).outs).toMatchObject({ holds: true, seen: { ttl: 63 } });
    await expect(create({ netns: a, to: "10.0.2.2", ttl: 64 })).rejects.toThrow(new RegExp(`^probe ${a} → 10\\.0\\.2\\.2: expected reachable with TTL 64, got a reply with TTL 63 in [\\d.]+ ms$`));
  });

  it("holds 'unreachable' for an address nobody has, after its whole timeout; 'reachable' fails there with one line", async () => {
    const t0 = Date.now();
    expect((await create({ netns: a, to: "10.0.1.77", expect: "unreachable", timeout: 1 })).outs).toMatchObject({ holds: true, seen: { reachable: false, received: 0 } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    await expect(create({ netns: a, to: "10.0.1.77", timeout: 1 })).rejects.toThrow(`probe ${a} → 10.0.1.77: expected reachable, got no reply in 1 s`);
    // no route at all: the kernel refuses to send, and says so
    await expect(create({ netns: b, to: "fd00:1::2", timeout: 1 })).rejects.toThrow(`probe ${b} → fd00:1::2: expected reachable, got no reply in 1 s (connect: Network is unreachable)`);
  });

  it("absorbs start-up: an IPv6 address still tentative (duplicate address detection) is waited for within the timeout", async () => {
    const [x, y] = [await freshNamespace(made, "px"), await freshNamespace(made, "py")];
    await ip(["link", "add", "dadx", "netns", x, "type", "veth", "peer", "name", "dady", "netns", y]);
    await ip(["link", "set", "dev", "dady", "up"], { netns: y });
    await ip(["addr", "add", "fd00:9::2/64", "dev", "dady", "nodad"], { netns: y });
    await ip(["addr", "add", "fd00:9::1/64", "dev", "dadx"], { netns: x }); // with DAD: tentative for a second or more
    await ip(["link", "set", "dev", "dadx", "up"], { netns: x });
    expect((await ip(["-6", "addr", "show", "dev", "dadx"], { netns: x })).stdout).toContain("tentative");
    expect((await create({ netns: x, to: "fd00:9::2" })).outs).toMatchObject({ holds: true, seen: { reachable: true } });
  });

  it("absorbs start-up: where the kernel refuses to send at first (no route yet), it asks again within the timeout", async () => {
    const [x, y] = [await freshNamespace(made, "pq"), await freshNamespace(made, "pz")];
    await link(x, ["10.0.8.2/24"], y, ["10.0.8.1/24", "10.0.9.1/24"], "nr");
    const probing = create({ netns: x, to: "10.0.9.1", timeout: 3 });
    // Until the kernel has refused the first ping ("connect: Network is unreachable": the
    // namespace's Ip OutNoRoutes counter, 0 in a fresh namespace, counts it), bounded by the timeout.
    for (let t = 0; t < 60 && (await outNoRoutes(x)) === 0; t++) await new Promise((w) => setTimeout(w, 50));
    expect(await outNoRoutes(x)).toBeGreaterThan(0);
    await ip(["route", "add", "10.0.9.0/24", "via", "10.0.8.1"], { netns: x });
    expect((await probing).outs).toMatchObject({ holds: true, seen: { reachable: true, ttl: 64 } });
  });

  it("read reports a route deleted by hand as a changed answer that no longer holds, and the diff asks to run it again", async () => {
    const c = await create({ netns: a, to: "10.0.2.2", ttl: 63, timeout: 1 });
    const same = await probe.read(c.id, c.outs);
    expect(same.props).toEqual(c.outs); // the same answer: nothing changes, not even the time or round trip
    await ip(["route", "del", "default"], { netns: b }); // the replies have no way back
    try {
      const broken = await probe.read(c.id, c.outs);
      expect(broken.props).toMatchObject({ holds: false, seen: { reachable: false, received: 0 } });
      expect(broken.inputs).toMatchObject({ netns: a, to: "10.0.2.2", expect: "reachable", ttl: 63 });
      expect(await probe.diff(c.id, broken.props, c.outs)).toMatchObject({ changes: true, replaces: [] });
      await expect(probe.update(c.id, broken.props, await checked({ netns: a, to: "10.0.2.2", ttl: 63, timeout: 1 }))).rejects.toThrow(
        `probe ${a} → 10.0.2.2: expected reachable with TTL 63, got no reply in 1 s`,
      );
    } finally {
      await ip(["route", "add", "default", "via", "10.0.2.1"], { netns: b });
    }
    const repaired = await probe.update(c.id, c.outs, await checked({ netns: a, to: "10.0.2.2", ttl: 63, timeout: 1 }));
    expect(repaired.outs).toMatchObject({ holds: true, seen: { ttl: 63 } });
  });

  it("reads a probe whose namespace is gone as one that could not run, and fails to create one there", async () => {
    const gone = await freshNamespace(made, "pg");
    const c = await create({ netns: gone, to: "127.0.0.1" });
    await removeNamespaces([gone]);
    const read = await probe.read(c.id, c.outs);
    expect(read.props).toMatchObject({ holds: false, seen: { reachable: false, couldNotRun: `netns "${gone}" does not exist` } });
    await expect(create({ netns: gone, to: "127.0.0.1", expect: "unreachable", timeout: 1 })).rejects.toThrow(
      `failed to run probe "${gone} → 127.0.0.1" in netns "${gone}": \`ip netns exec ${gone} ping -n -4 -c 1 -w 1 -i 0.2 127.0.0.1\`: Cannot open network namespace "${gone}": No such file or directory`,
    );
  });

  it("deletes nothing: the namespaces and routes it looked through are as they were", async () => {
    const c = await create({ netns: a, to: "10.0.2.2" });
    const before = (await ip(["route"], { netns: a })).stdout;
    await probe.delete(c.id, c.outs);
    expect((await ip(["route"], { netns: a })).stdout).toBe(before);
  });
});

describe("a TCP probe", () => {
  let listener: ChildProcess;
  beforeAll(async () => {
    listener = spawn("ip", ["netns", "exec", b, "nc", "-l", "-k", "-n", "10.0.2.2", "8080"], { stdio: "ignore" });
    for (let i = 0; i < 50 && !(await run(["ip", "netns", "exec", b, "ss", "-ltn"])).stdout.includes("10.0.2.2:8080"); i++) await new Promise((w) => setTimeout(w, 100));
  });
  afterAll(() => {
    listener.kill("SIGKILL"); // ours, by its PID
  });

  it("connects to a listening port through the router; a closed port is unreachable ('Connection refused') and fails 'reachable' in one line", async () => {
    expect((await create({ netns: a, to: "10.0.2.2", port: 8080 })).outs).toMatchObject({ holds: true, seen: { via: "tcp", reachable: true } });
    expect((await create({ netns: a, to: "10.0.2.2", port: 8081, expect: "unreachable", timeout: 1 })).outs).toMatchObject({ holds: true, seen: { via: "tcp", reachable: false, error: "Connection refused" } });
    await expect(create({ netns: a, to: "10.0.2.2", port: 8081, timeout: 1 })).rejects.toThrow(`probe ${a} → 10.0.2.2 port 8081: expected reachable, got no connection in 1 s (Connection refused)`);
  });
});

describe("a probe on another machine over SSH", () => {
  const hosts = new SshHosts(79);
  let h1: TestHost;
  beforeAll(async () => {
    [h1] = await hosts.start(1, "psh");
  });
  afterAll(async () => {
    closeHosts();
    await hosts.stop();
  });

  it("pings from that host, and its failure line names the host", async () => {
    const c = await create({ to: "10.79.0.254", ttl: 64, connection: h1.connection });
    expect(c.outs).toMatchObject({ holds: true, seen: { reachable: true, ttl: 64 } });
    await expect(create({ to: "10.79.0.99", timeout: 1, connection: h1.connection })).rejects.toThrow(
      `probe (pulumi's netns) on root@10.79.0.1:22 → 10.79.0.99: expected reachable, got no reply in 1 s`,
    );
  });
});

/**
 * The long-lived `ip -json -details -force -batch -` session with the real iproute2, in a
 * throwaway namespace: it answers the SYNC line the way ip-session.ts (and the stand-in of
 * test/unit/hosts/ip-session.test.ts) expects, a refused command is attributed to its line and
 * the process goes on, an unparsable argument ends it; `link show` leaves the process
 * printing links without their addresses, which is why a session is never sent one; a name
 * deleted behind its back and made anew is not found through the cached old index, which is
 * why the local host retires its sessions before a line that can make a name appear (and only
 * then: deletes alone keep them).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IpSession } from "../../provider/hosts/ip-session";
import { ipArgv } from "../../provider/hosts/batch";
import { LocalHost } from "../../provider/hosts/local";
import { freshNamespace, removeNamespaces, run } from "../support/kernel";

const made = new Set<string>();
const sessions: IpSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  await removeNamespaces(made);
  made.clear();
});

/** A session in a fresh namespace, as the local host starts one. */
async function session(): Promise<IpSession> {
  const netns = await freshNamespace(made);
  const s = new IpSession(ipArgv(["-json", "-details", "-force", "-batch", "-"], { netns }), 5000, 30_000);
  sessions.push(s);
  return s;
}

interface Shown {
  ifname: string;
  addr_info?: Array<{ local: string }>;
}
const parsed = (printed: string[]) => JSON.parse(printed.join("\n")) as Shown[];

describe("an ip -batch session with the real ip", () => {
  it("frames each command's JSON by the SYNC line's answer", async () => {
    const s = await session();
    const steps = await s.run(["addr show dev lo", "link set dev lo mtu 1500", "addr show dev lo"]);
    expect(steps.map((st) => [st.failed, st.exited])).toEqual([[false, false], [false, false], [false, false]]);
    expect(parsed(steps[0].printed)[0].ifname).toBe("lo");
    expect(steps[1].printed).toEqual([]);
    expect(parsed(steps[2].printed)[0].addr_info?.map((a) => a.local)).toContain("127.0.0.1");
  });

  it("attributes the kernel's refusal to its line, stops the batch there, and the same process goes on", async () => {
    const s = await session();
    const steps = await s.run(["addr show dev lo", "link del dev nosuch0", "addr show dev lo"]);
    expect(steps).toHaveLength(2);
    expect(steps[1]).toEqual({ printed: ['Cannot find device "nosuch0"'], failed: true, exited: false });
    expect(s.dead).toBe(false);
    expect(parsed((await s.run(["addr show dev lo"]))[0].printed)[0].ifname).toBe("lo");
  });

  it("reports an argument ip cannot parse as the command it exited on", async () => {
    const s = await session();
    const steps = await s.run(["addr show dev lo", "link set dev lo mtu abc", "addr show dev lo"]);
    expect(steps).toHaveLength(2);
    expect(steps[1]).toMatchObject({ failed: true, exited: true });
    expect(steps[1].printed.join("\n")).toContain('Error: argument "abc" is wrong: Invalid "mtu" value');
    expect(s.dead).toBe(true);
  });

  it("prints no addresses after a `link show` in the same process (so a session is never sent one)", async () => {
    const s = await session();
    const steps = await s.run(["addr show dev lo", "link show dev lo", "addr show dev lo"]);
    expect(parsed(steps[0].printed)[0].addr_info?.length).toBeGreaterThan(0);
    expect(parsed(steps[2].printed)[0].addr_info ?? []).toEqual([]);
  });
});

describe("a session's cached link index, with the real ip", () => {
  /** A veth whose end `name` is in `b`, added from `a` by a process of its own. */
  const addPair = (a: string, b: string, name: string) => run(["ip", "-n", a, "link", "add", "x0", "type", "veth", "peer", "name", name, "netns", b]);
  const shown = async (s: IpSession, name: string) => {
    const [step] = await s.run([`addr show dev ${name}`]);
    // What the host parses: the JSON lines (ip's complaints about the index go to the same stream).
    return { failed: step.failed, shown: parsed(step.printed.filter((l) => l.startsWith("["))).map((l) => l.ifname), said: step.printed.filter((l) => !l.startsWith("[")) };
  };

  it("keeps a deleted name's old index: the name made anew elsewhere is not found by a `show` (why the host retires sessions before a name can come back)", async () => {
    const a = await freshNamespace(made);
    const b = await freshNamespace(made);
    const s = new IpSession(ipArgv(["-json", "-details", "-force", "-batch", "-"], { netns: b }), 5000, 30_000);
    sessions.push(s);
    await addPair(a, b, "y0");
    expect(await shown(s, "y0")).toEqual({ failed: false, shown: ["y0"], said: [] });
    await run(["ip", "-n", a, "link", "del", "x0"]); // deletes y0 in b too, behind the session's back
    await addPair(a, b, "y0");
    // There, but looked up by the old index: an empty answer that does not fail, as if it were gone.
    expect(await shown(s, "y0")).toEqual({ failed: false, shown: [], said: expect.arrayContaining([expect.stringMatching(/No such device/)]) });
  });
});

describe("the local host's sessions around deletes", () => {
  const hosts: LocalHost[] = [];
  /** A host object of its own: a provider process that has done nothing yet. */
  const fresh = () => {
    const h = new LocalHost();
    hosts.push(h);
    return h;
  };
  const logDir = mkdtempSync(join(tmpdir(), "linuxnet-sessions-"));
  const log = join(logDir, "spawns");
  const sessionsStarted = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l.includes("[session]")).length : 0);
  beforeAll(() => (process.env.LINUXNET_SPAWN_LOG = log));
  afterAll(() => {
    delete process.env.LINUXNET_SPAWN_LOG;
    for (const h of hosts) h.close();
    rmSync(logDir, { recursive: true, force: true });
  });
  const names = async (host: LocalHost, netns: string, name: string) => (await host.ipJson<Shown>(["addr", "show", "dev", name], { netns })).map((l) => l.ifname);
  const outside = (argv: string[]) => run(["ip", ...argv]); // another process: not this host's

  it("finds a name deleted and made anew in another namespace (its sessions retired before the line that makes it)", async () => {
    const host = fresh();
    const [a, b] = [await freshNamespace(made), await freshNamespace(made)];
    await outside(["-n", a, "link", "add", "x0", "type", "veth", "peer", "name", "y0", "netns", b]);
    expect(await names(host, b, "y0")).toEqual(["y0"]);
    await host.ip(["link", "del", "dev", "x0"], { netns: a });
    await host.ip(["link", "add", "x0", "type", "veth", "peer", "name", "y0", "netns", b], { netns: a });
    expect(await names(host, b, "y0")).toEqual(["y0"]);
  });

  it("once it has made names, retires every session at a delete (a create may be under way beside it)", async () => {
    const host = fresh();
    const [a, b] = [await freshNamespace(made), await freshNamespace(made)];
    await host.ip(["link", "add", "x0", "type", "veth", "peer", "name", "y0", "netns", b], { netns: a });
    expect(await names(host, b, "y0")).toEqual(["y0"]);
    await host.ip(["link", "del", "dev", "x0"], { netns: a });
    await outside(["-n", a, "link", "add", "x0", "type", "veth", "peer", "name", "y0", "netns", b]); // made beside this host's lines
    expect(await names(host, b, "y0")).toEqual(["y0"]);
  });

  it("keeps the other namespaces' sessions through deletes alone (a destroy starts no process per delete)", async () => {
    const host = fresh();
    const ns = [await freshNamespace(made), await freshNamespace(made), await freshNamespace(made)];
    for (const n of ns) await outside(["-n", n, "link", "add", "x1", "type", "veth", "peer", "name", "y1"]);
    for (const n of ns) expect(await names(host, n, "y1")).toEqual(["y1"]); // a session in each
    const before = sessionsStarted();
    for (const n of ns) {
      expect(await names(host, n, "x1")).toEqual(["x1"]);
      await host.ip(["link", "del", "dev", "x1"], { netns: n });
    }
    expect(sessionsStarted() - before).toBe(0);
  });
});

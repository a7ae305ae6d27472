/**
 * The long-lived `ip -json -details -force -batch -` session with the real iproute2, in a
 * throwaway namespace: it answers the SYNC line the way ip-session.ts (and the stand-in of
 * test/unit/hosts/ip-session.test.ts) expects, a refused command is attributed to its line and
 * the process goes on, an unparsable argument ends it; and `link show` leaves the process
 * printing links without their addresses, which is why a session is never sent one.
 */
import { IpSession } from "../../provider/hosts/ip-session";
import { ipArgv } from "../../provider/hosts/batch";
import { freshNamespace, removeNamespaces } from "../support/kernel";

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

/**
 * The fault table, through the real CLI: for each fault, the command fails (or refuses) with
 * one line naming the cause, nothing foreign is touched, nothing owed (a value to put back,
 * an object in the state) is lost, and the next command, once the fault is gone, converges.
 *
 * Here: a corrupt and an unreadable record, two stacks making MacvlanNetworks on one parent at
 * once, a provider SIGKILLed while it writes records, an SSH host dropping every connection
 * mid-up. The table's other rows live beside the feature they test: a tool missing
 * (missing-tool.test.ts), `iptables-save` failing during a namespace delete
 * (namespace-guard.test.ts), `orphans --delete` beside a running fast-mode up (orphans.test.ts).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ip, run } from "../support/local";
import { type CliResult, PulumiStack, stepsDone, testProgramDir } from "../support/pulumi";
import { SshHosts, type TestHost } from "../support/ssh-hosts";

jest.setTimeout(600_000);

const RECORDS = "/run/pulumi-linuxnet";

/** The lines of a failed command's output that are the provider's errors (the CLI prints each after "error: "). */
function errorLines(r: CliResult): string[] {
  return `${r.stdout}\n${r.stderr}`
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^error: /.test(l) && !/^error: update failed$|^error: preview failed$|^error: refresh failed$|^error: destroy failed$/.test(l));
}

/** The types and names of the resources a stack's state holds. */
async function stateHolds(stack: PulumiStack): Promise<string[]> {
  const exported = JSON.parse((await stack.cli(["stack", "export"])).stdout) as { deployment: { resources?: Array<{ type: string; urn: string }> } };
  return (exported.deployment.resources ?? []).filter((r) => r.type.includes("linuxnet:")).map((r) => r.urn.split("::").pop()!);
}

const sysctlIn = async (netns: string, key: string) => (await run(["ip", "netns", "exec", netns, "sysctl", "-n", key])).stdout.trim();

/**
 * Every record file of one kind kept for a named namespace: its folder is named by the
 * namespace's inode and the time its nsfs inode came to be (inode numbers are reused at once,
 * and records of namespaces deleted by hand stay behind).
 */
function recordFiles(netns: string, kind: string): string[] {
  const out: string[] = [];
  const st = statSync(`/run/netns/${netns}`, { bigint: true });
  const folder = `${st.ino}-${st.ctimeNs}`;
  for (const id of readdirSync(RECORDS).filter((d) => d === folder)) {
    let names: string[] = [];
    try {
      names = readdirSync(join(RECORDS, id, kind));
    } catch {
      continue;
    }
    out.push(...names.map((n) => join(RECORDS, id, kind, n)));
  }
  return out;
}

describe("a corrupt or unreadable record: one line naming the file, and nothing owed is lost", () => {
  const stack = new PulumiStack(testProgramDir("resources"));
  const ns = `${stack.stack}r`;

  beforeAll(async () => {
    await ip(["netns", "add", ns]);
    await stack.init({ resources: JSON.stringify([{ kind: "Sysctl", name: "fwd", args: { key: "net.ipv4.ip_forward", value: "1", netns: ns } }]) });
    await stack.up();
  });
  afterAll(async () => {
    await stack.dispose();
    await ip(["netns", "del", ns]).catch(() => undefined);
  });

  it("a corrupt record makes refresh and destroy fail naming its file; once it is fixed, destroy puts the value back", async () => {
    const [file] = recordFiles(ns, "sysctl");
    expect(file).toBeDefined();
    const good = readFileSync(file, "utf8");
    writeFileSync(file, "{ not json");
    for (const command of [["refresh", "--yes", "--skip-preview"], ["destroy", "--yes", "--skip-preview"]]) {
      const r = await stack.cli(command, true);
      expect(r.code).not.toBe(0);
      expect(errorLines(r).join("\n")).toContain(file);
      expect(errorLines(r).join("\n")).toMatch(/corrupt/);
    }
    expect(await stateHolds(stack)).toContain("fwd");
    expect(await sysctlIn(ns, "net.ipv4.ip_forward")).toBe("1");
    writeFileSync(file, good); // what the message asks the user to check and repair
    await stack.refresh();
    expect(await stateHolds(stack)).toContain("fwd");
  });

  it("an unreadable record (a folder where the file should be) makes destroy fail naming it; once it is back, destroy converges", async () => {
    const [file] = recordFiles(ns, "sysctl");
    const good = readFileSync(file, "utf8");
    rmSync(file);
    mkdirSync(file);
    const r = await stack.cli(["destroy", "--yes", "--skip-preview"], true);
    expect(r.code).not.toBe(0);
    expect(errorLines(r).join("\n")).toContain(file);
    expect(await sysctlIn(ns, "net.ipv4.ip_forward")).toBe("1");
    rmSync(file, { recursive: true });
    writeFileSync(file, good);
    await stack.destroy();
    expect(await sysctlIn(ns, "net.ipv4.ip_forward")).toBe("0");
  });
});

describe("two stacks make MacvlanNetworks on one parent at once", () => {
  const a = new PulumiStack(testProgramDir("resources"));
  const b = new PulumiStack(testProgramDir("resources"), {}, 300_000, a.backend);
  const ns = `${a.stack}m`;
  const network = (name: string, subnet: string, gateway: string) => [{ kind: "MacvlanNetwork", name, args: { name, parent: "par0", netns: ns, subnet, gateway, promiscuous: true } }];
  const promisc = async () => (JSON.parse((await run(["ip", "-n", ns, "-json", "link", "show", "dev", "par0"])).stdout) as Array<{ flags: string[] }>)[0].flags.includes("PROMISC");

  beforeAll(async () => {
    await ip(["netns", "add", ns]);
    await ip(["link", "add", "name", "par0", "netns", ns, "type", "veth", "peer", "name", "par1", "netns", ns]);
    await a.init({ resources: JSON.stringify(network("neta", "10.231.1.0/24", "10.231.1.1")) });
    await b.init({ resources: JSON.stringify(network("netb", "10.231.2.0/24", "10.231.2.1")) });
  });
  afterAll(async () => {
    await b.dispose();
    await a.dispose();
    await ip(["netns", "del", ns]).catch(() => undefined);
  });

  it("both are owners of the flag: the first destroy keeps it, the last puts it back", async () => {
    expect(await promisc()).toBe(false);
    await Promise.all([a.up(), b.up()]);
    expect(await promisc()).toBe(true);
    const [file] = recordFiles(ns, "promisc");
    const owners = (JSON.parse(readFileSync(file, "utf8")) as { owners: string[] }).owners;
    expect(owners).toHaveLength(2);
    await a.destroy();
    expect(await promisc()).toBe(true);
    await b.destroy();
    expect(await promisc()).toBe(false);
    expect(recordFiles(ns, "promisc")).toEqual([]);
  });
});

describe("a provider SIGKILLed while it writes records: the next up converges and destroy puts every value back", () => {
  const stack = new PulumiStack(testProgramDir("resources"));
  const ns = `${stack.stack}k`;
  // Sysctls of one namespace: each create writes a record (under the records' lock) before it sets the value.
  const keys = ["accept_redirects", "send_redirects", "accept_source_route", "log_martians", "rp_filter", "secure_redirects", "arp_filter", "arp_ignore"];
  const resources = keys.map((k, n) => ({ kind: "Sysctl", name: `s${n}`, args: { key: `net.ipv4.conf.all.${k}`, value: "1", netns: ns } }));
  const before: Record<string, string> = {};

  beforeAll(async () => {
    await ip(["netns", "add", ns]);
    for (const r of resources) before[r.args.key] = await sysctlIn(ns, r.args.key);
    await stack.init({ resources: JSON.stringify(resources) });
  });
  afterAll(async () => {
    await stack.dispose();
    await ip(["netns", "del", ns]).catch(() => undefined);
  });

  it("converges after the kill and restores every value it set", async () => {
    const up = await stack.cliKilled(["up", "--yes", "--skip-preview"], (out) => stepsDone(out, "created") >= 2, "provider");
    expect(up.killed).toBe(true);
    await stack.up();
    for (const r of resources) expect(await sysctlIn(ns, r.args.key)).toBe("1");
    await stack.destroy();
    for (const r of resources) expect(`${r.args.key}=${await sysctlIn(ns, r.args.key)}`).toBe(`${r.args.key}=${before[r.args.key]}`);
    expect(recordFiles(ns, "sysctl")).toEqual([]);
  });
});

describe("an SSH host that drops off mid-up: one line naming the host, and the next up converges", () => {
  const hosts = new SshHosts(79);
  const stack = new PulumiStack(testProgramDir("resources"));
  const N = 16;
  let host: TestHost;
  const names = Array.from({ length: N }, (_, k) => `${stack.stack}d${k}`);

  beforeAll(async () => {
    [host] = await hosts.start(1, "sshdrop");
    const resources = names.map((name, k) => ({ kind: "Namespace", name: `n${k}`, args: { name, connection: host.connection } }));
    await stack.init({ resources: JSON.stringify(resources) });
  });
  afterAll(async () => {
    await stack.dispose();
    await hosts.stop();
  });

  it("fails naming the host, then converges once it is back, and destroy leaves nothing there", async () => {
    // Every connection to the host ends once two of the 16 namespaces are made (the others are under way).
    let dropped = 0;
    const up = stack.cliKilled(["up", "--yes", "--skip-preview"], (out) => {
      if (!dropped && stepsDone(out, "created") >= 2) dropped = hosts.dropConnections(host);
      return false;
    }, "cli");
    const r = await up;
    expect(dropped).toBeGreaterThan(0);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(`${host.connection.user}@${host.address}`);
    await stack.cli(["cancel", "--yes"], true);
    const again = await stack.up();
    if (process.env.FAULTS_DEBUG) process.stdout.write(`FIRST UP:\n${r.stdout}\nSECOND UP:\n${again.stdout}\nSTATE:\n${(await stack.cli(["stack", "export"])).stdout}\n`);
    const listed = await hosts.on(host, "ip", "netns", "list");
    for (const n of names) expect(listed).toContain(n);
    await stack.destroy();
    expect((await hosts.on(host, "ip", "netns", "list")).trim()).toBe("");
  });
});

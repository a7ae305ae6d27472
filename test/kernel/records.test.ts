/**
 * The records under /run/pulumi-linuxnet (hosts/host.ts, over each host's file primitives),
 * on this machine and on an SSH test host alike: no record is "none", a record that cannot
 * be parsed is an error (a corrupt sysctl record must never silently lose the value to put
 * back), and removing a record fails on anything but "already gone". Everything here lives in
 * the sandbox's (and the test host's) private /run/pulumi-linuxnet.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostFor, local, RECORD_DIR, type Host } from "../../provider/hosts";
import { sysctl } from "../../provider/kinds/sysctl";
import { closeHosts, run } from "../support/local";
import { freshNamespace, removeNamespaces } from "../support/kernel";
import { SshHosts, type TestHost } from "../support/ssh-hosts";

jest.setTimeout(120_000);

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});

/** The files under a namespace's record folder on this machine (its folder is named by the namespace's inode first). */
function localRecordFiles(netns: string): string[] {
  // The namespace's identity as the hosts key records by it: inode and nsfs ctime (an inode alone repeats: an earlier test's leftover records may share it).
  const s = statSync(`/run/netns/${netns}`, { bigint: true });
  const id = `${s.ino}-${s.ctimeNs}`;
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  return readdirSync(RECORD_DIR).filter((d) => d === id).flatMap((d) => walk(join(RECORD_DIR, d)));
}

/** Reads, corrupts and blocks records on one host; `sh` runs a shell script there. */
async function recordRules(host: Host, netns: string, sh: (script: string, ...args: string[]) => Promise<string>): Promise<void> {
  const target = { netns };
  // none is none: no such key, and no such namespace
  expect(await host.readRecord(target, "test", "nothing")).toBeUndefined();
  expect(await host.readRecord({ netns: "no-such-netns-here" }, "test", "k")).toBeUndefined();
  await host.writeRecord(target, "test", "k", { found: "0" });
  expect(await host.readRecord(target, "test", "k")).toEqual({ found: "0" });

  // a record that cannot be parsed is an error naming the file (and the host)
  const path = (await sh('find /run/pulumi-linuxnet -path "*/test/k" -type f')).trim();
  expect(path).toMatch(/^\/run\/pulumi-linuxnet\/\d+-\d+\/test\/k$/);
  await sh('printf "{\\"found\\": " > "$1"', path);
  const label = host.label ? ` on ${host.label.replace(/[.]/g, "\\.")}` : "";
  await expect(host.readRecord(target, "test", "k")).rejects.toThrow(new RegExp(`^the record ${path}${label} is corrupt \\(.+\\); remove it by hand`));

  // removing: gone is fine, anything else fails (here: the record's path is a mount point, which
  // cannot be read either)
  await host.removeRecord(target, "test", "k");
  await host.removeRecord(target, "test", "k");
  expect(await host.readRecord(target, "test", "k")).toBeUndefined();
  await sh('mkdir -p "$1" && mount -t tmpfs linuxnet-test "$1"', path);
  try {
    await expect(host.readRecord(target, "test", "k")).rejects.toThrow(new RegExp(`^the record ${path}${label} cannot be read: .*directory`, "i")); // not "none"
    await expect(host.removeRecord(target, "test", "k")).rejects.toThrow(/busy/i);
    await expect(host.removeRecords(target)).rejects.toThrow(/busy/i);
  } finally {
    await sh('umount "$1"', path);
  }
  await host.removeRecords(target);
  expect((await sh('find /run/pulumi-linuxnet -path "*/test/*"')).trim()).toBe("");
}

describe("records on this machine", () => {
  it("reads none as none, a corrupt record as an error, and fails a removal the file system refuses", async () => {
    const ns = await freshNamespace(made);
    await recordRules(local, ns, async (script, ...args) => (await run(["sh", "-c", script, "sh", ...args])).stdout);
  });

  it("fails a sysctl create that meets its corrupt record instead of recording the value it set itself as the one to restore", async () => {
    const ns = await freshNamespace(made);
    const inputs = { key: "net.ipv4.ip_forward", value: "1", netns: ns, owner: "lab/dev/Sysctl/fw" };
    const created = await sysctl.create(inputs);
    expect(created.outs.found).toBe("0");
    const [record] = localRecordFiles(ns).filter((f) => f.endsWith("/sysctl/net.ipv4.ip_forward"));
    expect(JSON.parse(readFileSync(record, "utf8"))).toEqual({ owner: inputs.owner, found: "0", value: "1" });
    writeFileSync(record, '{"owner": "lab/dev/Sysctl/fw", "fou');
    // The create again, as the next `up` after one killed midway runs it: the value now is the one it set.
    await expect(sysctl.create(inputs)).rejects.toThrow(/record .* is corrupt/);
    expect(readFileSync(record, "utf8")).toBe('{"owner": "lab/dev/Sysctl/fw", "fou'); // not overwritten with found "1"
  });
});

describe("records on an SSH host", () => {
  const hosts = new SshHosts(79);
  let h: TestHost;
  beforeAll(async () => {
    [h] = await hosts.start(1, "rech");
  });
  afterAll(async () => {
    closeHosts();
    await hosts.stop();
  });

  it("reads none as none, a corrupt record as an error, and fails a removal the file system refuses, as here", async () => {
    await hosts.on(h, "ip", "netns", "add", "rec1");
    await recordRules(hostFor({ ...h.connection, insecureIgnoreHostKey: false }), "rec1", (script, ...args) => hosts.on(h, "sh", "-c", script, "sh", ...args));
  });
});

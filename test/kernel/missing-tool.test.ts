/**
 * A tool missing on the host is its own error, never "the object is gone": the real handlers,
 * with the provider's PATH a folder of links to the tools it runs minus one, against objects
 * in throwaway namespaces. Reads and deletes fail in one line naming the tool and its package,
 * and leave the object and its record as they are; once the tool is back, everything converges.
 * (The PATH is changed only around the handler under test: this file's own helpers run with
 * the sandbox's.) A file of its own: the host's facts (iptables' backend) start unknown here.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ownerOf } from "../../provider/core/owner";
import { iptables } from "../../provider/kinds/iptables";
import { probe } from "../../provider/kinds/probe";
import { sysctl } from "../../provider/kinds/sysctl";
import { checked, freshNamespace, nsExec as exec, removeNamespaces } from "../support/kernel";
import { readRecord, run } from "../support/local";

const TOOLS = ["ip", "sysctl", "iptables", "ip6tables", "iptables-save", "nft", "ping", "nc", "tc", "sh", "unshare", "stat"];
const folders: string[] = [];
const sandboxPath = process.env.PATH;

/** A folder of links to the tools the provider runs, without `tool`. */
function pathWithout(tool: string): string {
  const bin = mkdtempSync(join(tmpdir(), `linuxnet-no-${tool}-`));
  folders.push(bin);
  for (const t of TOOLS.filter((t) => t !== tool)) symlinkSync(execFileSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).trim(), join(bin, t));
  return bin;
}

/** `work` with the provider's commands looked up on `path` only. */
async function withPath<T>(path: string, work: () => Promise<T>): Promise<T> {
  process.env.PATH = path;
  try {
    return await work();
  } finally {
    process.env.PATH = sandboxPath;
  }
}

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

const owner = (kind: string, name: string) => ownerOf("lab", "dev", kind, name);

describe("IptablesRule without iptables", () => {
  // First in the file: the host has not yet been asked which iptables backend it has.
  it("fails a create in one line, and once iptables is there the table the stack made goes with its last rule", async () => {
    const ns = await freshNamespace(made);
    const inputs = await checked(iptables, { chain: "FORWARD", rule: ["-i", "x0", "-j", "ACCEPT"], netns: ns, owner: owner("IptablesRule", "fwd") });
    await expect(withPath(pathWithout("iptables"), () => iptables.create(inputs))).rejects.toThrow(
      `failed to create iptables rule "-t filter FORWARD -i x0 -j ACCEPT" in netns "${ns}": \`ip netns exec ${ns} iptables -w -t filter -C FORWARD -i x0 -j ACCEPT -m comment --comment linuxnet:lab/dev/IptablesRule/fwd\`: \`iptables\` is not installed on this machine: install iptables`,
    );
    expect(await exec(ns, "nft", "list", "tables")).toBe(""); // a fresh namespace: no table yet
    const c = await iptables.create(inputs);
    expect(await exec(ns, "nft", "list", "tables")).toContain("table ip filter");
    await iptables.delete(c.id, c.outs);
    // The failed look at the backend was not kept as "not nf_tables": the emptied table goes.
    expect(await exec(ns, "nft", "list", "tables")).toBe("");
  });

  it("fails refresh and delete closed: one line, the rule left where it is; with iptables back both converge", async () => {
    const ns = await freshNamespace(made);
    const c = await iptables.create(await checked(iptables, { chain: "FORWARD", rule: ["-i", "x1", "-j", "ACCEPT"], netns: ns, owner: owner("IptablesRule", "keep") }));
    const listed = () => exec(ns, "iptables", "-S", "FORWARD");
    const where = `iptables rule "-t filter FORWARD -i x1 -j ACCEPT" in netns "${ns}": \`ip netns exec ${ns} iptables -w -t filter -S FORWARD\`: \`iptables\` is not installed on this machine: install iptables`;
    const bin = pathWithout("iptables");
    await expect(withPath(bin, () => iptables.read(c.id, c.outs))).rejects.toThrow(`failed to read ${where}`);
    await expect(withPath(bin, () => iptables.delete(c.id, c.outs))).rejects.toThrow(`failed to delete ${where}`);
    expect(await listed()).toContain("linuxnet:lab/dev/IptablesRule/keep");
    expect((await iptables.read(c.id, c.outs)).inputs).toMatchObject({ rule: ["-i", "x1", "-j", "ACCEPT"] });
    await iptables.delete(c.id, c.outs);
    expect(await listed()).not.toContain("linuxnet:");
  });
});

describe("IptablesRule, what iptables itself says", () => {
  it("still reads a rule whose chain was deleted by hand as gone (iptables-nft: the chain 'is incompatible')", async () => {
    const ns = await freshNamespace(made);
    await exec(ns, "iptables", "-N", "MINE");
    const c = await iptables.create(await checked(iptables, { chain: "MINE", rule: ["-j", "RETURN"], netns: ns, owner: owner("IptablesRule", "mine") }));
    await exec(ns, "iptables", "-F", "MINE");
    await exec(ns, "iptables", "-X", "MINE");
    expect(await iptables.read(c.id, c.outs)).toEqual({ id: "", props: {} });
    await expect(iptables.delete(c.id, c.outs)).resolves.toBeUndefined();
  });
});

describe("Sysctl without sysctl", () => {
  it("fails refresh and delete closed: the setting stays in the state, its old value is put back once sysctl is there", async () => {
    const ns = await freshNamespace(made);
    const c = await sysctl.create(await checked(sysctl, { key: "net.ipv4.ip_forward", value: 1, netns: ns, owner: owner("Sysctl", "fwd") }));
    const forwarding = async () => (await exec(ns, "sysctl", "-n", "net.ipv4.ip_forward")).trim();
    const where = `sysctl "net.ipv4.ip_forward" in netns "${ns}": \`ip netns exec ${ns} sysctl -n net.ipv4.ip_forward\`: \`sysctl\` is not installed on this machine: install procps`;
    const bin = pathWithout("sysctl");
    await expect(withPath(bin, () => sysctl.read(c.id, c.outs))).rejects.toThrow(`failed to read ${where}`);
    await expect(withPath(bin, () => sysctl.delete(c.id, c.outs))).rejects.toThrow(`failed to delete ${where}`);
    expect(await forwarding()).toBe("1");
    expect(await readRecord({ netns: ns }, "sysctl", "net.ipv4.ip_forward")).toMatchObject({ found: "0" });
    expect((await sysctl.read(c.id, c.outs)).inputs).toMatchObject({ value: "1" });
    await sysctl.delete(c.id, c.outs);
    expect(await forwarding()).toBe("0");
  });

  it("still reads a setting gone with its interface as gone (sysctl's own 'cannot stat …: No such file or directory')", async () => {
    const ns = await freshNamespace(made);
    await run(["ip", "-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1"]);
    const c = await sysctl.create(await checked(sysctl, { key: "net.ipv4.conf.d0.forwarding", value: 1, netns: ns, owner: owner("Sysctl", "d0") }));
    await run(["ip", "-n", ns, "link", "del", "d0"]);
    expect(await sysctl.read(c.id, c.outs)).toEqual({ id: "", props: {} }); // gone: dropped from the state
    await expect(sysctl.delete(c.id, c.outs)).resolves.toBeUndefined();
  });
});

describe("Probe without ping, and with a ping that cannot open its socket", () => {
  it("fails in one line without ping, never 'unreachable as expected'", async () => {
    const ns = await freshNamespace(made);
    const inputs = await checked(probe, { netns: ns, to: "10.9.9.9", expect: "unreachable", timeout: 1 });
    await expect(withPath(pathWithout("ping"), () => probe.create(inputs))).rejects.toThrow(
      `failed to run probe "${ns} → 10.9.9.9" in netns "${ns}": \`ip netns exec ${ns} ping -n -4 -c 1 -w 1 -i 0.2 10.9.9.9\`: \`ping\` is not installed on this machine: install iputils-ping`,
    );
  });

  it("fails in one line when ping cannot open its socket (no CAP_NET_RAW, not in ping_group_range): it sent nothing", async () => {
    const ns = await freshNamespace(made);
    expect((await exec(ns, "cat", "/proc/sys/net/ipv4/ping_group_range")).trim().split(/\s+/)).toEqual(["1", "0"]); // no group may open an ICMP datagram socket
    // The sandbox's ping with CAP_NET_RAW out of its bounding set: a copy (no file capabilities), under its own name.
    const bin = mkdtempSync(join(tmpdir(), "linuxnet-noraw-"));
    folders.push(bin);
    copyFileSync(execFileSync("sh", ["-c", "command -v ping"], { encoding: "utf8" }).trim(), join(bin, "ping-copy"));
    writeFileSync(join(bin, "ping"), `#!/bin/sh\nexec setpriv --bounding-set=-net_raw bash -c 'exec -a ping "$0" "$@"' ${join(bin, "ping-copy")} "$@"\n`, { mode: 0o755 });
    const inputs = await checked(probe, { netns: ns, to: "127.0.0.1", expect: "unreachable", timeout: 1 });
    await expect(withPath(`${bin}:${sandboxPath}`, () => probe.create(inputs))).rejects.toThrow(
      `failed to run probe "${ns} → 127.0.0.1" in netns "${ns}": ping could not open its ICMP socket (socket: Operation not permitted), so it sent nothing: it needs CAP_NET_RAW, or its group in net.ipv4.ping_group_range of the namespace`,
    );
    // the same probe with the sandbox's own ping: 127.0.0.1 answers
    await expect(probe.create(inputs)).rejects.toThrow(/expected unreachable, got a reply/);
  });
});

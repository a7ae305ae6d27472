/**
 * A tool missing on the machine, through the real CLI: `pulumi refresh` and `pulumi destroy`
 * run with a PATH that lacks `sysctl` (or `iptables`, or `tc`) fail in one line naming the tool and its
 * package, and keep the resource in the state with what it owes (the Sysctl's old value);
 * with the tool back, refresh and destroy converge. (Before, the refresh dropped the Sysctl
 * from the state, and the destroy passed without putting the old value back.)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { namedNamespaces, run } from "../support/kernel";
import { PulumiStack, testProgramDir } from "../support/pulumi";

jest.setTimeout(300_000);

const TOOLS = ["ip", "sysctl", "iptables", "ip6tables", "iptables-save", "ip6tables-save", "nft", "tc", "bridge", "ping", "nc", "unshare"];
const folders: string[] = [];
/** The sandbox's PATH without `tool`: its folders that hold it left out, the other tools linked from a folder of their own. */
function pathWithout(tool: string): string {
  const bin = mkdtempSync(join(tmpdir(), `linuxnet-e2e-no-${tool}-`));
  folders.push(bin);
  for (const t of TOOLS.filter((t) => t !== tool)) symlinkSync(execFileSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).trim(), join(bin, t));
  const rest = (process.env.PATH ?? "").split(":").filter((d) => d && !existsSync(join(d, tool)));
  return [bin, ...rest].join(":");
}

describe("refresh and destroy with a tool missing", () => {
  const stack = new PulumiStack(testProgramDir("resources"));
  const ns = `${stack.stack}n`;
  const forwarding = async () => (await run(["ip", "netns", "exec", ns, "sysctl", "-n", "net.ipv4.ip_forward"])).stdout.trim();
  const rules = async () => (await run(["ip", "netns", "exec", ns, "iptables", "-S", "FORWARD"])).stdout;
  /** A CLI command with the provider's PATH lacking `tool`. */
  async function without(tool: string, args: string[]) {
    stack.extraEnv.PATH = pathWithout(tool);
    try {
      return await stack.cli(args, true);
    } finally {
      delete stack.extraEnv.PATH;
    }
  }
  const state = async () => (await stack.cli(["stack", "export"])).stdout;

  beforeAll(async () => {
    await stack.init({
      resources: JSON.stringify([
        { kind: "Namespace", name: "ns", args: { name: ns } },
        { kind: "Sysctl", name: "fwd", args: { key: "net.ipv4.ip_forward", value: 1, netns: "$ns.name" } },
        { kind: "IptablesRule", name: "rule", args: { chain: "FORWARD", rule: ["-i", "x0", "-j", "ACCEPT"], netns: "$ns.name" } },
        { kind: "VethPair", name: "v", args: { end: { name: "sh0", netns: "$ns.name" }, peer: { name: "sh1", netns: "$ns.name" } } },
        { kind: "LinkShaping", name: "slow", args: { link: "$v", side: "end", rate: "10mbit" } },
      ]),
    });
    await stack.up();
  });
  afterAll(async () => {
    await stack.dispose();
    for (const f of folders) rmSync(f, { recursive: true, force: true });
  });

  it("fails refresh in one line, and keeps the Sysctl, the rule and the shaping in the state", async () => {
    for (const [tool, pkg] of [["sysctl", "procps"], ["iptables", "iptables"], ["tc", "iproute2"]]) {
      const r = await without(tool, ["refresh", "--yes", "--skip-preview"]);
      expect(r.code).not.toBe(0);
      expect(`${r.stdout}\n${r.stderr}`).toContain(`\`${tool}\` is not installed on this machine: install ${pkg}`);
      const exported = await state();
      expect(exported).toContain('"key": "net.ipv4.ip_forward"');
      expect(exported).toContain('"x0"');
      expect(exported).toContain('"rate": "10mbit"');
    }
  });

  it("fails destroy in one line, owing the old value and leaving the namespace; with sysctl back it converges", async () => {
    const r = await without("sysctl", ["destroy", "--yes", "--skip-preview"]);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).toContain(
      `failed to delete sysctl "net.ipv4.ip_forward" in netns "${ns}": \`ip netns exec ${ns} sysctl -n net.ipv4.ip_forward\`: \`sysctl\` is not installed on this machine: install procps`,
    );
    expect(await forwarding()).toBe("1");
    expect(namedNamespaces()).toContain(ns);
    await stack.refresh();
    expect(await state()).toContain('"key": "net.ipv4.ip_forward"');
    expect(await forwarding()).toBe("1");
    expect(await rules()).not.toContain("linuxnet:"); // the rule went in that destroy: iptables was there
    await stack.destroy();
    expect(namedNamespaces()).not.toContain(ns);
  });
});

describe("a TCP probe where nc is missing", () => {
  const stack = new PulumiStack(testProgramDir("resources"));
  const ns = `${stack.stack}p`;
  beforeAll(() =>
    stack.init({
      resources: JSON.stringify([
        { kind: "Namespace", name: "ns", args: { name: ns } },
        { kind: "Probe", name: "tcp", args: { netns: "$ns.name", to: "127.0.0.1", port: 9, expect: "unreachable" } },
      ]),
    }),
  );
  afterAll(() => stack.dispose());

  it("is refused before anything is made, in one line naming nc and its package; with nc there, up goes through", async () => {
    stack.extraEnv.PATH = pathWithout("nc");
    let r;
    try {
      r = await stack.cli(["up", "--yes"], true);
    } finally {
      delete stack.extraEnv.PATH;
    }
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/`nc` is not installed on this machine[^\n]*netcat-openbsd|nc[^\n]*netcat-openbsd/);
    expect(namedNamespaces()).not.toContain(ns);
    await stack.up();
    expect(namedNamespaces()).toContain(ns);
  });
});

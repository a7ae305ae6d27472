/**
 * A tool missing on the machine, through the real CLI: `pulumi refresh` and `pulumi destroy`
 * run with a PATH that lacks `sysctl` (or `iptables`) fail in one line naming the tool and its
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
      ]),
    });
    await stack.up();
  });
  afterAll(async () => {
    await stack.dispose();
    for (const f of folders) rmSync(f, { recursive: true, force: true });
  });

  it("fails refresh in one line, and keeps the Sysctl and the rule in the state", async () => {
    for (const [tool, pkg] of [["sysctl", "procps"], ["iptables", "iptables"]]) {
      const r = await without(tool, ["refresh", "--yes", "--skip-preview"]);
      expect(r.code).not.toBe(0);
      expect(`${r.stdout}\n${r.stderr}`).toContain(`\`${tool}\` is not installed on this machine: install ${pkg}`);
      const exported = await state();
      expect(exported).toContain('"key": "net.ipv4.ip_forward"');
      expect(exported).toContain('"x0"');
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

import { classify, CommandError, commandFailed, kernelSays, missingTool, toolMissing } from "../../provider/core/errors";

describe("classify iproute2's words", () => {
  it.each([
    ['Cannot find device "veth9"', "not-found"],
    ['Cannot open network namespace "x": No such file or directory', "not-found"],
    ['Cannot remove namespace file "/run/netns/x": No such file or directory', "not-found"],
    ['Cannot create namespace file "/run/netns/x": File exists', "exists"],
    ["RTNETLINK answers: File exists", "exists"],
    ['Error: Unknown device type.', "not-supported"],
    ["RTNETLINK answers: Operation not permitted", "permission"],
    ["RTNETLINK answers: Device or resource busy", "busy"],
    ["RTNETLINK answers: Invalid argument", "invalid"],
    ["something else entirely", "failed"],
  ])("maps %j to %s", (stderr, kind) => {
    expect(classify(stderr, ["ip", "netns", "del", "x"], 1)).toBe(kind);
  });
});

// The texts as the tools print them (iproute2 6.1, procps 4.0, iptables 1.8.9, nftables 1.0.6, dash, bash).
const inNs = (...argv: string[]) => ["ip", "netns", "exec", "ns1", ...argv];
describe("classify, by the tool that printed it", () => {
  it.each<[string, string[], string, number, string]>([
    ["ip's exec of a tool not on PATH", inNs("sysctl", "-n", "net.ipv4.ip_forward"), 'exec of "sysctl" failed: No such file or directory', 1, "missing-tool"],
    ["ip's exec of iptables not on PATH", inNs("iptables", "-w", "-t", "filter", "-S", "FORWARD"), 'exec of "iptables" failed: No such file or directory', 1, "missing-tool"],
    ["a remote dash", ["sysctl", "-n", "net.ipv4.ip_forward"], "sh: 3: sysctl: not found", 127, "missing-tool"],
    ["a remote bash", ["iptables", "-w", "-S"], "bash: line 1: iptables: command not found", 127, "missing-tool"],
    ["sysctl about a key", inNs("sysctl", "-n", "net.ipv4.nope"), "sysctl: cannot stat /proc/sys/net/ipv4/nope: No such file or directory", 255, "not-found"],
    ["ip about the namespace it could not enter", inNs("sysctl", "-n", "net.ipv4.ip_forward"), 'Cannot open network namespace "ns1": No such file or directory', 255, "not-found"],
    ["ip about a device", ["ip", "-n", "ns1", "link", "del", "v0"], 'Cannot find device "v0"', 1, "not-found"],
    ["ip's route delete", ["ip", "route", "del", "10.0.0.0/24"], "RTNETLINK answers: No such process", 2, "not-found"],
    ["legacy iptables about a chain", inNs("iptables", "-w", "-t", "nat", "-S", "POSTROUTING"), "iptables: No chain/target/match by that name.", 1, "not-found"],
    ["nft about a table", inNs("nft", "delete", "table", "ip", "filter"), "Error: Could not process rule: No such file or directory\ndelete table ip filter\n^^^^^^^^^^^^^^^^^^^^^", 1, "not-found"],
    ["legacy iptables without the table's module", ["iptables", "-t", "nat", "-S"], "iptables v1.8.9 (legacy): can't initialize iptables table `nat': Table does not exist (do you need to insmod?)", 3, "not-supported"],
  ])("%s", (_what, argv, stderr, exitCode, kind) => {
    expect(classify(stderr, argv, exitCode)).toBe(kind);
  });

  it("takes no generic 'No such file or directory' or 'not found' for an object that is gone", () => {
    // iptables that cannot load an extension, a tool's own "not found": no answer about the object
    expect(classify("iptables v1.8.9 (legacy): Couldn't load target `NOPE':No such file or directory", inNs("iptables", "-C", "INPUT", "-j", "NOPE"), 2)).toBe("failed");
    expect(classify("nc: getaddrinfo: Name or service not known: not found", ["nc", "-z", "h", "80"], 1)).toBe("failed");
    expect(classify("something: not found", ["sysctl", "-n", "x"], 1)).toBe("failed");
    // sysctl's words are sysctl's: printed by another tool they say nothing about a key
    expect(classify("sysctl: cannot stat /proc/sys/x: No such file or directory", ["sh", "-c", "x"], 1)).toBe("failed");
    // a shell's 127 only with its own words or status, not "not found" anywhere
    expect(classify("sh: 1: sysctl: not found", ["sysctl"], 1)).toBe("failed");
  });
});

describe("a missing tool", () => {
  it.each<[string[], string, number, string | undefined]>([
    [inNs("sysctl", "-n", "k"), 'exec of "sysctl" failed: No such file or directory', 1, "sysctl"],
    [inNs("/usr/sbin/nft", "list", "tables"), 'exec of "/usr/sbin/nft" failed: No such file or directory', 1, "nft"],
    [["sysctl", "-n", "k"], "sh: 3: sysctl: not found", 127, "sysctl"],
    [["sh", "-c", "cat x"], "sh: 1: cat: not found", 127, "cat"],
    [["ping", "-c", "1", "x"], "bash: ping: command not found", 127, "ping"],
    [["nc", "-h"], "zsh:1: command not found: nc", 127, "nc"],
    [["tc", "qdisc", "show"], "", 127, "tc"],
    [["unshare", "--net", "stat", "-L", "/proc/sys/x"], "unshare: failed to execute stat: No such file or directory", 127, "stat"],
    [inNs("sysctl", "-n", "k"), 'exec of "sysctl" failed: Permission denied', 1, undefined],
    [["sysctl", "-n", "k"], 'exec of "sysctl" failed: No such file or directory', 1, undefined], // not ip netns exec: not ip's words
  ])("%j, %j, exit %d: %s", (argv, stderr, exitCode, tool) => {
    expect(missingTool(argv, stderr, exitCode)).toBe(tool);
  });

  it("is one line naming the tool, where, and the Debian package, never 'gone'; its exit code is 127", () => {
    const attempt = { verb: "read", kind: "sysctl", name: "net.ipv4.ip_forward", netns: "ns1" };
    const argv = inNs("sysctl", "-n", "net.ipv4.ip_forward");
    const e = commandFailed(argv, 'exec of "sysctl" failed: No such file or directory\n', 1, undefined, attempt);
    expect(e.message).toBe('failed to read sysctl "net.ipv4.ip_forward" in netns "ns1": `ip netns exec ns1 sysctl -n net.ipv4.ip_forward`: `sysctl` is not installed on this machine: install procps');
    expect(e).toMatchObject({ kind: "missing-tool", exitCode: 127 });
    const remote = commandFailed(["iptables", "-w", "-S"], "sh: 2: iptables: not found", 127, "root@10.0.0.1:22");
    expect(remote.message).toBe("`iptables -w -S`: `iptables` is not installed on root@10.0.0.1:22: install iptables");
    for (const [tool, pkg] of [["ip", "iproute2"], ["tc", "iproute2"], ["ip6tables", "iptables"], ["iptables-save", "iptables"], ["nft", "nftables"], ["ping", "iputils-ping"], ["nc", "netcat-openbsd"]]) {
      expect(toolMissing([tool], tool, undefined).message).toBe(`\`${tool}\`: \`${tool}\` is not installed on this machine: install ${pkg}`);
    }
    expect(commandFailed(["ip", "link", "del", "x"], 'Cannot find device "x"', 1, undefined).kind).toBe("not-found");
  });
});

describe("CommandError", () => {
  it("says what was attempted, on which object, the command, and what the kernel said, in one line", () => {
    const e = new CommandError(["ip", "netns", "add", "x"], 'Cannot create namespace file "/run/netns/x": File exists\n', 1, {
      verb: "create",
      kind: "namespace",
      name: "x",
    });
    expect(e.message).toBe('failed to create namespace "x": `ip netns add x`: Cannot create namespace file "/run/netns/x": File exists');
    expect(e.kind).toBe("exists");
    expect(e.message).not.toContain("\n");
  });

  it("names the namespace the object lives in", () => {
    const e = new CommandError(["ip", "-n", "net1", "link", "set", "veth1", "up"], 'Cannot find device "veth1"', 1, {
      verb: "set up",
      kind: "veth end",
      name: "veth1",
      netns: "net1",
    });
    expect(e.message).toBe('failed to set up veth end "veth1" in netns "net1": `ip -n net1 link set veth1 up`: Cannot find device "veth1"');
  });

  it("explains a missing 802.1Q module instead of only echoing the kernel", () => {
    const e = new CommandError(["ip", "link", "add", "link", "eth0", "name", "eth0.100", "type", "vlan", "id", "100"], "Error: Unknown device type.", 2);
    expect(e.message).toContain("the kernel has no 802.1Q VLAN support");
    expect(e.kind).toBe("not-supported");
  });
});

describe("kernelSays", () => {
  it("prefers iproute2's Error:/RTNETLINK line and drops batch noise", () => {
    expect(kernelSays("Command failed -:2\nRTNETLINK answers: File exists\n")).toBe("RTNETLINK answers: File exists");
    expect(kernelSays("Error: argument \"x\" is wrong: invalid prefix\n")).toBe('argument "x" is wrong: invalid prefix');
  });
});

describe("a qdisc the kernel lacks", () => {
  it("says in one line that the kernel has no netem, and what needs it", () => {
    const argv = ["tc", "-n", "h1", "qdisc", "replace", "dev", "eth0", "root", "handle", "148:", "netem", "limit", "1000", "delay", "50000us"];
    const e = new CommandError(argv, "Error: Specified qdisc kind is unknown.\n", 2, { verb: "create", kind: "link shaping", name: "eth0", netns: "h1" });
    expect(e.kind).toBe("not-supported");
    expect(e.message).toBe(
      `failed to create link shaping "eth0" in netns "h1": \`${argv.join(" ")}\`: Specified qdisc kind is unknown. ` +
        "(the kernel has no netem qdisc (CONFIG_NET_SCH_NETEM): load the sch_netem module; delay, jitter, loss, duplicate, corrupt and reorder need it, a rate alone uses tbf)",
    );
    expect(e.message).not.toContain("\n");
  });

  it("maps tc's own 'Unknown qdisc' too, naming the qdisc", () => {
    const e = new CommandError(["tc", "qdisc", "add", "dev", "x", "root", "tbf", "rate", "1mbit"], 'Unknown qdisc "tbf", hence option "rate" is unparsable\n', 1);
    expect(e.kind).toBe("not-supported");
    expect(e.message).toMatch(/\(the kernel has no tbf qdisc \(sch_tbf\)\)$/);
  });
});

import { classify, CommandError, kernelSays } from "../../provider/core/errors";

describe("classify", () => {
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
    expect(classify(stderr)).toBe(kind);
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

/**
 * The batch splitter (provider/hosts/batch.ts): which commands a batch line can carry, how a
 * batch splits by address family and global options, which commands never go to a long-lived
 * session, and which command of a batch an error belongs to. Pure functions; the stderr texts
 * are iproute2 6.1's own.
 */
import {
  attemptFor,
  batchable,
  batchError,
  batchLine,
  deletes,
  execArgv,
  failedLine,
  familyOf,
  ipArgv,
  makesNames,
  needsOwnProcess,
  parsePrinted,
  sessionable,
  withoutOptions,
} from "../../../provider/hosts/batch";
import { CommandError } from "../../../provider/core/errors";

describe("what a batch line can carry", () => {
  it("takes plain tokens, and refuses empty ones and those ip -batch would split, unquote or cut at a comment", () => {
    expect(batchable(["link", "set", "dev", "eth0.100", "alias", "linuxnet:p/s/Bridge/br0", "up"])).toBe(true);
    expect(batchable(["addr", "add", "fd00::1/64", "dev", "veth1_p"])).toBe(true);
    for (const bad of ["", "a b", "a\tb", "a\nb", 'say"x"', "it's", "back\\slash", "#comment"]) expect(batchable(["link", "set", "dev", bad])).toBe(false);
  });

  it("joins a line's tokens with spaces, and refuses a token it cannot pass, naming it", () => {
    expect(batchLine(["link", "set", "dev", "br0", "up"])).toBe("link set dev br0 up");
    expect(() => batchLine(["link", "set", "dev", "a b", "up"])).toThrow('ip -batch: token "a b" cannot be passed safely');
    expect(() => batchLine(["link", "set", "dev", "br0", "alias", ""])).toThrow('ip -batch: token "" cannot be passed safely');
  });
});

describe("splitting a batch", () => {
  it("separates a command's leading family and output options from the rest", () => {
    expect(withoutOptions(["-6", "route", "add", "fd00::/64", "dev", "eth0"])).toEqual({ family: "-6", rest: ["route", "add", "fd00::/64", "dev", "eth0"] });
    expect(withoutOptions(["-json", "-d", "-4", "route", "show"])).toEqual({ family: "-4", rest: ["route", "show"] });
    expect(withoutOptions(["link", "set", "dev", "-6", "up"])).toEqual({ family: "", rest: ["link", "set", "dev", "-6", "up"] }); // only leading options
    expect(withoutOptions(["-br", "addr"])).toEqual({ family: "", rest: ["-br", "addr"] });
  });

  it("finds the family all commands share, and none when they differ", () => {
    expect(familyOf([["link", "add", "br0", "type", "bridge"], ["-json", "addr", "show"]])).toBe("");
    expect(familyOf([["-6", "route", "add", "fd00::/64", "dev", "e"], ["-6", "route", "show"]])).toBe("-6");
    expect(familyOf([["-4", "route", "show"], ["-6", "route", "show"]])).toBeUndefined();
    expect(familyOf([["-4", "route", "show"], ["route", "show"]])).toBeUndefined();
  });

  it("gives a command with another global option a process of its own", () => {
    expect(needsOwnProcess(["-br", "link"])).toBe(true);
    expect(needsOwnProcess(["-4", "-s", "link"])).toBe(true);
    expect(needsOwnProcess(["-4", "route", "show"])).toBe(false);
    expect(needsOwnProcess(["-json", "-details", "link", "set", "dev", "x", "up"])).toBe(false);
  });

  it("never sends `link show` (in any spelling) or another global option to a long-lived session", () => {
    for (const show of [["link"], ["link", "show"], ["link", "list"], ["link", "lst"], ["link", "ls"], ["-json", "link", "show", "dev", "lo"], ["-d", "link"]]) {
      expect(sessionable(show)).toBe(false);
    }
    expect(sessionable(["-s", "addr", "show"])).toBe(false);
    expect(sessionable(["addr", "show", "dev", "lo"])).toBe(true);
    expect(sessionable(["-details", "addr", "show", "dev", "lo"])).toBe(true);
    expect(sessionable(["link", "set", "dev", "lo", "up"])).toBe(true);
    expect(sessionable(["link", "add", "name", "show", "type", "bridge"])).toBe(true);
  });

  it("knows which lines delete links or namespaces (after which other sessions' caches are stale)", () => {
    expect(deletes(["link", "del", "dev", "veth0"])).toBe(true);
    expect(deletes(["netns", "del", "n1"])).toBe(true);
    expect(deletes(["addr", "del", "10.0.0.1/24", "dev", "eth0"])).toBe(false);
    expect(deletes(["link", "set", "dev", "del", "up"])).toBe(false);
  });

  it("knows which lines can make a link name appear (before which every session is retired, once something was deleted)", () => {
    expect(makesNames(["link", "add", "br0", "type", "bridge"])).toBe(true);
    expect(makesNames(["link", "add", "eth0", "type", "veth", "peer", "name", "v0", "netns", "h"])).toBe(true);
    expect(makesNames(["link", "set", "dev", "eth0", "netns", "n1"])).toBe(true);
    expect(makesNames(["link", "set", "dev", "eth0", "name", "eth1"])).toBe(true);
    expect(makesNames(["-6", "link", "add", "x", "type", "dummy"])).toBe(true);
    expect(makesNames(["link", "set", "dev", "eth0", "up"])).toBe(false);
    expect(makesNames(["link", "del", "dev", "eth0"])).toBe(false);
    expect(makesNames(["netns", "add", "n1"])).toBe(false);
    expect(makesNames(["addr", "add", "10.0.0.1/24", "dev", "eth0"])).toBe(false);
  });

  it("targets a namespace with ip -n, other tools with ip netns exec", () => {
    expect(ipArgv(["-json", "-details", "-batch", "-"], { netns: "n1" })).toEqual(["ip", "-n", "n1", "-json", "-details", "-batch", "-"]);
    expect(execArgv(["iptables", "-S"], { netns: "n1" })).toEqual(["ip", "netns", "exec", "n1", "iptables", "-S"]);
    expect(execArgv(["iptables", "-S"])).toEqual(["iptables", "-S"]);
  });
});

describe("which command of a batch failed", () => {
  const commands = [
    ["link", "add", "name", "br0", "type", "bridge"],
    ["link", "set", "dev", "br0", "mtu", "1500"],
    ["link", "set", "dev", "br0", "mtu", "abc"],
    ["addr", "add", "10.0.0.1/24", "dev", "br0"],
  ];

  it("takes the line ip names in `Command failed -:N`", () => {
    expect(failedLine(commands, "Error: ipv4: Address already assigned.\nCommand failed -:4")).toBe(commands[3]);
    expect(failedLine(commands, "RTNETLINK answers: File exists\nCommand failed -:1")).toBe(commands[0]);
  });

  it("finds the line holding the argument ip quotes when it exits on it, not an earlier line holding the option's name", () => {
    // ip names the bad argument and the option it was given to; line 2 holds "mtu" too
    expect(failedLine(commands, 'Error: argument "abc" is wrong: Invalid "mtu" value\n')).toBe(commands[2]);
    expect(failedLine([["link", "set", "dev", "lo", "up"], ["link", "add", "name", "a0", "type", "veth", "peer", "name", "b0", "netns", "nosuch"]], 'Error: argument "nosuch" is wrong: Invalid "netns" value')).toEqual([
      "link", "add", "name", "a0", "type", "veth", "peer", "name", "b0", "netns", "nosuch",
    ]);
    expect(failedLine(commands, "something else entirely")).toBeUndefined();
  });

  it("words the batch's error for the command that failed, keeping the kind the host found", () => {
    const e = new CommandError(["ip", "-n", "n1", "-json", "-details", "-batch", "-"], "RTNETLINK answers: File exists\nCommand failed -:4", 1, undefined, "failed");
    const perLine = (line: readonly string[]) => ({ verb: "configure", kind: "bridge", name: line[line.indexOf("dev") + 1] ?? line[3], netns: "n1" });
    const err = batchError(e, commands, { netns: "n1" }, perLine);
    expect(err.message).toBe('failed to configure bridge "br0" in netns "n1": `ip -n n1 addr add 10.0.0.1/24 dev br0`: RTNETLINK answers: File exists');
    expect(err.line).toBe(commands[3]);
    expect(err.kind).toBe("failed"); // as the host said (an ssh problem is never "exists" or "not found")
    const unknown = batchError(new CommandError(["ip", "-batch", "-"], "no idea", 1), commands, {}, undefined);
    expect(unknown.argv).toEqual(["ip", "-batch", "-"]);
    expect(unknown.line).toBeUndefined();
  });

  it("picks the attempt of a line, or the one attempt given", () => {
    const one = { verb: "create", kind: "bridge", name: "br0" };
    expect(attemptFor(one, ["x"])).toBe(one);
    expect(attemptFor((l) => ({ ...one, name: l[0] }), ["eth0"])).toEqual({ ...one, name: "eth0" });
    expect(attemptFor((l) => ({ ...one, name: l[0] }))).toBeUndefined();
  });
});

describe("what a batch printed", () => {
  it("takes one JSON array per command that shows something, skipping other lines", () => {
    expect(parsePrinted(['[{"ifname":"lo"}]', "", "  [ ]", "Warning: something", '{"a":1}'], {}, undefined)).toEqual([[{ ifname: "lo" }], [], { a: 1 }]);
  });

  it("fails in one line, naming the batch, on JSON it cannot parse", () => {
    expect(() => parsePrinted(['[{"ifname":'], { netns: "n1" }, { verb: "read", kind: "bridge", name: "br0", netns: "n1" })).toThrow(
      /^failed to read bridge "br0" in netns "n1": `ip -n n1 -batch -`: unparsable JSON from ip -batch: /,
    );
  });
});

import { execArgv, ipArgv, ipBatch } from "../../support/local";
import { argv as nsArgv } from "../../../provider/kinds/namespace";

describe("argv builders", () => {
  it("targets a namespace with ip -n for ip, and ip netns exec for other tools", () => {
    expect(ipArgv(["link", "show"], { netns: "net1" })).toEqual(["ip", "-n", "net1", "link", "show"]);
    expect(ipArgv(["link", "show"])).toEqual(["ip", "link", "show"]);
    expect(execArgv(["sysctl", "-n", "net.ipv4.ip_forward"], { netns: "r" })).toEqual(["ip", "netns", "exec", "r", "sysctl", "-n", "net.ipv4.ip_forward"]);
    expect(execArgv(["sysctl", "-a"])).toEqual(["sysctl", "-a"]);
  });

  it("builds the namespace commands as iproute2 spells them", () => {
    expect(nsArgv.add("net1")).toEqual(["netns", "add", "net1"]);
    expect(nsArgv.del("net1")).toEqual(["netns", "del", "net1"]);
    expect(nsArgv.loopback({ loopbackUp: true })).toEqual(["link", "set", "dev", "lo", "up"]);
    expect(nsArgv.loopback({ loopbackUp: false, owner: "p/s/Namespace/n" })).toEqual(["link", "set", "dev", "lo", "alias", "linuxnet:p/s/Namespace/n", "down"]);
  });

  it("adds a namespace and marks its loopback in one batch, the mark set from inside by an exec'd ip", () => {
    const i = { name: "net1", loopbackUp: true, adopt: false, owner: "p/s/Namespace/n" };
    expect(nsArgv.loopbackFromOutside(i)).toEqual(["netns", "exec", "net1", "ip", "link", "set", "dev", "lo", "alias", "linuxnet:p/s/Namespace/n", "up"]);
  });

  it("refuses to put a token into an ip -batch line that whitespace would split", async () => {
    await expect(ipBatch([["link", "set", "a b", "up"], ["link", "show"]])).rejects.toThrow('token "a b" cannot be passed safely');
  });
});

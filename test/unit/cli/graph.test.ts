import { buildGraph } from "../../../cli/graph";
import { fromExport, fromPreview, type Resource } from "../../../cli/resources";
import { fixture, sentences } from "./helpers";

const res = (kind: string, name: string, props: Record<string, unknown>): Resource => ({ kind, name, props, urn: `u:${name}`, type: `pulumi-nodejs:dynamic/linuxnet:${kind}`, op: "same", dependencies: [] });

describe("the topology graph", () => {
  it("draws the demo lab: a box per namespace, the bridge inside its own, one edge per veth pair ending at the bridge of a port", () => {
    expect(sentences(buildGraph(fromExport(fixture("demo-export"), "stdin"), false))).toEqual({
      clusters: ["netns demo-c1", "netns demo-c2", "netns demo-host", "netns demo-p2p"],
      nodes: ["bridge br0 / bridge / 10.10.0.1/24 in netns demo-host"],
      edges: [
        "netns demo-c1 —[eth0 10.10.0.11/24 ⟷ veth-c1]— bridge br0 / bridge / 10.10.0.1/24 in netns demo-host",
        "netns demo-c2 —[eth0 10.10.0.12/24 ⟷ veth-c2]— bridge br0 / bridge / 10.10.0.1/24 in netns demo-host",
        "netns demo-p2p —[veth1 192.168.0.101/24 ⟷ veth1_p 192.168.0.100/24]— netns demo-host",
      ],
    });
  });

  it("marks each part of a preview with its operation", () => {
    const g = sentences(buildGraph(fromPreview(fixture("ci-update"), "stdin"), true));
    expect(g.clusters).toEqual(["netns ci-c1", "netns ci-c2", "netns ci-c3 (create)", "netns ci-edge", "netns ci-host"]);
    expect(g.nodes).toEqual(["bridge lab-br1 / bridge / 10.20.0.1/24 in netns ci-host (replace)"]);
    expect(g.edges).toEqual([
      "netns ci-c1 —[eth0 10.20.0.11/24 ⟷ veth-c1]— bridge lab-br1 / bridge / 10.20.0.1/24 in netns ci-host (replace)",
      "netns ci-c2 —[eth0 10.20.0.12/24 ⟷ veth-c2]— bridge lab-br1 / bridge / 10.20.0.1/24 in netns ci-host (replace)",
      "netns ci-c3 —[eth0 10.20.0.13/24 ⟷ veth-c3]— bridge lab-br1 / bridge / 10.20.0.1/24 in netns ci-host (create)",
      "netns ci-edge —[up0 [secret] ⟷ up0-host 192.168.50.1/24]— netns ci-host (update)",
    ]);
  });

  it("draws the kinds to come: a VLAN on its parent, notes for routes, sysctls and rules, a router", () => {
    const g = sentences(
      buildGraph(
        [
          res("Namespace", "r", { name: "r" }),
          res("VethPair", "up", { end: { name: "eth0", netns: "r", addresses: ["10.0.0.2/24"] }, peer: { name: "up-r", addresses: ["10.0.0.1/24"] } }),
          res("VlanInterface", "v10", { name: "eth0.10", netns: "r", parent: "eth0", vlanId: 10, addresses: ["10.10.0.1/24"] }),
          res("Route", "default", { netns: "r", destination: "default", via: "10.0.0.1" }),
          res("Sysctl", "fwd", { netns: "r", key: "net.ipv4.ip_forward", value: "1" }),
          res("IptablesRule", "nat", { netns: "r", table: "nat", chain: "POSTROUTING", rule: ["-o", "eth0", "-j", "MASQUERADE"] }),
          res("Router", "edge", { netns: "r" }),
        ],
        false,
      ),
    );
    expect(g.nodes).toEqual([
      "vlan eth0.10 / VLAN 10 / 10.10.0.1/24 in netns r",
      "interface eth0 / 10.0.0.2/24 in netns r",
      "router edge / router in netns r",
      "note route default via 10.0.0.1 / sysctl net.ipv4.ip_forward=1 / iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE in netns r",
    ]);
    expect(g.edges).toEqual([
      "vlan eth0.10 / VLAN 10 / 10.10.0.1/24 in netns r —[VLAN 10]— interface eth0 / 10.0.0.2/24 in netns r",
      "interface eth0 / 10.0.0.2/24 in netns r —[eth0 10.0.0.2/24 ⟷ up-r 10.0.0.1/24]— pulumi's own netns",
    ]);
  });

  it("shows a bridge or parent the stack does not declare as external", () => {
    const g = sentences(buildGraph([res("VethPair", "p", { end: { name: "a", netns: "x" }, peer: { name: "b", netns: "x", master: "docker0" } })], false));
    expect(g.nodes).toEqual(["interface docker0 in netns x (external)"]);
  });
});

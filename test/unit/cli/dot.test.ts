import { toDot } from "../../../cli/dot";
import { buildGraph } from "../../../cli/graph";
import { fromExport, fromPreview } from "../../../cli/resources";
import { fixture } from "./helpers";

describe("DOT", () => {
  const dot = toDot(buildGraph(fromExport(fixture("demo-export"), "stdin"), false));

  it("makes a cluster per namespace with an invisible anchor, and ends links at the cluster's border", () => {
    expect(dot).toContain('subgraph "cluster_ns2" {\n    graph [label="netns demo-host", style="rounded", color="#57606a", penwidth=1];');
    expect(dot).toContain('"ns2" [shape="point", style="invis"');
    expect(dot).toContain('"n0" [shape="box3d", label="br0\\nbridge\\n10.10.0.1/24"];');
    expect(dot).toContain('"ns3" -> "ns2" [label="veth1 192.168.0.101/24 ⟷ veth1_p 192.168.0.100/24", ltail="cluster_ns3", lhead="cluster_ns2"];');
    expect(dot).toContain('"ns0" -> "n0" [label="eth0 10.10.0.11/24 ⟷ veth-c1", ltail="cluster_ns0"];');
  });

  it("puts the legend on a preview and colours what changes", () => {
    const planned = toDot(buildGraph(fromPreview(fixture("ci-update"), "stdin"), true));
    expect(planned).toContain('label="green: create');
    expect(planned).toMatch(/"n0" \[shape="box3d", label="lab-br1\\nbridge\\n10\.20\.0\.1\/24", color="#e16f24", penwidth=2\]/);
  });
});

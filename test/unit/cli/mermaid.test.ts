import { buildGraph } from "../../../cli/graph";
import { toMermaid } from "../../../cli/mermaid";
import { fromExport, fromPreview } from "../../../cli/resources";
import { fixture } from "./helpers";

describe("Mermaid", () => {
  it("writes namespaces as subgraphs, the bridge as a node inside, veth pairs as labelled links", () => {
    const m = toMermaid(buildGraph(fromExport(fixture("demo-export"), "stdin"), false));
    expect(m).toBe(
      [
        "flowchart LR",
        '  subgraph ns0["netns demo-c1"]',
        "  end",
        '  subgraph ns1["netns demo-c2"]',
        "  end",
        '  subgraph ns2["netns demo-host"]',
        '    n0[["br0<br/>bridge<br/>10.10.0.1/24"]]',
        "  end",
        '  subgraph ns3["netns demo-p2p"]',
        "  end",
        '  ns0 ---|"eth0 10.10.0.11/24 ⟷ veth-c1"| n0',
        '  ns1 ---|"eth0 10.10.0.12/24 ⟷ veth-c2"| n0',
        '  ns3 ---|"veth1 192.168.0.101/24 ⟷ veth1_p 192.168.0.100/24"| ns2',
        "",
      ].join("\n"),
    );
  });

  it("colours a preview's parts by operation, deletes dashed", () => {
    const m = toMermaid(buildGraph(fromPreview(fixture("resources-delete"), "stdin"), true));
    expect(m).toMatch(/^ {2}style ns0 stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5$/m);
    expect(m).toMatch(/^ {2}linkStyle 0 stroke:#cf222e/m);
  });
});

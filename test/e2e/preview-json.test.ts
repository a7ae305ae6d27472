/**
 * `pulumi preview --json` through the real CLI for a create, an update, two kinds of
 * replacement and a delete of every kind (Namespace, Bridge, VethPair): the engine reports
 * per-property diffs (`diffReasons`, `detailedDiff` with nested paths like
 * `end.addresses[0]`) and exact `replaceReasons`; `--diff` text still names each change;
 * and `pulumi-linuxnet preview-summary` and `diagram` read that real output (and the real
 * `pulumi stack export`): rows with old → new, the reasons for replacements, a warning per
 * delete, the comment-length bound, the diagram's nodes and edges, a well-formed SVG.
 * The demo stack's export is drawn too. LINUXNET_WRITE_FIXTURES=1 stores the JSON for the
 * unit tests in test/unit/cli/fixtures.
 */
import { XMLValidator } from "fast-xml-parser";
import { join } from "node:path";
import { buildGraph } from "../../cli/graph";
import { fromExport, fromPreview } from "../../cli/resources";
import { maybeWriteFixture, ROOT, runCli, sentences } from "../unit/cli/helpers";
import { backendUrl, PulumiStack, testProgramDir } from "../support/pulumi";
import { expectJudged, judgeReachability } from "../support/reachability";

jest.setTimeout(300_000);


type Step = { op: string; urn: string; diffReasons?: string[]; replaceReasons?: string[]; detailedDiff?: Record<string, { kind: string }> | null };

async function previewJson(stack: PulumiStack): Promise<{ text: string; steps: Map<string, Step> }> {
  const r = await stack.cli(["preview", "--json", "--show-sames"]);
  const steps = new Map<string, Step>();
  for (const s of JSON.parse(r.stdout).steps as Step[]) steps.set(s.urn.slice(s.urn.lastIndexOf("::") + 2), s);
  return { text: r.stdout, steps };
}

describe("preview --json and the pulumi-linuxnet command on every kind, through the real CLI", () => {
  const stack = new PulumiStack(testProgramDir("resources"));
  const [na, nb, nb2] = [`${stack.stack}a`, `${stack.stack}b`, `${stack.stack}c`];
  const lab = (o: { loopbackUp?: boolean; bridge?: string; brAddress?: string; stp?: boolean; endName?: string; endAddress?: string; peerMtu?: number; nsB?: string } = {}) =>
    JSON.stringify([
      { kind: "Namespace", name: "a", args: { name: na, ...(o.loopbackUp === undefined ? {} : { loopbackUp: o.loopbackUp }) } },
      { kind: "Namespace", name: "b", args: { name: o.nsB ?? nb } },
      { kind: "Bridge", name: "br", args: { name: o.bridge ?? "br0", netns: "$a", addresses: [o.brAddress ?? "10.70.0.1/24"], ...(o.stp ? { stp: true } : {}) } },
      {
        kind: "VethPair",
        name: "v",
        args: {
          end: { name: o.endName ?? "e0", netns: "$a.name", addresses: [o.endAddress ?? "10.70.0.2/24"], master: "$br" },
          peer: { name: "p0", netns: "$b.name", addresses: ["10.70.1.1/24"], ...(o.peerMtu ? { mtu: o.peerMtu } : {}) },
        },
      },
    ]);
  const updated = { loopbackUp: false, brAddress: "10.70.0.9/24", stp: true, endAddress: "10.70.0.3/24", peerMtu: 1400 };
  beforeAll(() => stack.init({ resources: lab() }));
  afterAll(() => stack.dispose());

  it("create: every resource is a create; the summary has a row for each and the diagram shows the plan", async () => {
    const { text, steps } = await previewJson(stack);
    maybeWriteFixture("resources-create", text);
    expect(["a", "b", "br", "v"].map((n) => steps.get(n)?.op)).toEqual(["create", "create", "create", "create"]);
    const s = runCli(["preview-summary"], text);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain("**Plan:** 🟢 4 to create");
    expect(s.stdout).toContain(`| 🟢 create | Bridge | \`br\` | \`${na}\` | bridge br0 10.70.0.1/24 in ${na} |`);
    expect(s.stdout).toContain(`| 🟢 create | VethPair | \`v\` | \`${na}\` ⟷ \`${nb}\` | veth e0 10.70.0.2/24 in ${na}, port of br0 ⟷ p0 10.70.1.1/24 in ${nb} |`);
    expect(sentences(buildGraph(fromPreview(JSON.parse(text), "stdin"), true)).edges).toEqual([
      `bridge br0 / bridge / 10.70.0.1/24 in netns ${na} —[e0 10.70.0.2/24 ⟷ p0 10.70.1.1/24]— netns ${nb} (create)`,
    ]);
    await stack.up();
  });

  it("exported state: the diagram has both namespaces, the bridge in its own, the pair from the bridge to the other; the SVG is well-formed", async () => {
    const exported = (await stack.cli(["stack", "export"])).stdout;
    maybeWriteFixture("resources-export", exported);
    expect(sentences(buildGraph(fromExport(JSON.parse(exported), "stdin"), false))).toEqual({
      clusters: [`netns ${na}`, `netns ${nb}`],
      nodes: [`bridge br0 / bridge / 10.70.0.1/24 in netns ${na}`],
      edges: [`bridge br0 / bridge / 10.70.0.1/24 in netns ${na} —[e0 10.70.0.2/24 ⟷ p0 10.70.1.1/24]— netns ${nb}`],
    });
    const svg = runCli(["diagram", "--format", "svg"], exported);
    expect(svg.code).toBe(0);
    expect(XMLValidator.validate(svg.stdout)).toBe(true);
    expect(svg.stdout).toContain(`netns ${na}`);
    expect(svg.stdout).toContain("e0 10.70.0.2/24 ⟷ p0 10.70.1.1/24");
    // With no input piped in, `diagram` runs `pulumi stack export` itself (in the program's directory).
    const backend = { PULUMI_BACKEND_URL: backendUrl(stack.backend), PULUMI_CONFIG_PASSPHRASE: "", PULUMI_SKIP_UPDATE_CHECK: "true" };
    const self = runCli(["diagram", "--format", "dot", "--stack", stack.stack], "", stack.programDir, backend);
    expect(self.stderr).toBe("");
    expect(self.stdout).toContain(`label="netns ${nb}"`);
  });

  it("update of every kind: diffReasons and nested detailedDiff paths, no replaceReasons; rows show old → new", async () => {
    await stack.setConfig("resources", lab(updated));
    const { text, steps } = await previewJson(stack);
    maybeWriteFixture("resources-update", text);
    expect(steps.get("a")).toMatchObject({ op: "update", diffReasons: ["loopbackUp"], detailedDiff: { loopbackUp: { kind: "update" } } });
    expect(steps.get("br")).toMatchObject({ op: "update", detailedDiff: { "addresses[0]": { kind: "update" }, stp: { kind: "update" } } });
    expect(steps.get("br")?.diffReasons?.sort()).toEqual(["addresses", "stp"]);
    expect(steps.get("v")).toMatchObject({ op: "update", detailedDiff: { "end.addresses[0]": { kind: "update" }, "peer.mtu": { kind: "add" } } });
    expect(steps.get("v")?.diffReasons?.sort()).toEqual(["end", "peer"]);
    for (const n of ["a", "br", "v"]) expect(steps.get(n)?.replaceReasons ?? []).toEqual([]);
    expect(steps.get("b")?.op).toBe("same");

    const s = runCli(["preview-summary"], text).stdout;
    expect(s).toContain("**Plan:** 🔵 3 to update · 1 unchanged");
    expect(s).toContain(`| 🔵 update | Namespace | \`a\` | \`${na}\` | \`loopbackUp\`: \`true\` → \`false\` |`);
    expect(s).toMatch(/\| 🔵 update \| Bridge \| `br` \| .* \| `addresses`: `10\.70\.0\.1\/24` → `10\.70\.0\.9\/24`<br>`stp`: `false` → `true` \|/);
    expect(s).toMatch(/\| 🔵 update \| VethPair \| `v` \| .* \| `end\.addresses`: `10\.70\.0\.2\/24` → `10\.70\.0\.3\/24`<br>`peer\.mtu`: `\(unset\)` → `1400` \|/);
    expect(s).not.toMatch(/replace|delete/);

    const diff = (await stack.preview()).stdout; // the --diff text keeps naming each change
    expect(diff).toMatch(/~ loopbackUp: true => false/);
    expect(diff).toMatch(/~ \[0\]: "10\.70\.0\.2\/24" => "10\.70\.0\.3\/24"/);
    expect(diff).toMatch(/\+ mtu\s*: 1400/);
    await stack.up();
  });

  it("replacing a bridge: replaceReasons name it, and the pair whose port it is is replaced with it (a reason the summary explains)", async () => {
    await stack.setConfig("resources", lab({ ...updated, bridge: "br1" }));
    const { text, steps } = await previewJson(stack);
    maybeWriteFixture("resources-replace-bridge", text);
    expect(steps.get("br")).toMatchObject({ op: "replace", replaceReasons: ["name"], diffReasons: ["name"], detailedDiff: { name: { kind: "update" } } });
    expect(steps.get("v")?.op).toBe("replace"); // the engine's dependent replacement: end depends on the bridge deleted first
    const s = runCli(["preview-summary"], text).stdout;
    expect(s).toContain("| 🟠 replace | Bridge | `br` | ");
    expect(s).toContain("`name`: `br0` → `br1`<br>**replaced because** name changed: the kernel name is the identity |");
    expect(s).toContain("`end.master`: `br0` → `br1`<br>**replaced because** it depends on Bridge br, which is replaced: the engine deletes that first and replaces what depends on it |");
    expect(s).toContain("> ⚠️ 2 replacements delete the old object before making the new one");
    await stack.up();
  });

  it("replacing a veth end: replaceReasons name the top-level field, detailedDiff the nested one, the summary why", async () => {
    await stack.setConfig("resources", lab({ ...updated, bridge: "br1", endName: "e1" }));
    const { text, steps } = await previewJson(stack);
    maybeWriteFixture("resources-replace-veth", text);
    expect(steps.get("v")).toMatchObject({ op: "replace", replaceReasons: ["end"], diffReasons: ["end"], detailedDiff: { "end.name": { kind: "update" } } });
    for (const n of ["a", "b", "br"]) expect(steps.get(n)?.op).toBe("same");
    const s = runCli(["preview-summary"], text).stdout;
    expect(s).toContain("| 🟠 replace | VethPair | `v` | ");
    expect(s).toContain("| `end.name`: `e0` → `e1`<br>**replaced because** end.name changed: the kernel name is the identity |");
    await stack.up();
  });

  it("replacing a namespace: replaceReasons name it; what is in it is replaced with it, for its own reasons and the namespace's", async () => {
    await stack.setConfig("resources", lab({ ...updated, bridge: "br1", endName: "e1", nsB: nb2 }));
    const { text, steps } = await previewJson(stack);
    maybeWriteFixture("resources-replace-namespace", text);
    expect(steps.get("b")).toMatchObject({ op: "replace", replaceReasons: ["name"], diffReasons: ["name"], detailedDiff: { name: { kind: "update" } } });
    expect(steps.get("v")?.op).toBe("replace"); // a dependent replacement: the engine gives no detail, the summary works it out
    const s = runCli(["preview-summary"], text).stdout;
    expect(s).toContain(`\`name\`: \`${nb}\` → \`${nb2}\`<br>**replaced because** name changed: a namespace's name is its identity (its file under /run/netns) |`);
    expect(s).toContain(
      `\`peer.netns\`: \`${nb}\` → \`${nb2}\`<br>**replaced because** peer.netns changed: a link is made in its namespace, so in another one it is a new link<br>**replaced because** it depends on Namespace b, which is replaced: the engine deletes that first and replaces what depends on it |`,
    );
    const g = sentences(buildGraph(fromPreview(JSON.parse(text), "stdin"), true));
    expect(g.clusters).toEqual([`netns ${na}`, `netns ${nb2} (replace)`]);
    expect(g.edges).toEqual([`bridge br1 / bridge / 10.70.0.9/24 / STP on in netns ${na} —[e1 10.70.0.3/24 ⟷ p0 10.70.1.1/24]— netns ${nb2} (replace)`]);
    await stack.up();
  });

  it("delete of every kind: delete steps, a warning line for each in the summary, drawn dashed", async () => {
    await stack.setConfig("resources", "[]");
    const { text, steps } = await previewJson(stack);
    maybeWriteFixture("resources-delete", text);
    expect(["a", "b", "br", "v"].map((n) => steps.get(n)?.op)).toEqual(["delete", "delete", "delete", "delete"]);
    const s = runCli(["preview-summary"], text).stdout;
    expect(s).toContain("**Plan:** 🔴 4 to delete");
    expect(s).toContain(`> ⚠️ **deletes** Namespace \`a\`: netns ${na}, lo down, with every link still in it`);
    expect(s).toContain(`> ⚠️ **deletes** Bridge \`br\`: bridge br1 10.70.0.9/24 in ${na}, STP on`);
    expect(s).toContain(`> ⚠️ **deletes** VethPair \`v\`: veth e1 10.70.0.3/24 in ${na}, port of br1 ⟷ p0 10.70.1.1/24 in ${nb2}`);
    expect(s.match(/^\| 🔴 delete \|/gm)).toHaveLength(4);
    const dot = runCli(["diagram", "--preview", "--format", "dot"], text).stdout;
    expect(dot).toMatch(/style="rounded,dashed", color="#cf222e"/);
    await stack.up();
    expect(runCli(["diagram"], (await stack.cli(["stack", "export"])).stdout)).toMatchObject({ code: 1, stderr: "pulumi-linuxnet diagram: stdin holds no pulumi-linuxnet resources: the stack is empty (never deployed, or destroyed)\n" });
  });

  it("a plan too long for one comment is cut at 65,536 characters with '… and N more'", async () => {
    // 150 namespaces with 240-character names: about 80,000 characters of rows. Previewed only.
    const many = Array.from({ length: 150 }, (_, i) => ({ kind: "Namespace", name: `n${i}`, args: { name: `${stack.stack}-${String(i).padStart(3, "0")}-${"x".repeat(220)}` } }));
    await stack.setConfig("resources", JSON.stringify(many));
    const { text } = await previewJson(stack);
    const s = runCli(["preview-summary"], text).stdout;
    expect(s.length).toBeLessThanOrEqual(65_536);
    expect(s.length).toBeGreaterThan(60_000);
    const shown = s.match(/^\| 🟢 create \|/gm)?.length ?? 0;
    expect(shown).toBeGreaterThan(50);
    expect(s).toContain(`… and ${150 - shown} more resources not shown: a comment holds at most 65,536 characters`);
    await stack.setConfig("resources", "[]");
  });
});

describe("the demo stack (Pulumi.yaml at the root)", () => {
  const stack = new PulumiStack(ROOT);
  beforeAll(() => stack.init());
  afterAll(() => stack.dispose());

  it("its preview and its exported state draw the lab: a box per namespace, br0 in demo-host, a link per pair", async () => {
    const { text } = await previewJson(stack);
    maybeWriteFixture("demo-create", text);
    await stack.up();
    expectJudged(await judgeReachability(stack, "the demo stack after up"), {
      ipv4: { compared: 56 },
      // The bridge br-lan has no MAC of its own in the state (a bridge's follows its ports): its link-local address is not known.
      ipv6: { compared: 10, unknown: { count: 4, why: /^the link-local address of demo-lan br-lan is not known / } },
    });
    const exported = (await stack.cli(["stack", "export"])).stdout;
    maybeWriteFixture("demo-export", exported);
    // The demo grows as kinds land: its first scenarios must be drawn as they are, whatever else it holds.
    const g = sentences(buildGraph(fromExport(JSON.parse(exported), "stdin"), false));
    expect(g.clusters).toEqual(expect.arrayContaining(["netns demo-c1", "netns demo-c2", "netns demo-host", "netns demo-p2p"]));
    expect(g.nodes).toContain("bridge br0 / bridge / 10.10.0.1/24 in netns demo-host");
    expect(g.edges).toEqual(
      expect.arrayContaining([
        "netns demo-c1 —[eth0 10.10.0.11/24 ⟷ veth-c1]— bridge br0 / bridge / 10.10.0.1/24 in netns demo-host",
        "netns demo-c2 —[eth0 10.10.0.12/24 ⟷ veth-c2]— bridge br0 / bridge / 10.10.0.1/24 in netns demo-host",
        "netns demo-p2p —[veth1 192.168.0.101/24 ⟷ veth1_p 192.168.0.100/24]— netns demo-host",
      ]),
    );
    expect(g.nodes.filter((n) => n.includes("(external)"))).toEqual([]);
    const svg = runCli(["diagram", "--format", "svg"], exported).stdout;
    expect(XMLValidator.validate(svg)).toBe(true);
    const mermaid = runCli(["diagram", "--preview"], text).stdout;
    expect(mermaid).toMatch(/^flowchart LR\n/);
    expect(mermaid).toMatch(/^ {2}subgraph \w+\["netns demo-c1"\]\n/m);
    expect(mermaid).toMatch(/\["netns demo-host"\]\n(    .*\n)*    n\d+\[\["br0<br\/>bridge<br\/>10\.10\.0\.1\/24"\]\]\n/);
    expect(mermaid.match(/ ---\|"/g)?.length).toBeGreaterThanOrEqual(3);
    // A new stack: every box, node and link is drawn green (to be created), and nothing in another colour.
    const boxes = [...mermaid.matchAll(/^ {2}subgraph (\w+)\[/gm), ...mermaid.matchAll(/^ {2,4}(n\d+)[[(>{]/gm)].map((m) => m[1]);
    const green = [...mermaid.matchAll(/^ {2}style (\w+) stroke:#2da44e,/gm)].map((m) => m[1]);
    expect(boxes.length).toBeGreaterThanOrEqual(8);
    expect(green.sort()).toEqual(boxes.sort());
    const links = mermaid.match(/ (---|-\.-)\|"/g)?.length ?? 0;
    expect(mermaid.match(/^ {2}linkStyle \d+ stroke:#2da44e,/gm)?.length).toBe(links);
    expect(mermaid).not.toMatch(/^ {2}(style|linkStyle) \w+ stroke:(?!#2da44e)/m);
  });
});

describe("examples/macvlan-two-hosts: macvlan networks and endpoints in the diagram", () => {
  const stack = new PulumiStack(join(ROOT, "examples", "macvlan-two-hosts"));
  beforeAll(() => stack.init());
  afterAll(() => stack.dispose());

  it("draws each host's network on its NIC (a veth end, now a node) and each container on its host's network", async () => {
    await stack.up();
    const exported = (await stack.cli(["stack", "export"])).stdout;
    maybeWriteFixture("macvlan-export", exported);
    const g = sentences(buildGraph(fromExport(JSON.parse(exported), "stdin"), false));
    expect(g.nodes).toEqual(
      expect.arrayContaining([
        "bridge br-lan / bridge in netns lan",
        "macvlan mac1 / macvlan bridge / 172.16.10.0/24 / gateway 172.16.10.1 in netns host1",
        "interface enp0s8 / 192.168.56.11/24 / 172.16.10.250/24 in netns host1",
      ]),
    );
    expect(g.edges).toEqual(
      expect.arrayContaining([
        "macvlan mac1 / macvlan bridge / 172.16.10.0/24 / gateway 172.16.10.1 in netns host1 —[parent]— interface enp0s8 / 192.168.56.11/24 / 172.16.10.250/24 in netns host1",
        "macvlan mac1 / macvlan bridge / 172.16.10.0/24 / gateway 172.16.10.1 in netns host1 —[eth0 172.16.10.2]— netns c1",
        "macvlan mac1 / macvlan bridge / 172.16.10.0/24 / gateway 172.16.10.1 in netns host2 —[eth0 172.16.10.3]— netns c2",
        "interface enp0s8 / 192.168.56.11/24 / 172.16.10.250/24 in netns host1 —[enp0s8 192.168.56.11/24, 172.16.10.250/24 ⟷ lan1]— bridge br-lan / bridge in netns lan",
      ]),
    );
    expect(g.nodes.filter((n) => n.includes("(external)"))).toEqual([]);
    expect(XMLValidator.validate(runCli(["diagram", "--format", "svg"], exported).stdout)).toBe(true);
  });
});

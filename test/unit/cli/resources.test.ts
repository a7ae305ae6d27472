import { CliError } from "../../../cli/errors";
import { fromExport, fromPreview, kindOf, unchangedIn } from "../../../cli/resources";
import { fixture } from "./helpers";

describe("reading preview JSON and exported state", () => {
  it("takes linuxnet type tokens and component tokens, nothing else", () => {
    expect(kindOf("pulumi-nodejs:dynamic/linuxnet:VethPair")).toBe("VethPair");
    expect(kindOf("linuxnet:index:Router")).toBe("Router");
    expect(kindOf("pulumi:pulumi:Stack")).toBeUndefined();
    expect(kindOf("pulumi:providers:pulumi-nodejs")).toBeUndefined();
  });

  it("reads a real preview: one resource per URN with its operation, old and new inputs and the engine's diff", () => {
    const rs = fromPreview(fixture("resources-update"), "stdin");
    expect(rs.map((r) => `${r.kind} ${r.name} ${r.op}`).sort()).toEqual(["Bridge br update", "Namespace a update", "Namespace b same", "VethPair v update"]);
    const v = rs.find((r) => r.name === "v")!;
    expect(v.detailedDiff).toMatchObject({ "end.addresses[0]": { kind: "update" } });
    expect((v.olds as { end: { addresses: string[] } }).end.addresses).toEqual(["10.70.0.2/24"]);
    expect((v.news as { end: { addresses: string[] } }).end.addresses).toEqual(["10.70.0.3/24"]);
    expect(v.dependencies.length).toBeGreaterThan(0);
  });

  it("takes a delete's properties from the state", () => {
    const rs = fromPreview(fixture("resources-delete"), "stdin");
    expect(rs.map((r) => `${r.kind} ${r.name}`).sort()).toEqual(["Bridge br", "Namespace a", "Namespace b", "VethPair v"]);
    for (const r of rs) expect({ name: r.name, op: r.op, news: r.news, props: Object.keys(r.props).length > 0 }).toEqual({ name: r.name, op: "delete", news: undefined, props: true });
  });

  it("counts unchanged resources from the change summary when the preview lists only changes", () => {
    expect(unchangedIn(fixture("resources-update"))).toBe(1);
    expect(unchangedIn(fixture("ci-update"))).toBe(4);
  });

  it("places a component (the Router, which stores no inputs) in its children's namespace", () => {
    const stack = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s";
    const router = "urn:pulumi:s::p::linuxnet:index:Router::edge";
    const json = {
      version: 3,
      deployment: {
        resources: [
          { urn: router, type: "linuxnet:index:Router", parent: stack, outputs: { made: ["sysctl net.ipv4.ip_forward=1"] } },
          { urn: `${router}$pulumi-nodejs:dynamic/linuxnet:Sysctl::edge-forward`, type: "pulumi-nodejs:dynamic/linuxnet:Sysctl", parent: router, outputs: { key: "net.ipv4.ip_forward", value: "1", netns: "r" } },
        ],
      },
    };
    expect(fromExport(json, "stdin").map((r) => [r.kind, r.props.netns])).toEqual([["Router", "r"], ["Sysctl", "r"]]);
  });

  it("reads a real export: its resources' outputs, all 'same'", () => {
    const rs = fromExport(fixture("demo-export"), "stdin");
    expect(rs.map((r) => r.kind).sort()).toEqual(["Bridge", "Namespace", "Namespace", "Namespace", "Namespace", "VethPair", "VethPair", "VethPair"]);
    expect(rs.find((r) => r.kind === "Bridge")?.props).toMatchObject({ name: "br0", netns: "demo-host", ifindex: expect.any(Number) });
  });

  it("tells the two inputs apart, and says which was given when the other was expected", () => {
    expect(() => fromExport(fixture("resources-update"), "stdin")).toThrow("stdin is the output of `pulumi preview --json`, not `pulumi stack export`; add --preview");
    expect(() => fromPreview(fixture("demo-export"), "stdin")).toThrow("stdin is the output of `pulumi stack export`, not `pulumi preview --json`");
  });

  it("names the first thing wrong with JSON of the wrong shape", () => {
    expect(() => fromPreview({ steps: [{ op: 1 }] }, "stdin")).toThrow(new CliError("stdin is not the output of `pulumi preview --json`: steps.0.op: Invalid input: expected string, received number"));
    expect(() => fromExport([], "file x")).toThrow(/^file x is not the output of `pulumi stack export`: \(top level\): /);
  });

  it("refuses an empty stack and a preview of nothing", () => {
    expect(() => fromExport({ version: 3, deployment: { manifest: {} } }, "stdin")).toThrow("stdin holds no pulumi-linuxnet resources: the stack is empty (never deployed, or destroyed)");
    expect(() => fromPreview({ steps: [{ op: "create", urn: "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", newState: { type: "pulumi:pulumi:Stack" } }] }, "stdin")).toThrow(
      "stdin plans no pulumi-linuxnet resources",
    );
  });

  it("reports a failed preview by its first error", () => {
    const failed = { steps: [], diagnostics: [{ severity: "error", message: "error: Bridge resource 'b': property name value {a/b} has a problem: invalid name\n" }] };
    expect(() => fromPreview(failed, "stdin")).toThrow("stdin holds a failed preview, not a plan: Bridge resource 'b': property name value {a/b} has a problem: invalid name");
  });
});

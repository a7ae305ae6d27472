import { reachabilitySection, statesOf } from "../../../../cli/reach/review";
import { fromPreview, type Resource, unchangedIn } from "../../../../cli/resources";
import { summarize } from "../../../../cli/summary";
import { fixture } from "../helpers";
import { bridge, forwarding, ns, route, veth } from "../../model/states";

/** A deployed resource the plan keeps, changes, or removes (as `fromPreview` gives it). */
const same = (r: Resource): Resource => ({ ...r, op: "same", deployed: { props: r.props, inputs: r.inputs }, news: r.props, olds: r.props });
const updated = (r: Resource, news: Resource["props"], op: "update" | "replace" = "update"): Resource => ({ ...same(r), op, news, props: news });
const deleted = (r: Resource): Resource => ({ ...same(r), op: "delete", news: undefined });
const created = (r: Resource): Resource => ({ ...r, op: "create", news: r.props });

/** c — r — s with r forwarding (TTL 63 from c to s). */
const lab = () => ({
  c: ns("c"),
  r: ns("r"),
  s: ns("s"),
  cr: veth("c-eth0", { name: "eth0", netns: "c", addresses: ["10.0.0.2/24"] }, { name: "eth0", netns: "r", addresses: ["10.0.0.1/24"] }),
  rs: veth("s-eth0", { name: "eth1", netns: "r", addresses: ["10.9.0.1/24"] }, { name: "eth0", netns: "s", addresses: ["10.9.0.2/24"] }),
  cDefault: route("c-default", "c", "default", "10.0.0.1"),
  sDefault: route("s-default", "s", "default", "10.9.0.1"),
  fwd: forwarding("r"),
});

describe("preview-summary's Reachability section", () => {
  it("splits a preview into the deployed network (old outputs) and the planned one (new inputs)", () => {
    const l = lab();
    const { deployed, planned } = statesOf([same(l.c), deleted(l.fwd), created(ns("t"))]);
    expect(deployed.map((r) => r.name)).toEqual(["c", "r-forward"]);
    expect(planned.map((r) => r.name)).toEqual(["c", "t"]);
  });

  it("flags pairs that stop answering, with the reason and the change behind it", () => {
    const l = lab();
    const plan = [...Object.values(l).filter((r) => r !== l.fwd).map(same), deleted(l.fwd)];
    const s = reachabilitySection(plan).join("\n");
    expect(s).toMatch(/^#### Reachability\n\n> ⚠️ 2 pairs of 12 change: 2 stop answering, 0 start\.\n\n/);
    expect(s).toContain("- `c` → `10.9.0.2`: reachable (TTL 63) → **unreachable**: r does not forward: net.ipv4.ip_forward is 0 (a new namespace's default) (Sysctl r-forward deleted)");
    expect(s).toContain("- `s` → `10.0.0.2`: reachable (TTL 63) → **unreachable**");
    expect(s).not.toContain("`c` → `10.9.0.1`"); // r's own address answers without forwarding
  });

  it("names the property that changed: an address moved off the subnet", () => {
    const l = lab();
    const moved = updated(l.cr, { ...l.cr.props, end: { ...(l.cr.props.end as object), addresses: ["10.5.0.2/24"] } });
    const plan = [...Object.values(l).filter((r) => r !== l.cr && r !== l.cDefault).map(same), moved];
    const s = reachabilitySection(plan).join("\n");
    expect(s).not.toContain("`r` → `10.9.0.2`");
    expect(s).not.toContain("→ `10.0.0.2`"); // gone in the plan: not a pair of both
    expect(s).toContain("- `c` → `10.0.0.1`: reachable (TTL 64) → **unreachable**: c has no route to 10.0.0.1 (VethPair c-eth0 updated: `end.addresses` 10.0.0.2/24 → 10.5.0.2/24)");
  });

  it("says when nothing changes, and when the preview does not list the whole network", () => {
    const l = lab();
    expect(reachabilitySection(Object.values(l).map(same))).toEqual(["#### Reachability", "", "No change: 12 pairs of a namespace and an address of the stack, predicted alike before and after (0 unknown)."]);
    expect(reachabilitySection([created(ns("t"))])).toEqual([]);
    expect(reachabilitySection([same(l.c)], { complete: false })[2]).toMatch(/^Not predicted: the preview lists only what changes/);
  });

  it("leaves a network too large to predict in a summary to the reachability command, saying so", () => {
    const many = [ns("h"), bridge("br0", "h", ["10.0.0.1/16"])];
    for (let i = 0; i < 150; i++) many.push(ns(`c${i}`), veth(`c${i}`, { name: "eth0", netns: `c${i}`, addresses: [`10.0.1.${i + 1}/16`] }, { name: `v${i}`, netns: "h", master: "br0" }));
    expect(reachabilitySection(many.map(same))[2]).toBe(
      "Not predicted: 22,801 pairs of a namespace and an address, more than the 20,000 a summary predicts. `pulumi-linuxnet reachability --preview --from NS` predicts the pairs of one namespace.",
    );
  });

  it("lists the probes of the plan the prediction contradicts, through the hook a probe kind supplies", () => {
    const l = lab();
    const probe = (from: string, to: string, expect: "reachable" | "unreachable", ttl?: number) => ({ ...ns(`probe-${to}`), kind: "Probe", name: `${from}-${to}`, props: { from, to, expect, ttl } });
    const probes = [probe("c", "10.9.0.2", "reachable", 63), probe("c", "10.9.0.2", "reachable", 64), probe("c", "10.9.0.2", "unreachable")];
    const read = (r: Resource) => (r.kind === "Probe" ? (r.props as never) : undefined);
    const plan = [...Object.values(l).map(same), ...probes.map(created)];
    const s = reachabilitySection(plan, { probe: read }).join("\n");
    expect(s).toContain("**Probes predicted to fail:** 2");
    expect(s).toContain("- ❌ Probe `c-10.9.0.2` (`c` → `10.9.0.2`, expects reachable with TTL 64): predicted reachable (TTL 63): through r; the reply crosses 1 router");
    expect(s).toContain("expects unreachable): predicted reachable (TTL 63)");
  });
});

describe("preview-summary's Reachability section on previews captured from real runs", () => {
  const summary = (name: string, ownFresh = false) => {
    const json = fixture(name);
    return summarize(fromPreview(json, "stdin"), { unchanged: unchangedIn(json), tail: reachabilitySection(fromPreview(json, "stdin"), { ownFresh }) });
  };

  it("examples/macvlan-router without its router: the eight cross-network pairs stop answering, because of what the plan deletes", () => {
    const s = summary("macvlan-router-removed");
    expect(s).toContain("#### Reachability\n\n> ⚠️ 8 pairs of 48 change: 8 stop answering, 0 start.\n");
    expect(s).toMatch(/^- `d1` → `172\.16\.20\.10`: reachable \(TTL 63\) → \*\*unreachable\*\*: host3 does not forward: net\.ipv4\.ip_forward is 0 \(a new namespace's default\) \(Sysctl host3-ip-forward deleted; /m);
    expect(s).not.toContain("`d1` → `172.16.10.11`"); // same network: no change
  });

  it("examples/docker0-nat with ns1's default route removed: ns1 loses the uplink and the outside", () => {
    const s = summary("docker0-nat-route-removed", true);
    expect(s).toContain("- `ns1` → `198.51.100.1`: reachable (TTL 63) → **unreachable**: ns1 has no route to 198.51.100.1 (Route ns1-default deleted)");
    expect(s.match(/^- `/gm)).toHaveLength(2);
    // Without --own-netns fresh, what passed through pulumi's own namespace was unknown before.
    expect(summary("docker0-nat-route-removed")).toContain("- `ns1` → `198.51.100.1`: unknown → **unreachable**: ns1 has no route to 198.51.100.1 (Route ns1-default deleted)");
  });
});

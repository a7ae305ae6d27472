import { claimOf, describeOwner, encodePart, markOf, MARK_MAX, observedOwner, ownerInMark, ownerOf, stillOurs, takeOverProblem } from "../../provider/core/owner";

describe("ownership marks", () => {
  it("names project, stack, kind and resource, each part encoded so the mark passes through ip -batch", () => {
    const owner = ownerOf("lab", "dev", "VethPair", "ns0 eth0/\"x\"#é");
    expect(owner).toBe("lab/dev/VethPair/ns0%20eth0%2F%22x%22%23%C3%A9");
    expect(markOf(owner, "end")).toBe("linuxnet:lab/dev/VethPair/ns0%20eth0%2F%22x%22%23%C3%A9:end");
    expect(markOf(owner)).not.toMatch(/[\s"'\\#]/);
    expect(encodePart("a-b_c.d~e")).toBe("a-b_c.d~e");
  });

  it("reads back as words naming the resource", () => {
    expect(describeOwner(ownerOf("lab", "dev", "Bridge", "docker 0"))).toBe('resource Bridge "docker 0" of stack "dev" (project "lab")');
    expect(ownerInMark("linuxnet:lab/dev/VethPair/x:peer")).toBe("lab/dev/VethPair/x");
    expect(ownerInMark("my own alias")).toBeUndefined();
  });

  it("fits the kernel's 255-byte alias limit, keeping distinct owners distinct, the same in every run and version", () => {
    const [a, b] = [ownerOf("p", "s", "Bridge", "x".repeat(300)), ownerOf("p", "s", "Bridge", "x".repeat(299) + "y")];
    expect(markOf(a).length).toBe(MARK_MAX);
    expect(markOf(a)).not.toBe(markOf(b));
    // A leftover is known by its mark: a long one is its first 238 characters and a hash of the whole, fixed here.
    expect(markOf(a)).toBe(`linuxnet:p/s/Bridge/${"x".repeat(218)}~5b755e7084c11425`);
  });

  it("tells this resource's own leftover from an unmarked object and from another owner's", () => {
    const owner = ownerOf("lab", "dev", "Bridge", "br0");
    expect(claimOf(markOf(owner), owner)).toEqual({ is: "ours" });
    expect(claimOf(undefined, owner)).toEqual({ is: "unmarked", alias: undefined });
    expect(claimOf("uplink to rack 3", owner)).toEqual({ is: "unmarked", alias: "uplink to rack 3" });
    expect(claimOf(markOf(ownerOf("lab", "prod", "Bridge", "br0")), owner)).toEqual({ is: "foreign", owner: "lab/prod/Bridge/br0" });
    expect(claimOf(markOf(owner, "end"), owner, "peer")).toEqual({ is: "foreign", owner });
  });

  it("takes over its own leftover always, an unmarked object only with adopt, another owner's never", () => {
    expect(takeOverProblem([{ is: "ours" }], false)).toBeUndefined();
    expect(takeOverProblem([{ is: "unmarked" }], false)).toBe(
      "it already exists and was not made by pulumi-linuxnet (it carries no ownership mark); set adopt: true to take it over",
    );
    expect(takeOverProblem([{ is: "unmarked", alias: "mine" }], false)).toMatch(/\(its alias is "mine"\); set adopt: true/);
    expect(takeOverProblem([{ is: "unmarked" }], true)).toBeUndefined();
    const foreign = takeOverProblem([{ is: "ours" }, { is: "foreign", owner: "lab/prod/Bridge/br0" }], true);
    expect(foreign).toMatch(/^it already exists and belongs to resource Bridge "br0" of stack "prod" \(project "lab"\); .*not even with adopt/);
  });

  it("lets read, update and delete act only on an object carrying the mark the state records", () => {
    const owner = ownerOf("lab", "dev", "Namespace", "n");
    expect(stillOurs(markOf(owner), owner)).toBe(true);
    expect(stillOurs(undefined, owner)).toBe(false); // made by hand after ours went, or its mark cleared: not touched
    expect(stillOurs("hand-set alias", owner)).toBe(false);
    expect(stillOurs(markOf(ownerOf("lab", "other", "Namespace", "n")), owner)).toBe(false);
    // state from before marks: an unmarked object is the one it made, a marked one is not
    expect(stillOurs(undefined, undefined)).toBe(true);
    expect(stillOurs(markOf(owner), undefined)).toBe(false);
  });

  it("reports the owner the mark names, so a cleared mark shows as drift", () => {
    const owner = ownerOf("lab", "dev", "Namespace", "n");
    expect(observedOwner(markOf(owner), owner)).toBe(owner);
    expect(observedOwner(undefined, owner)).toBeUndefined();
  });
});

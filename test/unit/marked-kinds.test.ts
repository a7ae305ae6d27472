/**
 * The marked kinds against the registry: every kind is declared with what it leaves in the
 * kernel (so `pulumi-linuxnet orphans` and the namespace guard list it), every marked kind is
 * made by some kind, removed in a known order, and removed through a kind's own delete.
 */
import { handlersFor } from "../../provider";
import { MARKED_BY_KIND, REMOVAL_ORDER, REMOVED_BY } from "../../provider/core/marked";
import { KINDS, type KindKey } from "../../provider/registry";

describe("the marked kinds", () => {
  it("name what every kind of the registry leaves in the kernel, and only a kind that makes nothing leaves nothing", () => {
    expect(Object.keys(MARKED_BY_KIND).sort()).toEqual(Object.keys(KINDS).sort());
    // Probe only sends packets. A new kind that makes nothing is added here, with that reason.
    expect(Object.entries(MARKED_BY_KIND).filter(([, made]) => made.length === 0).map(([k]) => k)).toEqual(["probe"]);
    expect(MARKED_BY_KIND.linkShaping).toEqual(["link shaping"]);
  });

  it("are each made by some kind, and removed in an order that has every one of them", () => {
    const made = new Set(Object.values(MARKED_BY_KIND).flat());
    expect([...REMOVAL_ORDER].sort()).toEqual([...made].sort());
    expect(new Set(REMOVAL_ORDER).size).toBe(REMOVAL_ORDER.length);
    // what lives on a link goes before the link, and everything in a namespace before the namespace
    expect(REMOVAL_ORDER.indexOf("link shaping")).toBeLessThan(REMOVAL_ORDER.indexOf("link"));
    expect(REMOVAL_ORDER.at(-1)).toBe("namespace");
  });

  it("are removed through the delete of a kind that makes them (a link through the link's own)", () => {
    for (const [marked, kind] of Object.entries(REMOVED_BY) as Array<[string, KindKey]>) {
      expect([marked, MARKED_BY_KIND[kind]]).toEqual([marked, expect.arrayContaining([marked])]);
      expect(typeof handlersFor(kind).delete).toBe("function");
    }
    expect(Object.keys(REMOVED_BY).sort()).toEqual(REMOVAL_ORDER.filter((k) => k !== "link").sort());
  });
});

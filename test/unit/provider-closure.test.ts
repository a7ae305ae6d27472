import * as pulumi from "@pulumi/pulumi";
import { providerFor } from "../../sdk/provider";

describe("the provider closure Pulumi stores in the state", () => {
  it("is one object per kind, so @pulumi/pulumi serializes it once per program run", () => {
    expect(providerFor("veth")).toBe(providerFor("veth"));
    expect(providerFor("veth")).not.toBe(providerFor("bridge"));
  });

  it("serializes to a small text that loads the implementation at call time and captures no zod or execa", async () => {
    const provider = providerFor("namespace"); // as pulumi.dynamic.Resource serializes it
    const { text } = await pulumi.runtime.serializeFunction(() => provider);
    expect(text).toContain('require("pulumi-linuxnet/dist/provider").dispatch(kind, method, args)');
    expect(text).toContain('kind: "namespace"');
    expect(text).not.toMatch(/zod|execa|safeParse/);
    expect(text.length).toBeLessThan(3000);
  });
});

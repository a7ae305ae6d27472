/**
 * A NamespaceFleet on a Bridge made without a namespace, at preview (Pulumi's mocks in dry-run
 * mode): the ports' namespace goes to the provider as known (none), never as the Bridge's
 * `netns` output, whose undefined value reads as unknown at preview — `netns` replaces a fleet,
 * so every no-op preview proposed to replace it (seen in the benchmark's program).
 */
import * as pulumi from "@pulumi/pulumi";

const seen: Record<string, unknown>[] = [];
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      if (args.type.endsWith(":NamespaceFleet")) seen.push(args.inputs);
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
  },
  "fleet-preview",
  "unit",
  true,
);
const sdk = require("../../sdk") as typeof import("../../sdk");

it("sends the ports' namespace as known: a Bridge's own plain namespace, or none", async () => {
  const root = new sdk.Bridge("br", { name: "br0" });
  new sdk.NamespaceFleet("a", { count: 2, namePrefix: "a", bridge: root });
  const inLab = new sdk.Bridge("br2", { name: "br1", netns: "lab" });
  new sdk.NamespaceFleet("b", { count: 2, namePrefix: "b", bridge: inLab });
  await new Promise((r) => setTimeout(r, 200)); // the mocks' registrations settle
  expect(seen.map((i) => [i.namePrefix, i.netns])).toEqual([
    ["a", undefined],
    ["b", "lab"],
  ]);
});

/**
 * Rollbacks that put back what a failed update took away, where it was: an iptables rule whose
 * new form the kernel refuses goes back to its old place in its chain, not to the chain's end.
 */
import { iptables } from "../../provider/kinds/iptables";
import { ownerOf } from "../../provider/core/owner";
import { checked, freshNamespace, nsExec as exec, removeNamespaces } from "../support/kernel";

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});


describe("IptablesRule update refused by the kernel", () => {
  it("puts the old rule back at the place it had in its chain, and fails with the kernel's words", async () => {
    const ns = await freshNamespace(made);
    await exec(ns, "iptables", "-A", "FORWARD", "-s", "10.9.0.1", "-j", "ACCEPT");
    await exec(ns, "iptables", "-A", "FORWARD", "-s", "10.9.0.3", "-j", "ACCEPT");
    const sources = async () => [...(await exec(ns, "iptables", "-S", "FORWARD")).matchAll(/^-A FORWARD -s (\S+)/gm)].map((m) => m[1]);
    const owner = ownerOf("lab", "dev", "IptablesRule", "mid");
    const inputs = await checked(iptables, { chain: "FORWARD", rule: ["-s", "10.9.0.2", "-j", "ACCEPT"], position: 2, netns: ns, owner });
    const c = await iptables.create(inputs);
    expect(await sources()).toEqual(["10.9.0.1/32", "10.9.0.2/32", "10.9.0.3/32"]);
    // The new rule's place is past the chain's end: the kernel refuses it after the old one went.
    const refused = await checked(iptables, { chain: "FORWARD", rule: ["-s", "10.9.0.4", "-j", "ACCEPT"], position: 9, netns: ns, owner });
    await expect(iptables.update(c.id, { ...inputs, ...c.outs }, refused)).rejects.toThrow(/^failed to update iptables rule .*Index of insertion too big[^;]*$/);
    expect(await sources()).toEqual(["10.9.0.1/32", "10.9.0.2/32", "10.9.0.3/32"]);
  });
});

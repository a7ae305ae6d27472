/**
 * A host's facts (hosts/host.ts fact()): an answer is kept, a failure to find it never is.
 * The finders here are plain functions: what is under test is what the host keeps of them.
 */
import { LocalHost } from "../../../provider/hosts/local";

describe("a host's fact", () => {
  it("is asked once while its answer stands, by callers at the same time too", async () => {
    const host = new LocalHost();
    let asked = 0;
    const find = async () => ++asked;
    expect(await Promise.all([host.fact("k", find), host.fact("k", find)])).toEqual([1, 1]);
    expect(await host.fact("k", find)).toBe(1);
    expect(asked).toBe(1);
  });

  it("is asked again after a failure: one failed look is not the host's answer", async () => {
    const host = new LocalHost();
    let asked = 0;
    const find = async () => {
      if (++asked === 1) throw new Error("ssh to root@h:22: it is unreachable");
      return "nf_tables";
    };
    await expect(host.fact("backend", find)).rejects.toThrow("it is unreachable");
    expect(await host.fact("backend", find)).toBe("nf_tables");
    expect(await host.fact("backend", find)).toBe("nf_tables");
    expect(asked).toBe(2);
  });
});

/**
 * LinkShaping on this machine's kernel, which has tbf but no netem: a rate alone round-trips
 * (create, read, update in place, drift by hand, delete back to the default qdisc), a root
 * qdisc the stack did not make is refused unless adopted, and netem fails in one line saying
 * the kernel lacks it, leaving the link as it was. netem itself is tested in the full-kernel tier.
 */
import { linkShaping } from "../../provider/kinds/link-shaping";
import { ownerOf } from "../../provider/core/owner";
import { readRecord, run } from "../support/local";
import { freshNamespace, removeNamespaces } from "../support/kernel";

const made = new Set<string>();
afterEach(async () => {
  await removeNamespaces(made);
  made.clear();
});

type Props = Record<string, unknown>;
const owner = (name: string, stack = "dev") => ownerOf("lab", stack, "LinkShaping", name);
const checked = async (props: Props): Promise<Props> => {
  const r = await linkShaping.check({}, props);
  expect(r.failures).toEqual([]);
  return r.inputs!;
};
const create = async (props: Props) => linkShaping.create(await checked(props));
const tc = async (ns: string, ...args: string[]) => (await run(["tc", "-n", ns, ...args])).stdout;
/** The root qdisc as `tc -j` has it. */
const root = async (ns: string, dev = "va") => (JSON.parse(await tc(ns, "-j", "-raw", "qdisc", "show", "dev", dev, "root")) as Array<{ kind: string; handle: string; options: Props }>)[0];

/** A namespace with a veth pair va—vb in it, both up. */
async function link(): Promise<string> {
  const ns = await freshNamespace(made, "sh");
  await run(["ip", "-n", ns, "link", "add", "va", "type", "veth", "peer", "name", "vb"]);
  await run(["ip", "-n", ns, "link", "set", "va", "up"]);
  await run(["ip", "-n", ns, "link", "set", "vb", "up"]);
  return ns;
}

describe("LinkShaping with tbf on the real kernel", () => {
  it("sets a rate as tbf 148:, reads it back, changes it in place, finds drift and a removal by hand, and deletes back to the default", async () => {
    const ns = await link();
    expect(await root(ns)).toMatchObject({ kind: "noqueue", handle: "0:" });
    const props = { dev: "va", netns: ns, rate: "10mbit", owner: owner("wan") };
    const c = await create(props);
    expect(c.id).toBe(`${ns}/va`);
    expect(c.outs).toMatchObject({ qdisc: "tbf", found: "noqueue 0:", rate: "10mbit" });
    expect(await root(ns)).toMatchObject({ kind: "tbf", handle: "148:", options: { rate: 1_250_000, burst: 12_500 } });
    const ifindex = c.outs.ifindex as number;
    expect(await readRecord({ netns: ns }, "qdisc", `va@${ifindex}`)).toMatchObject({ owner: owner("wan"), dev: "va", ifindex, found: "noqueue 0:" });
    expect((await linkShaping.read(c.id, c.outs)).inputs).toEqual(await checked(props));

    // in place: a new rate and a queue limit
    const news = await checked({ ...props, rate: "5mbit", limit: 50 });
    expect(await linkShaping.diff(c.id, c.outs, news)).toEqual({ replaces: [], deleteBeforeReplace: false });
    const u = await linkShaping.update(c.id, c.outs, news);
    expect(await root(ns)).toMatchObject({ kind: "tbf", handle: "148:", options: { rate: 625_000, limit: 50 * 1514 } });

    // drift: another rate set by hand is read back; a removal by hand reads as gone
    await tc(ns, "qdisc", "change", "dev", "va", "root", "handle", "148:", "tbf", "rate", "2mbit", "burst", "12500", "limit", "75700");
    expect((await linkShaping.read(c.id, u.outs)).inputs).toMatchObject({ rate: "2mbit", limit: 50 });
    await linkShaping.update(c.id, u.outs, news);
    expect((await root(ns)).options).toMatchObject({ rate: 625_000 });
    await tc(ns, "qdisc", "del", "dev", "va", "root");
    expect(await linkShaping.read(c.id, u.outs)).toEqual({ id: "", props: {} });

    // made again (as `up` does after refresh dropped it), then deleted: the default qdisc, no record
    const again = await linkShaping.create(news);
    await linkShaping.delete(again.id, again.outs);
    expect(await root(ns)).toMatchObject({ kind: "noqueue", handle: "0:" });
    expect(await readRecord({ netns: ns }, "qdisc", `va@${ifindex}`)).toBeUndefined();
    await expect(linkShaping.delete(again.id, again.outs)).resolves.toBeUndefined();
  });

  it("refuses a root qdisc made by hand unless adopted, and one of another stack always", async () => {
    const ns = await link();
    await tc(ns, "qdisc", "add", "dev", "va", "root", "handle", "1:", "htb", "default", "1");
    await expect(create({ dev: "va", netns: ns, rate: "1mbit", owner: owner("a") })).rejects.toThrow(
      `failed to create link shaping "va" in netns "${ns}": its root qdisc is htb 1:, not made by pulumi-linuxnet (a qdisc has no alias: the stack's carry handle 148: and a record on the host); set adopt: true to replace it`,
    );
    expect(await root(ns)).toMatchObject({ kind: "htb", handle: "1:" });
    const adopted = await create({ dev: "va", netns: ns, rate: "1mbit", owner: owner("a"), adopt: true });
    expect(adopted.outs).toMatchObject({ qdisc: "tbf", found: "htb 1:" });
    expect(await root(ns)).toMatchObject({ kind: "tbf", handle: "148:" });
    // the create retried after a crash converges on its own qdisc and keeps what it found
    expect((await create({ dev: "va", netns: ns, rate: "2mbit", owner: owner("a") })).outs).toMatchObject({ found: "htb 1:" });
    await expect(create({ dev: "va", netns: ns, rate: "1mbit", owner: owner("a", "prod"), adopt: true })).rejects.toThrow(
      `failed to create link shaping "va" in netns "${ns}": its root qdisc tbf 148: belongs to resource LinkShaping "a" of stack "dev" (project "lab"); an interface has one root qdisc: remove that shaping from its stack first`,
    );
    // another stack's delete leaves ours alone; ours leaves the kernel's default (not the adopted htb)
    await linkShaping.delete(adopted.id, { ...adopted.outs, owner: owner("a", "prod") });
    expect(await root(ns)).toMatchObject({ kind: "tbf", handle: "148:" });
    await linkShaping.delete(adopted.id, adopted.outs);
    expect(await root(ns)).toMatchObject({ kind: "noqueue", handle: "0:" });
  });

  it("fails netem in one line saying the kernel lacks it, leaving the link as it was; a missing interface is named", async () => {
    const ns = await link();
    const err = await create({ dev: "va", netns: ns, delay: "50ms", loss: 1, owner: owner("wan") }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      new RegExp(`^failed to create link shaping "va" in netns "${ns}": \`tc -n ${ns} qdisc replace dev va root handle 148: netem .*\`: Specified qdisc kind is unknown\\. \\(the kernel has no netem qdisc \\(CONFIG_NET_SCH_NETEM\\): load the sch_netem module; delay, jitter, loss, duplicate, corrupt and reorder need it, a rate alone uses tbf\\)$`),
    );
    expect(await root(ns)).toMatchObject({ kind: "noqueue", handle: "0:" });
    const ifindex = JSON.parse((await run(["ip", "-n", ns, "-j", "link", "show", "dev", "va"])).stdout)[0].ifindex;
    expect(await readRecord({ netns: ns }, "qdisc", `va@${ifindex}`)).toBeUndefined();
    // a tbf changed to netem fails the same way and keeps the tbf
    const c = await create({ dev: "va", netns: ns, rate: "1mbit", owner: owner("wan") });
    await expect(linkShaping.update(c.id, c.outs, await checked({ dev: "va", netns: ns, rate: "1mbit", delay: "5ms", owner: owner("wan") }))).rejects.toThrow(/Specified qdisc kind is unknown\. \(the kernel has no netem qdisc/);
    expect(await root(ns)).toMatchObject({ kind: "tbf", handle: "148:", options: { rate: 125_000 } });
    await expect(create({ dev: "vz", netns: ns, rate: "1mbit" })).rejects.toThrow(`failed to create link shaping "vz" in netns "${ns}": the interface "vz" does not exist in netns "${ns}"`);
  });
});

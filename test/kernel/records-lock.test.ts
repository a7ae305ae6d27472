/**
 * The records' lock (hosts/records.ts): a change of a record is one step under a lock held
 * across processes on that host, here and over SSH; a lock whose holder was killed with
 * SIGKILL does not wedge the next step; a step that fails puts its record back, and its undo
 * (a transaction's onFailure) touches only what it wrote. Two Host objects stand for two
 * provider processes where the race must be made certain (each has its own lock shell, so its
 * own open file, as another process would); the SIGKILL tests use a real second process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { hostFor, type Host, local } from "../../provider/hosts";
import { LocalHost } from "../../provider/hosts/local";
import { SshHost } from "../../provider/hosts/ssh-host";
import { transaction } from "../../provider/core/undo";
import { closeHosts, run } from "../support/local";
import { freshNamespace, removeNamespaces } from "../support/kernel";
import { SshHosts, type TestHost } from "../support/ssh-hosts";

jest.setTimeout(120_000);

const made = new Set<string>();
afterEach(async () => {
  for (const ns of made) await local.removeRecords({ netns: ns });
  await removeNamespaces(made);
  made.clear();
});

type Owners = { owners: string[] };

/** `work`, or "pending" if it has not settled within `ms` (a bound, not a sleep: it returns as soon as work settles). */
async function within<T>(work: Promise<T>, ms: number): Promise<T | "pending"> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<"pending">((r) => (timer = setTimeout(() => r("pending"), ms)));
  try {
    return await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Two hosts each add themselves to one record at once. Each step, once it has read the record,
 * waits (bounded) until the other has read it too: without a lock both read the same record and
 * one owner is lost; with it the second reads only after the first has written.
 */
async function raceOwners(a: Host, b: Host, netns: string): Promise<string[]> {
  const target = { netns };
  let reads = 0;
  let bothRead = () => undefined as void;
  const both = new Promise<void>((r) => (bothRead = r));
  const join = (host: Host, me: string) =>
    host.records.change<Owners>(target, "lock-test", "owners", async (r) => {
      if (++reads >= 2) bothRead();
      await within(both, 1500);
      return { record: { owners: [...(r?.owners ?? []), me] } };
    });
  await Promise.all([join(a, "a"), join(b, "b")]);
  return ((await a.readRecord<Owners>(target, "lock-test", "owners"))?.owners ?? []).sort();
}

/** A process that takes the host's records lock and holds it until killed; resolves once it holds it. */
async function holder(connection: object | undefined): Promise<ChildProcess> {
  const hosts = join(__dirname, "../../provider/hosts");
  const script = `const h = require(${JSON.stringify(hosts)}).hostFor(${JSON.stringify(connection)}); h.records.locked(() => { process.stdout.write("held\\n"); return new Promise(() => setInterval(() => undefined, 1000)); });`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("held") && resolve());
    child.once("exit", (code) => reject(new Error(`the lock holder exited (${code}): ${err}`)));
  });
  return child;
}

/** While a killed-to-be process holds the lock a step waits; once it is SIGKILLed the step goes through. */
async function survivesKilledHolder(host: Host, connection: object | undefined, netns: string): Promise<void> {
  const child = await holder(connection);
  try {
    const step = host.records.change({ netns }, "lock-test", "after-kill", () => ({ record: { done: true } }));
    step.catch(() => undefined);
    expect(await within(step, 1000)).toBe("pending"); // held by the other process
    child.kill("SIGKILL");
    expect(await within(step, 20_000)).toBeUndefined(); // not wedged: the kernel dropped the lock with its shell
  } finally {
    child.kill("SIGKILL");
  }
  expect(await host.readRecord({ netns }, "lock-test", "after-kill")).toEqual({ done: true });
}

describe("the records lock on this machine", () => {
  it("keeps both owners when two processes add themselves to one record at once", async () => {
    const ns = await freshNamespace(made);
    const other = new LocalHost();
    try {
      expect(await raceOwners(local, other, ns)).toEqual(["a", "b"]);
    } finally {
      other.records.close();
      other.close();
    }
  });

  it("is not wedged by a provider process killed with SIGKILL while it held the lock", async () => {
    const ns = await freshNamespace(made);
    await survivesKilledHolder(local, undefined, ns);
  });

  it("fails a change that meets a corrupt record, naming the file, before its step runs", async () => {
    const ns = await freshNamespace(made);
    await local.writeRecord({ netns: ns }, "lock-test", "k", { owners: ["a"] });
    const path = (await run(["find", "/run/pulumi-linuxnet", "-path", "*/lock-test/k", "-type", "f"])).stdout.trim();
    await run(["sh", "-c", 'printf "{\\"owners\\": [" > "$1"', "sh", path]);
    let ran = false;
    const step = local.records.change<Owners>({ netns: ns }, "lock-test", "k", () => ((ran = true), { record: { owners: [] } }));
    await expect(step).rejects.toThrow(new RegExp(`^the record ${path} is corrupt`));
    expect(ran).toBe(false);
  });

  it("puts a record saved by a step back when the step fails, and undoes a step only where the record is still what it wrote", async () => {
    const ns = await freshNamespace(made);
    const target = { netns: ns };
    await local.writeRecord(target, "lock-test", "k", { owners: ["a"] });
    const failing = local.records.change<Owners>(target, "lock-test", "k", async (_r, save) => {
      await save({ owners: ["a", "b"] });
      throw new Error("the kernel said no");
    });
    await expect(failing).rejects.toThrow("the kernel said no");
    expect(await local.readRecord(target, "lock-test", "k")).toEqual({ owners: ["a"] });

    // undone with the transaction it belongs to
    await expect(
      transaction(async (onFailure) => {
        await local.records.change<Owners>(target, "lock-test", "k", (r) => ({ record: { owners: [...r!.owners, "b"] } }), { onFailure });
        throw new Error("a later step failed");
      }),
    ).rejects.toThrow("a later step failed");
    expect(await local.readRecord(target, "lock-test", "k")).toEqual({ owners: ["a"] });

    // a record another step changed since is left to it
    await expect(
      transaction(async (onFailure) => {
        await local.records.change<Owners>(target, "lock-test", "k", () => ({ record: { owners: ["a", "b"] } }), { onFailure });
        await local.writeRecord(target, "lock-test", "k", { owners: ["a", "b", "c"] });
        throw new Error("a later step failed");
      }),
    ).rejects.toThrow("a later step failed");
    expect(await local.readRecord(target, "lock-test", "k")).toEqual({ owners: ["a", "b", "c"] });
  });
});

describe("the records lock on an SSH host", () => {
  const hosts = new SshHosts(81);
  let h: TestHost;
  beforeAll(async () => {
    [h] = await hosts.start(1, "lockh");
  });
  afterAll(async () => {
    closeHosts();
    await hosts.stop();
  });

  it("keeps both owners when two connections add themselves to one record at once, and is not wedged by a killed holder", async () => {
    await hosts.on(h, "ip", "netns", "add", "lock1");
    const connection = { ...h.connection, insecureIgnoreHostKey: false };
    const host = hostFor(connection);
    const other = new SshHost(connection);
    try {
      // Each connects first, one after the other: two masters of one connection starting at once is not what is tested here.
      for (const on of [host, other]) expect(await on.readRecord({ netns: "lock1" }, "lock-test", "owners")).toBeUndefined();
      expect(await raceOwners(host, other, "lock1")).toEqual(["a", "b"]);
      await survivesKilledHolder(host, connection, "lock1");
    } finally {
      other.records.close();
      other.close();
    }
  });
});

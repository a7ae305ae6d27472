/**
 * A TCP probe on a host without nc: preview and create refuse it in one line. A file of its own:
 * the provider asks a host once whether it has nc, and jest gives each file its own host object.
 * The host here is this machine with a PATH that holds ip and ping but no nc.
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probe } from "../../provider/kinds/probe";

const bin = mkdtempSync(join(tmpdir(), "linuxnet-nonc-"));
const path = process.env.PATH;
beforeAll(() => {
  symlinkSync("/usr/sbin/ip", join(bin, "ip"));
  symlinkSync("/usr/bin/ping", join(bin, "ping"));
  process.env.PATH = bin;
});
afterAll(() => {
  process.env.PATH = path;
  rmSync(bin, { recursive: true, force: true });
});

const NO_NC = "a TCP probe needs nc with -z and -w (Debian's netcat-openbsd) on the host, and there is none; install it there, or leave port out to probe with ICMP";

describe("a TCP probe where the host has no nc", () => {
  it("is refused at preview, on its port, and at create, in one line; an ICMP probe still runs", async () => {
    expect(await probe.check({}, { to: "127.0.0.1", port: 8080 })).toEqual({ failures: [{ property: "port", reason: `invalid port 8080 (${NO_NC})` }] });
    const inputs = (await probe.check({}, { to: "127.0.0.1" })).inputs!;
    await expect(probe.create({ ...inputs, port: 8080 })).rejects.toThrow(`failed to run probe "(pulumi's netns) → 127.0.0.1 port 8080": ${NO_NC}`);
    expect((await probe.create(inputs)).outs).toMatchObject({ holds: true, seen: { via: "icmp", reachable: true } });
  });
});

/**
 * A connection's paths (provider/core/validate.ts): `knownHosts` and `agentSocket` fail at
 * check, naming the field, the value and the rule, when ssh could not use them as given.
 */
import { createServer, type Server } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkWith } from "../../../provider/core/validate";
import { schema } from "../../../provider/kinds/namespace";

const dir = mkdtempSync(join(tmpdir(), "linuxnet-conn-"));
const known = join(dir, "known_hosts");
const socket = join(dir, "agent.sock");
let agent: Server;
beforeAll(async () => {
  writeFileSync(known, "10.0.0.1 ssh-ed25519 AAAAC3Nza\n");
  agent = createServer();
  await new Promise<void>((r) => agent.listen(socket, r));
});
afterAll(async () => {
  await new Promise((r) => agent.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const check = (connection: Record<string, unknown>) => checkWith(schema, { name: "c1", connection: { host: "10.0.0.1", ...connection } });

describe("a connection's knownHosts and agentSocket", () => {
  it("takes an existing known_hosts file and agent socket, and defaults sshConfig to false", () => {
    const c = check({ knownHosts: known, agentSocket: socket });
    expect(c.failures).toEqual([]);
    expect(c.inputs?.connection).toMatchObject({ knownHosts: known, agentSocket: socket, sshConfig: false });
  });

  const rule = (field: string, what: string) => `(must be the absolute path of ${what} on the machine running pulumi, without whitespace or %)`;
  it.each([
    ["knownHosts", "~/.ssh/known_hosts", rule("connection.knownHosts", "a known_hosts file")],
    ["knownHosts", "known_hosts", rule("connection.knownHosts", "a known_hosts file")],
    ["knownHosts", "/tmp/a b", rule("connection.knownHosts", "a known_hosts file")],
    ["knownHosts", "/home/%u/known", rule("connection.knownHosts", "a known_hosts file")],
    ["knownHosts", "/nonexistent/linuxnet/known_hosts", "(must be a known_hosts file that exists on the machine running pulumi: there is no such file)"],
    ["agentSocket", "agent.sock", rule("connection.agentSocket", "an ssh-agent socket")],
    ["agentSocket", "/nonexistent/linuxnet/agent", "(must be an ssh-agent socket that exists on the machine running pulumi: there is no such file)"],
  ])("refuses %s %j at check, naming field, value and rule", (field, value, why) => {
    expect(check({ [field]: value }).failures).toEqual([{ property: `connection.${field}`, reason: `invalid connection.${field} ${JSON.stringify(value)} ${why}` }]);
  });

  it("refuses a folder for known_hosts and a plain file for the agent's socket", () => {
    expect(check({ knownHosts: dir }).failures).toEqual([{ property: "connection.knownHosts", reason: `invalid connection.knownHosts ${JSON.stringify(dir)} (must be a known_hosts file: that is not one)` }]);
    expect(check({ agentSocket: known }).failures).toEqual([{ property: "connection.agentSocket", reason: `invalid connection.agentSocket ${JSON.stringify(known)} (must be an ssh-agent socket: that is not one)` }]);
  });

  it("refuses a non-boolean sshConfig", () => {
    expect(check({ sshConfig: "yes" }).failures).toEqual([{ property: "connection.sshConfig", reason: "invalid connection.sshConfig (must be true or false)" }]);
  });
});

/**
 * A private key given as a plain string (not pulumi.secret) is still kept secret in the
 * state: test/programs/ssh-key through the real CLI against one SSH test host.
 */
import { join } from "node:path";
import { SshHosts, type TestHost } from "../support/ssh-hosts";
import { PulumiStack, testProgramDir } from "../support/pulumi";

jest.setTimeout(300_000);

describe("a private key given as a plain string", () => {
  const hosts = new SshHosts(81);
  const stack = new PulumiStack(testProgramDir("ssh-key"));
  let h: TestHost;

  beforeAll(async () => {
    [h] = await hosts.start(1, "sshk");
    await stack.init({ address: h.address, hostKey: h.connection.hostKey, keyFile: join(hosts.dir, "id") });
  });
  afterAll(async () => {
    await stack.dispose();
    await hosts.stop();
  });

  it("is a secret in the state, inputs and outputs alike, and the resource is made with it", async () => {
    await stack.up();
    expect((await hosts.on(h, "ip", "netns", "list")).trim()).toMatch(/^k1/);
    const exported = (await stack.cli(["stack", "export"])).stdout;
    const body = h.connection.privateKey.split("\n")[1]; // a line of the key's base64
    expect(body.length).toBeGreaterThan(20);
    expect(exported).toContain("pulumi-nodejs:dynamic/linuxnet:Namespace"); // the export holds the resource
    expect(exported).not.toContain("PRIVATE KEY");
    expect(exported).not.toContain(body);
    // and it still works as a key: a refresh reaches the host with it
    expect((await stack.cli(["refresh", "--yes", "--skip-preview"])).code).toBe(0);
  });
});

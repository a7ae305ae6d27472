import { remoteCommand, shellQuote, sshArgv, sshProblem } from "../../../provider/hosts/ssh";
import { execFileSync } from "node:child_process";

const conn = { host: "10.0.0.1", port: 22, user: "root", insecureIgnoreHostKey: false };

describe("argv quoted for the remote shell", () => {
  it.each([
    ["eth0"],
    ["a b"],
    ["it's"],
    ["$(reboot)"],
    ["`id`"],
    ["; rm -rf /"],
    ["x\ny"],
    ["*"],
    ["-n"],
    [""],
    ["'\"\\"],
    ["a&&b||c"],
    ["${HOME}"],
  ])("passes %j through a real shell as exactly one argument, untouched", (token) => {
    // What the remote sshd does with the command line: hands it to `sh -c`.
    const seen = execFileSync("sh", ["-c", `printf '%s\\0' ${shellQuote(token)}`]).toString();
    expect(seen).toBe(`${token}\0`);
  });

  it("keeps plain tokens bare and joins an argv with spaces", () => {
    expect(remoteCommand(["ip", "-n", "c1", "link", "set", "dev", "eth0", "alias", "linuxnet:lab/dev/VethPair/a%20b:end"])).toBe(
      "ip -n c1 link set dev eth0 alias linuxnet:lab/dev/VethPair/a%20b:end",
    );
    expect(remoteCommand(["sysctl", "-w", "kernel.x=a b"])).toBe("sysctl -w 'kernel.x=a b'");
  });
});

describe("ssh's argv", () => {
  it("runs in batch mode over one master connection per host, checking the host key, the key never on the command line", () => {
    const { argv } = sshArgv({ ...conn, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----", hostKey: "ssh-ed25519 AAAAC3Nza" }, ["ip", "link", "show"]);
    expect(argv.slice(0, 1)).toEqual(["ssh"]);
    expect(argv).toEqual(expect.arrayContaining(["BatchMode=yes", "ControlMaster=auto", "StrictHostKeyChecking=yes", "root@10.0.0.1", "--"]));
    expect(argv.join(" ")).not.toContain("secret");
    expect(argv.at(-1)).toBe("ip link show");
  });

  it("runs with only the connection's settings (-F none), and reads the operator's ssh config only when asked", () => {
    const { argv } = sshArgv(conn, ["true"]);
    expect(argv.slice(0, 3)).toEqual(["ssh", "-F", "none"]);
    expect(sshArgv({ ...conn, sshConfig: true }, ["true"]).argv).not.toContain("-F");
  });

  it("checks the host key against the user's known_hosts unless told otherwise, and skips the check only when asked", () => {
    expect(sshArgv(conn, ["true"]).argv).toEqual(expect.arrayContaining(["StrictHostKeyChecking=yes"]));
    expect(sshArgv({ ...conn, insecureIgnoreHostKey: true }, ["true"]).argv).toEqual(expect.arrayContaining(["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"]));
  });
});

describe("what ssh said", () => {
  it.each([
    [255, "ssh: connect to host 10.0.0.9 port 22: Connection refused", "it is unreachable"],
    [255, "root@10.0.0.1: Permission denied (publickey).", "authentication refused (check connection.user and connection.privateKey)"],
    [255, "Host key verification failed.", "its host key does not match the one given (connection.hostKey or connection.knownHosts)"],
    [255, "ssh: Could not resolve hostname nohost: Name or service not known", "its name does not resolve"],
  ])("exit %d, %j: %s", (code, stderr, problem) => {
    expect(sshProblem(code, stderr)).toBe(problem);
  });

  it("leaves the remote command's own failure to the usual wording", () => {
    expect(sshProblem(2, "RTNETLINK answers: File exists")).toBeUndefined();
    // a tool missing there is the remote command's failure too (errors.ts missingTool words it)
    expect(sshProblem(127, "sh: 1: ip: not found")).toBeUndefined();
  });
});

describe("the key file ssh reads", () => {
  it("is never seen part-written by an ssh that starts while the key is handed out again", async () => {
    const privateKey = `-----BEGIN OPENSSH PRIVATE KEY-----\n${"k".repeat(4000)}\n-----END OPENSSH PRIVATE KEY-----`;
    const c = { ...conn, host: "10.0.0.9", privateKey, hostKey: "ssh-ed25519 AAAAC3Nza" };
    const argv = sshArgv(c, ["true"]).argv;
    const file = argv[argv.indexOf("-i") + 1];
    const size = String(Buffer.byteLength(`${privateKey}\n`));
    // A reader as fast as a shell loop can be, counting every size it sees, while the key is
    // handed out (each new ssh's argv) a thousand times.
    const { spawn } = await import("node:child_process");
    const reader = spawn("sh", ["-c", 'while :; do wc -c < "$1"; done', "sh", file], { stdio: ["ignore", "pipe", "ignore"] });
    let seen = "";
    reader.stdout.on("data", (d: Buffer) => (seen += d.toString()));
    try {
      for (let k = 0; k < 1000; k++) {
        sshArgv(c, ["true"]);
        if (k % 50 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      reader.kill("SIGKILL");
    }
    const sizes = seen.split("\n").filter(Boolean);
    expect(sizes.length).toBeGreaterThan(10);
    expect([...new Set(sizes)]).toEqual([size]);
  });
});

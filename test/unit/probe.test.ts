import { checkWith } from "../../provider/core/validate";
import { answerOf, type Expectation, failureLine, holds, ncFailure, parsePing, pingAnswer, pingSocketProblem, type Seen, seenFromPing } from "../../provider/core/probe-answer";
import { argv, probe, schema } from "../../provider/kinds/probe";

const AT = "2026-01-01T00:00:00.000Z";

// Outputs as iputils 20221126 prints them (LC_ALL=C), captured in the test sandbox.
const THROUGH_ROUTER = `PING 10.0.2.2 (10.0.2.2) 56(84) bytes of data.
64 bytes from 10.0.2.2: icmp_seq=1 ttl=63 time=0.376 ms
64 bytes from 10.0.2.2: icmp_seq=2 ttl=63 time=0.058 ms

--- 10.0.2.2 ping statistics ---
2 packets transmitted, 2 received, 0% packet loss, time 210ms
rtt min/avg/max/mdev = 0.058/0.217/0.376/0.159 ms`;

const NO_REPLY = `PING 10.0.1.77 (10.0.1.77) 56(84) bytes of data.

--- 10.0.1.77 ping statistics ---
10 packets transmitted, 0 received, 100% packet loss, time 1870ms
`;

const HOST_UNREACHABLE = `PING 10.0.1.9 (10.0.1.9) 56(84) bytes of data.
From 10.0.1.2 icmp_seq=1 Destination Host Unreachable
From 10.0.1.2 icmp_seq=2 Destination Host Unreachable

--- 10.0.1.9 ping statistics ---
2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 524ms
pipe 2`;

const IPV6 = `PING fd00:1::1(fd00:1::1) 56 data bytes
64 bytes from fd00:1::1: icmp_seq=1 ttl=64 time=0.086 ms
64 bytes from fd00:1::1: icmp_seq=2 ttl=64 time=0.046 ms

--- fd00:1::1 ping statistics ---
2 packets transmitted, 2 received, 0% packet loss, time 208ms
rtt min/avg/max/mdev = 0.046/0.066/0.086/0.020 ms`;

const BUSYBOX = `PING 10.0.0.1 (10.0.0.1): 56 data bytes
64 bytes from 10.0.0.1: seq=0 ttl=64 time=0.101 ms

--- 10.0.0.1 ping statistics ---
1 packets transmitted, 1 packets received, 0% packet loss
round-trip min/avg/max = 0.101/0.101/0.101 ms`;

const reachable = (over: Partial<Expectation> = {}): Expectation => ({ expect: "reachable", timeout: 3, ...over });

describe("reading ping's output", () => {
  it("reads each reply's TTL and time, and the summary's counts and average round trip", () => {
    expect(parsePing(THROUGH_ROUTER)).toEqual({
      transmitted: 2,
      received: 2,
      replies: [
        { from: "10.0.2.2", ttl: 63, timeMs: 0.376 },
        { from: "10.0.2.2", ttl: 63, timeMs: 0.058 },
      ],
      icmpErrors: [],
      rttAvgMs: 0.217,
    });
  });

  it("reads 0 received as no reply, with the ICMP errors that came back instead", () => {
    expect(parsePing(NO_REPLY)).toEqual({ transmitted: 10, received: 0, replies: [], icmpErrors: [] });
    expect(parsePing(HOST_UNREACHABLE)).toMatchObject({ transmitted: 2, received: 0, icmpErrors: ["From 10.0.1.2: Destination Host Unreachable", "From 10.0.1.2: Destination Host Unreachable"] });
  });

  it("reads IPv6 replies (the address has colons before ': icmp_seq') and busybox's wording", () => {
    expect(parsePing(IPV6).replies).toEqual([
      { from: "fd00:1::1", ttl: 64, timeMs: 0.086 },
      { from: "fd00:1::1", ttl: 64, timeMs: 0.046 },
    ]);
    expect(parsePing(IPV6).rttAvgMs).toBe(0.066);
    expect(parsePing(BUSYBOX)).toMatchObject({ transmitted: 1, received: 1, replies: [{ from: "10.0.0.1", ttl: 64, timeMs: 0.101 }], rttAvgMs: 0.101 });
  });

  it("counts the reply lines when ping printed no summary", () => {
    expect(parsePing("64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.1 ms\n").received).toBe(1);
  });

  it("turns a run into what was seen: TTL of the last reply, average round trip, or why nothing came back", () => {
    expect(seenFromPing(parsePing(THROUGH_ROUTER), "", AT)).toEqual({ via: "icmp", reachable: true, ttl: 63, rttMs: 0.217, sent: 2, received: 2, at: AT });
    expect(seenFromPing(parsePing(NO_REPLY), "", AT)).toEqual({ via: "icmp", reachable: false, sent: 10, received: 0, at: AT });
    expect(seenFromPing(parsePing(HOST_UNREACHABLE), "", AT).error).toBe("From 10.0.1.2: Destination Host Unreachable");
    expect(seenFromPing(parsePing(""), "ping: connect: Network is unreachable", AT)).toMatchObject({ reachable: false, error: "connect: Network is unreachable" });
  });

  // ping exited 1 or 2, as captured in a sandbox namespace (iputils 20221126, busybox 1.35.0).
  it("counts the kernel refusing to send as the network's answer", () => {
    expect(pingAnswer("", "ping: connect: Network is unreachable", AT)).toEqual({ via: "icmp", reachable: false, sent: 0, received: 0, error: "connect: Network is unreachable", at: AT });
    expect(pingAnswer("", "connect: Network is unreachable", AT)?.error).toBe("connect: Network is unreachable"); // older iputils
    expect(pingAnswer("PING 10.9.9.9 (10.9.9.9): 56 data bytes", "ping: sendto: Network is unreachable", AT)?.error).toBe("sendto: Network is unreachable"); // busybox
    expect(pingAnswer("PING 127.0.0.1 (127.0.0.1): 56 data bytes", "ping: sendto: Operation not permitted", AT)?.error).toBe("sendto: Operation not permitted"); // busybox, OUTPUT DROP
    expect(pingAnswer("", "ping: sendmsg: Operation not permitted", AT)?.error).toBe("sendmsg: Operation not permitted");
    expect(pingAnswer(NO_REPLY, "", AT)).toMatchObject({ reachable: false, sent: 10, received: 0 }); // sent, nothing came back
    expect(pingAnswer(HOST_UNREACHABLE, "", AT)?.error).toBe("From 10.0.1.2: Destination Host Unreachable");
  });

  it("never counts a socket ping could not open as an answer: it sent nothing", () => {
    const iputils = "ping: socktype: SOCK_RAW\nping: socket: Operation not permitted"; // exit 2
    const busybox = "ping: permission denied (are you root?)"; // exit 1, after its "PING …" line
    expect(pingAnswer("", iputils, AT)).toBeUndefined();
    expect(pingAnswer("PING 127.0.0.1 (127.0.0.1): 56 data bytes", busybox, AT)).toBeUndefined();
    expect(pingAnswer("", "ping: icmp open socket: Operation not permitted", AT)).toBeUndefined(); // older iputils
    expect(pingAnswer("", "ping: bad address 'x'", AT)).toBeUndefined();
    expect(pingSocketProblem(iputils)).toBe(
      "ping could not open its ICMP socket (socket: Operation not permitted), so it sent nothing: it needs CAP_NET_RAW, or its group in net.ipv4.ping_group_range of the namespace",
    );
    expect(pingSocketProblem(busybox)).toMatch(/^ping could not open its ICMP socket \(permission denied \(are you root\?\)\)/);
    expect(pingSocketProblem("ping: connect: Network is unreachable")).toBeUndefined();
  });

  it("reads nc's reason for a failed connect", () => {
    expect(ncFailure("nc: connect to 10.0.1.3 port 8081 (tcp) failed: Connection refused")).toBe("Connection refused");
    expect(ncFailure("nc: connect to 10.0.1.9 port 8081 (tcp) timed out: Operation now in progress")).toBe("connect timed out");
  });
});

describe("whether a probe holds, and the line it fails with", () => {
  const seen = seenFromPing(parsePing(THROUGH_ROUTER), "", AT);
  const none = seenFromPing(parsePing(NO_REPLY), "", AT);

  it("holds for the expected answer, TTL and round-trip bound, and not otherwise", () => {
    expect(holds(reachable({ ttl: 63 }), seen)).toBe(true);
    expect(holds(reachable({ ttl: 64 }), seen)).toBe(false);
    expect(holds(reachable({ maxRtt: 1 }), seen)).toBe(true);
    expect(holds(reachable({ maxRtt: 0.1 }), seen)).toBe(false);
    expect(holds(reachable(), none)).toBe(false);
    expect(holds({ expect: "unreachable", timeout: 2 }, none)).toBe(true);
    expect(holds({ expect: "unreachable", timeout: 2 }, seen)).toBe(false);
    // A probe that could not look at all holds nothing, whatever it expected.
    expect(holds({ expect: "unreachable", timeout: 2 }, { via: "icmp", reachable: false, couldNotRun: 'netns "d1" does not exist', at: AT })).toBe(false);
  });

  it("fails with one line naming from, to, what was expected and what was seen", () => {
    expect(failureLine("d1", "172.16.20.2", reachable({ ttl: 63 }), none)).toBe("probe d1 → 172.16.20.2: expected reachable with TTL 63, got no reply in 3 s");
    expect(failureLine("d1", "172.16.20.2", reachable({ ttl: 64 }), seen)).toBe("probe d1 → 172.16.20.2: expected reachable with TTL 64, got 2 replies with TTL 63 in 0.217 ms");
    expect(failureLine("d1", "172.16.20.2", { expect: "unreachable", timeout: 2 }, { ...seen, received: 1, rttMs: 0.05 })).toBe(
      "probe d1 → 172.16.20.2: expected unreachable, got a reply with TTL 63 in 0.05 ms",
    );
    const refused: Seen = { via: "icmp", reachable: false, sent: 0, received: 0, error: "connect: Network is unreachable", at: AT };
    expect(failureLine("c1 on root@10.0.0.5:22", "10.9.0.1", reachable({ maxRtt: 5 }), refused)).toBe(
      "probe c1 on root@10.0.0.5:22 → 10.9.0.1: expected reachable within 5 ms, got no reply in 3 s (connect: Network is unreachable)",
    );
    expect(failureLine("c1", "10.0.0.2 port 80", reachable({ port: 80 }), { via: "tcp", reachable: false, error: "Connection refused", at: AT })).toBe(
      "probe c1 → 10.0.0.2 port 80: expected reachable, got no connection in 3 s (Connection refused)",
    );
    for (const line of [failureLine("d1", "x", reachable(), none), failureLine("d1", "x", reachable(), seen)]) expect(line).not.toContain("\n");
  });

  it("compares answers, not round trips or times: a refresh seeing the same answer is no drift", () => {
    const e = reachable({ ttl: 63 });
    expect(answerOf(e, seen)).toBe(answerOf(e, { ...seen, rttMs: 9.9, at: "later" }));
    expect(answerOf(e, seen)).not.toBe(answerOf(e, { ...seen, ttl: 64 }));
    expect(answerOf(e, seen)).not.toBe(answerOf(e, none));
  });
});

describe("Probe inputs", () => {
  const check = (v: Record<string, unknown>) => checkWith(schema, v);

  it("takes an address, or a link's address with its prefix, normalized; defaults: reachable, 1 reply, 3 s", () => {
    expect(check({ to: "172.16.20.2", netns: "d1" }).inputs).toMatchObject({ to: "172.16.20.2", netns: "d1", expect: "reachable", count: 1, timeout: 3 });
    expect(check({ to: "192.168.0.101/24" }).inputs?.to).toBe("192.168.0.101");
    expect(check({ to: "FD00:0:0::0001/64" }).inputs?.to).toBe("fd00::1");
    expect(check({ to: "fe80::1%eth0" }).inputs?.to).toBe("fe80::1%eth0");
  });

  it.each([
    [{ to: "example.com" }, "to", 'invalid to "example.com" (must be an IPv4 or IPv6 address like 172.16.10.2 or fd00::2'],
    [{ to: "10.0.0.1/33" }, "to", 'invalid to "10.0.0.1/33" (must be an IPv4 or IPv6 address'],
    [{ to: "010.0.0.1" }, "to", 'invalid to "010.0.0.1" (must be an IPv4 or IPv6 address'],
    [{ to: "224.0.0.1" }, "to", 'invalid to "224.0.0.1" (must not be a multicast address (a group, not a host))'],
    [{ to: "0.0.0.0" }, "to", 'invalid to "0.0.0.0" (must not be the unspecified address (it names no host))'],
    [{ to: "255.255.255.255" }, "to", 'invalid to "255.255.255.255" (must not be the limited broadcast address (not a host))'],
    [{ to: "::ffff:10.0.0.1" }, "to", 'invalid to "::ffff:10.0.0.1" (must not be an IPv4 address inside IPv6'],
    [{ to: "fd00::1%eth0" }, "to", 'invalid to "fd00::1%eth0" (may name an interface (%NAME) only after an IPv6 link-local address)'],
    [{ to: "10.0.0.1", expect: "maybe" }, "expect", 'invalid expect "maybe" (must be "reachable" or "unreachable")'],
    [{ to: "10.0.0.1", port: 70000 }, "port", "invalid port 70000 (must be a whole number from 1 to 65535)"],
    [{ to: "10.0.0.1", ttl: 0 }, "ttl", "invalid ttl 0 (must be a whole number from 1 to 255)"],
    [{ to: "10.0.0.1", count: 0 }, "count", "invalid count 0 (must be a whole number from 1 to 100)"],
    [{ to: "10.0.0.1", timeout: 1.5 }, "timeout", "invalid timeout 1.5 (must be a whole number from 1 to 60 seconds)"],
    [{ to: "10.0.0.1", timeout: 61 }, "timeout", "invalid timeout 61 (must be a whole number from 1 to 60 seconds)"],
    [{ to: "10.0.0.1", maxRtt: 0 }, "maxRtt", "invalid maxRtt 0 (must be a number of milliseconds above 0)"],
    [{ to: "10.0.0.1", netns: "123" }, "netns", 'invalid netns "123" (must not be all digits'],
    [{ to: "10.0.0.1", expect: "unreachable", ttl: 63 }, "ttl", 'invalid ttl 63 (must be left out when expect is "unreachable": no reply is expected to measure)'],
    [{ to: "10.0.0.1", expect: "unreachable", maxRtt: 5 }, "maxRtt", 'invalid maxRtt 5 (must be left out when expect is "unreachable"'],
    [{ to: "10.0.0.1", port: 80, ttl: 64 }, "ttl", "invalid ttl 64 (must be left out with port: a TCP connect has no reply TTL or round trip to check"],
    [{ to: "10.0.0.1", port: 80, count: 3 }, "count", "invalid count 3 (must be left out with port: a TCP probe needs one accepted connection)"],
    [{ to: "10.0.0.1", from: "d1" }, "from", 'unknown field "from" (must be one of "netns", "to", "port"'],
  ])("refuses %j, naming the field, the value and the rule", (v, property, reason) => {
    const r = check(v);
    expect(r.failures).toEqual([{ property, reason: expect.stringContaining(reason) }]);
  });
});

describe("Probe commands", () => {
  it("pings by the address's family until COUNT replies or TIMEOUT seconds, every 0.2 s, without name lookups", () => {
    expect(argv.ping("172.16.20.2", 1, 3)).toEqual(["ping", "-n", "-4", "-c", "1", "-w", "3", "-i", "0.2", "172.16.20.2"]);
    expect(argv.ping("fd00::2", 3, 5)).toEqual(["ping", "-n", "-6", "-c", "3", "-w", "5", "-i", "0.2", "fd00::2"]);
    expect(argv.tcp("10.0.0.2", 8080, 2)).toEqual(["nc", "-z", "-v", "-n", "-4", "-w", "2", "10.0.0.2", "8080"]);
  });
});

describe("Probe diff", () => {
  const olds = { to: "10.0.0.2", netns: "a", expect: "reachable", count: 1, timeout: 3, adopt: false, seen: { via: "icmp", reachable: true, at: AT }, holds: true };

  it("is no change while the recorded answer holds and nothing changed", async () => {
    expect(await probe.diff("id", olds, { to: "10.0.0.2", netns: "a", expect: "reachable", count: 1, timeout: 3, adopt: false })).toMatchObject({ changes: false, replaces: [] });
  });

  it("is an update when a refresh recorded an answer that does not hold, so the next up runs the probe again", async () => {
    const d = await probe.diff("id", { ...olds, holds: false, seen: { via: "icmp", reachable: false, at: AT } }, { to: "10.0.0.2", netns: "a", expect: "reachable", count: 1, timeout: 3, adopt: false });
    expect(d).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("leaves an input change to the engine's own per-property diff, in place", async () => {
    const d = await probe.diff("id", olds, { to: "10.0.0.2", netns: "a", expect: "reachable", ttl: 63, count: 1, timeout: 3, adopt: false });
    expect(d.changes).toBeUndefined();
    expect(d.replaces).toEqual([]);
  });
});

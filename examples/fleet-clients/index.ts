import * as pulumi from "@pulumi/pulumi";
import * as linuxnet from "pulumi-linuxnet";

// A lab namespace with bridge br0 (the gateway, 10.40.0.1 and fd00:40::1) and a fleet of
// client namespaces on it: each client a namespace with a veth whose eth0 holds its addresses
// (client k: 10.40.0.(k+2) and fd00:40::(k+2)) and default routes via the bridge, and whose
// other end, named like the client, is a port of br0. One resource, however many clients.
const config = new pulumi.Config();
const lab = config.get("lab") ?? "lab";
const prefix = config.get("prefix") ?? "client"; // clients are client0, client1, …
const count = config.getNumber("clients") ?? 6;
// A client's IPv4 address set by hand, by its number (`pulumi config set --path moved.3 10.40.0.103/24`):
// the fleet is then written out member by member, and only that member changes.
const moved = config.getObject<Record<string, string>>("moved") ?? {};

const labNs = new linuxnet.Namespace("lab", { name: lab });
// A fixed MAC: a bridge without one takes its lowest port's, so a client added later could
// change it and leave the others' neighbour entries for the gateway stale for half a minute.
const br0 = new linuxnet.Bridge("br0", { name: "br0", netns: labNs, mac: "02:00:0a:28:00:01", addresses: ["10.40.0.1/24", "fd00:40::1/64"] });

const ipv6Of = (k: number) => `fd00:40::${(k + 2).toString(16)}/64`;
const clients = new linuxnet.NamespaceFleet("clients", {
  ...(Object.keys(moved).length === 0
    ? { count, namePrefix: prefix }
    : { members: Array.from({ length: count }, (_, k) => ({ name: `${prefix}${k}`, addresses: moved[k] ? [moved[k], ipv6Of(k)] : undefined })) }),
  bridge: br0,
  subnet: "10.40.0.0/24",
  subnet6: "fd00:40::/64",
  gateway: "10.40.0.1",
  gateway6: "fd00:40::1",
  // Every client must reach the gateway: checked from each, 32 at once, at every up and refresh.
  expect: { to: "10.40.0.1" },
});

// One client by name, as a Probe's namespace: client2 reaches the gateway over IPv6.
const probe = new linuxnet.Probe("client2-gateway6", { netns: clients.member(2), to: "fd00:40::1" });

// The fleet's size and ends, not its members: a thousand would fill every preview's output diff.
export const fleet = clients.members.apply((ms) => ({ count: ms.length, first: ms[0]?.name, last: ms.at(-1)?.name }));
export const expectation = clients.expectation;
export const seen = probe.seen;

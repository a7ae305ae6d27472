/**
 * Bad input fails `pulumi preview` (the real CLI), with one line naming the resource, the
 * field, the value and the rule, and creates nothing. Per-resource rules come from each
 * kind's check; whole-topology ones (a name or address claimed twice in one namespace) from
 * the SDK while the program runs. Previews run three at a time, one stack each.
 */
import { existsSync } from "node:fs";
import { links, namedNamespaces } from "../support/kernel";
import { PulumiStack, testProgramDir } from "../support/pulumi";

jest.setTimeout(600_000);

interface Spec {
  kind: "Namespace" | "Bridge" | "VethPair" | "VlanInterface" | "MacvlanNetwork" | "MacvlanEndpoint" | "Sysctl" | "Route" | "IptablesRule" | "VxlanInterface" | "LinkShaping";
  name: string;
  args: Record<string, unknown>;
}
type Case = [title: string, resources: Spec[], expected: string[]];

/** One resource `r` of `kind` with `args`; check must fail on `property` with exactly `reason`. */
const bad = (kind: Spec["kind"], args: Record<string, unknown>, property: string, reason: string): [Spec[], string[]] => [
  [{ kind, name: "r", args }],
  [`linuxnet:${kind} resource 'r': property ${property} value`, `has a problem: ${reason}`],
];
const pair = (end: object, peer: object = { name: "p0" }) => ({ end: { name: "e0", ...end }, peer });
const twice = (what: string, first: string, second: string) => `pulumi-linuxnet: ${what} is claimed twice: by ${first} and by ${second}; kernel names and addresses are unique per namespace`;
const X16 = "x".repeat(16);
const NOT_NET = "is not per network namespace (only net.* keys are): it is one value for the whole machine, shared by every namespace; to change it for the whole machine anyway, set hostWide: true, without netns";
const LOOPBACK_GATEWAY = "must not be a loopback address: a gateway is a neighbour on a link, and traffic sent via loopback never leaves this namespace";

const cases: Case[] = [
  // Namespace
  ["a namespace name with a slash", ...bad("Namespace", { name: "a/b" }, "name", 'invalid name "a/b" (must not contain "/")')],
  ["a namespace name with whitespace", ...bad("Namespace", { name: "a b" }, "name", 'invalid name "a b" (must not contain whitespace)')],
  ["an empty namespace name", ...bad("Namespace", { name: "" }, "name", 'invalid name "" (must not be empty)')],
  ["the namespace name ..", ...bad("Namespace", { name: ".." }, "name", 'invalid name ".." (must not be "." or "..")')],
  ["a namespace name starting with -", ...bad("Namespace", { name: "-n" }, "name", 'invalid name "-n" (must not start with "-")')],
  ["an all-digit namespace name", ...bad("Namespace", { name: "123" }, "name", 'invalid name "123" (must not be all digits: iproute2 would read it as a process id)')],
  ["a namespace name over 255 bytes", ...bad("Namespace", { name: "n".repeat(256) }, "name", `invalid name "${"n".repeat(256)}" (must be at most 255 bytes, a file name under /run/netns; it has 256)`)],
  ["a namespace name with a quote", ...bad("Namespace", { name: 'q"x' }, "name", 'invalid name "q\\"x" (may contain only letters, digits and _ . + @ -)')],
  ["loopbackUp not a boolean", ...bad("Namespace", { loopbackUp: "yes" }, "loopbackUp", "invalid loopbackUp (must be true or false)")],
  ["adopt not a boolean", ...bad("Namespace", { adopt: "sure" }, "adopt", "invalid adopt (must be true or false)")],
  ["a misspelt namespace argument", ...bad("Namespace", { loopbakUp: true }, "loopbakUp", 'unknown field "loopbakUp" (must be one of "name", "loopbackUp", "connection", "adopt")')],
  // Bridge
  ["the interface name all", ...bad("Bridge", { name: "all" }, "name", 'invalid name "all" (must not be "all": the kernel keeps it for /proc/sys/net/*/conf/all)')],
  ["the interface name default", ...bad("Bridge", { name: "default" }, "name", 'invalid name "default" (must not be "default": the kernel keeps it for /proc/sys/net/*/conf/default)')],
  ["the interface name lo", ...bad("Bridge", { name: "lo" }, "name", 'invalid name "lo" (must not be "lo": every namespace has its own loopback interface by that name)')],
  ["an interface name with a colon", ...bad("Bridge", { name: "br:0" }, "name", 'invalid name "br:0" (must not contain ":")')],
  ["an interface name of 16 bytes", ...bad("Bridge", { name: X16 }, "name", `invalid name "${X16}" (must be at most 15 bytes, the kernel's IFNAMSIZ limit; it has 16)`)],
  ["an interface name of 9 characters but 18 bytes", ...bad("Bridge", { name: "ééééééééé" }, "name", 'invalid name "ééééééééé" (must be at most 15 bytes, the kernel\'s IFNAMSIZ limit; it has 18)')],
  ["an address without a prefix length", ...bad("Bridge", { addresses: ["10.0.0.1"] }, "addresses[0]", 'invalid addresses "10.0.0.1" (must be an IPv4 or IPv6 address with a prefix length, like 192.168.0.101/24 or fd00::1/64)')],
  ["an IPv4 prefix length of 33", ...bad("Bridge", { addresses: ["10.0.0.1/33"] }, "addresses[0]", 'invalid addresses "10.0.0.1/33" (must be an IPv4 or IPv6 address')],
  ["an IPv4 octet of 256", ...bad("Bridge", { addresses: ["10.0.0.256/24"] }, "addresses[0]", 'invalid addresses "10.0.0.256/24" (must be an IPv4 or IPv6 address')],
  ["the address 0.0.0.0/0", ...bad("Bridge", { addresses: ["0.0.0.0/0"] }, "addresses[0]", 'invalid addresses "0.0.0.0/0" (must not be the unspecified address (it means "any"; the kernel ignores it))')],
  ["a multicast IPv4 address", ...bad("Bridge", { addresses: ["224.0.0.1/24"] }, "addresses[0]", 'invalid addresses "224.0.0.1/24" (must not be a multicast address (a group, not a host))')],
  ["a loopback IPv4 address", ...bad("Bridge", { addresses: ["127.0.0.1/8"] }, "addresses[0]", 'invalid addresses "127.0.0.1/8" (must not be a loopback address (it belongs to lo))')],
  ["the limited broadcast address", ...bad("Bridge", { addresses: ["255.255.255.255/32"] }, "addresses[0]", 'invalid addresses "255.255.255.255/32" (must not be the limited broadcast address)')],
  ["a subnet's broadcast address", ...bad("Bridge", { addresses: ["192.168.0.255/24"] }, "addresses[0]", 'invalid addresses "192.168.0.255/24" (must not be the broadcast address of its /24 subnet)')],
  ["the IPv6 unspecified address", ...bad("Bridge", { addresses: ["::/0"] }, "addresses[0]", 'invalid addresses "::/0" (must not be the unspecified address')],
  ["a multicast IPv6 address", ...bad("Bridge", { addresses: ["ff02::1/64"] }, "addresses[0]", 'invalid addresses "ff02::1/64" (must not be a multicast address (a group, not a host))')],
  ["the IPv6 loopback address", ...bad("Bridge", { addresses: ["::1/128"] }, "addresses[0]", 'invalid addresses "::1/128" (must not be a loopback address (it belongs to lo))')],
  ["IPv4 inside IPv6", ...bad("Bridge", { addresses: ["::ffff:1.2.3.4/128"] }, "addresses[0]", 'invalid addresses "::ffff:1.2.3.4/128" (must not be an IPv4 address inside IPv6 like ::ffff:1.2.3.4: give the IPv4 address itself)')],
  ["an address listed twice", ...bad("Bridge", { addresses: ["10.0.0.1/24", "10.0.0.1/24"] }, "addresses[1]", 'invalid addresses "10.0.0.1/24" (must not be listed twice)')],
  ["an IPv6 address with a zone", ...bad("Bridge", { addresses: ["fe80::1%eth0/64"] }, "addresses[0]", 'invalid addresses "fe80::1%eth0/64" (must be an IPv4 or IPv6 address')],
  ["an MTU of 67", ...bad("Bridge", { mtu: 67 }, "mtu", "invalid mtu 67 (must be a whole number from 68 to 65535)")],
  ["an MTU of 65536", ...bad("Bridge", { mtu: 65536 }, "mtu", "invalid mtu 65536 (must be a whole number from 68 to 65535)")],
  ["a fractional MTU", ...bad("Bridge", { mtu: 1500.5 }, "mtu", "invalid mtu 1500.5 (must be a whole number from 68 to 65535)")],
  ["a multicast MAC", ...bad("Bridge", { mac: "01:00:5e:00:00:01" }, "mac", 'invalid mac "01:00:5e:00:00:01" (must be a unicast MAC address like 02:42:ac:11:00:02: the first octet\'s lowest bit marks multicast)')],
  ["an all-zero MAC", ...bad("Bridge", { mac: "00:00:00:00:00:00" }, "mac", 'invalid mac "00:00:00:00:00:00" (must be a unicast MAC address like 02:42:ac:11:00:02, not all zeros)')],
  ["a MAC of five octets", ...bad("Bridge", { mac: "02:42:ac:11:00" }, "mac", 'invalid mac "02:42:ac:11:00" (must be a unicast MAC address like 02:42:ac:11:00:02)')],
  ["stp not a boolean", ...bad("Bridge", { stp: "on" }, "stp", "invalid stp (must be true or false)")],
  ["up not a boolean", ...bad("Bridge", { up: "no" }, "up", "invalid up (must be true or false)")],
  ["an all-digit netns", ...bad("Bridge", { netns: "1" }, "netns", 'invalid netns "1" (must not be all digits: iproute2 would read it as a process id)')],
  ["a netns with a slash", ...bad("Bridge", { netns: "x/y" }, "netns", 'invalid netns "x/y" (must not contain "/")')],
  // VethPair
  ["an end name of 16 bytes", ...bad("VethPair", pair({ name: X16 }), "end.name", `invalid end.name "${X16}" (must be at most 15 bytes, the kernel's IFNAMSIZ limit; it has 16)`)],
  ["a peer name with a space", ...bad("VethPair", pair({}, { name: "p 0" }), "peer.name", 'invalid peer.name "p 0" (must not contain whitespace)')],
  ["the peer name default", ...bad("VethPair", pair({}, { name: "default" }), "peer.name", 'invalid peer.name "default" (must not be "default"')],
  [
    "both ends with one name in one namespace",
    [{ kind: "VethPair", name: "r", args: pair({ name: "v0" }, { name: "v0" }) }],
    [twice(`interface "v0" in the provider's own namespace`, 'VethPair "r" (end.name)', 'VethPair "r" (peer.name)')],
  ],
  ["an end that is its own master", ...bad("VethPair", pair({ master: "e0" }), "end.master", 'invalid end.master "e0" (must be a bridge, not the end itself)')],
  ["a peer whose master is the other end", ...bad("VethPair", pair({}, { name: "p0", master: "e0" }), "peer.master", 'invalid peer.master "e0" (must be a bridge, not this pair\'s end end)')],
  ["a multicast address on an end", ...bad("VethPair", pair({ addresses: ["224.0.0.1/24"] }), "end.addresses[0]", 'invalid end.addresses "224.0.0.1/24" (must not be a multicast address (a group, not a host))')],
  ["a peer MTU of 10", ...bad("VethPair", pair({}, { name: "p0", mtu: 10 }), "peer.mtu", "invalid peer.mtu 10 (must be a whole number from 68 to 65535)")],
  ["a broadcast MAC on an end", ...bad("VethPair", pair({ mac: "ff:ff:ff:ff:ff:ff" }), "end.mac", 'invalid end.mac "ff:ff:ff:ff:ff:ff" (must be a unicast MAC address like 02:42:ac:11:00:02: the first octet\'s lowest bit marks multicast)')],
  ["an empty end netns", ...bad("VethPair", pair({ netns: "" }), "end.netns", 'invalid end.netns "" (must not be empty)')],
  ["a misspelt end argument", ...bad("VethPair", pair({ mcu: 1400 }), "end.mcu", 'unknown field "mcu" (must be one of "name", "netns", "addresses", "mtu", "mac", "up", "master")')],
  // VlanInterface
  ["a VLAN id of 4095", ...bad("VlanInterface", { parent: "eth0", vlanId: 4095 }, "vlanId", "invalid vlanId 4095 (must be a whole number from 1 to 4094: 0 and 4095 are reserved by 802.1Q)")],
  ["a VLAN id of 0", ...bad("VlanInterface", { parent: "eth0", vlanId: 0 }, "vlanId", "invalid vlanId 0 (must be a whole number from 1 to 4094")],
  [
    "a default VLAN name over 15 bytes",
    ...bad("VlanInterface", { parent: "enp0s20f0u1u2", vlanId: 100 }, "name", 'invalid name (the default PARENT.ID "enp0s20f0u1u2.100" must be at most 15 bytes, the kernel\'s IFNAMSIZ limit; it has 17: set name, e.g. "vlan100")'),
  ],
  ["an unknown VLAN protocol", ...bad("VlanInterface", { parent: "eth0", vlanId: 5, protocol: "802.1x" }, "protocol", 'invalid protocol "802.1x" (must be "802.1Q" or "802.1ad")')],
  // MacvlanNetwork and MacvlanEndpoint
  ["a macvlan subnet with host bits", ...bad("MacvlanNetwork", { parent: "eth0", subnet: "172.16.10.5/24", gateway: "172.16.10.1" }, "subnet", 'invalid subnet "172.16.10.5/24" (must be a network address with its host bits zero, like 172.16.10.0/24)')],
  ["a gateway outside the subnet", ...bad("MacvlanNetwork", { parent: "eth0", subnet: "172.16.10.0/24", gateway: "172.16.20.1" }, "gateway", 'invalid gateway "172.16.20.1" (must be inside the subnet 172.16.10.0/24)')],
  ["an unknown macvlan mode", ...bad("MacvlanNetwork", { parent: "eth0", subnet: "172.16.10.0/24", gateway: "172.16.10.1", mode: "l2" }, "mode", 'invalid mode "l2" (must be one of "bridge", "vepa", "private", "passthru", "source")')],
  [
    "host access on a vepa network",
    ...bad("MacvlanNetwork", { parent: "eth0", subnet: "172.16.10.0/24", gateway: "172.16.10.1", mode: "vepa", hostAccess: { address: "172.16.10.9" } }, "hostAccess.name", 'invalid hostAccess with mode "vepa" (must be mode "bridge"'),
  ],
  ...(["172.16.11.2", "172.16.10.1"] as const).map((address): Case => [
    `an endpoint at ${address}`,
    [
      { kind: "MacvlanNetwork", name: "mac1", args: { parent: "eth0", subnet: "172.16.10.0/24", gateway: "172.16.10.1" } },
      { kind: "MacvlanEndpoint", name: "r", args: { network: "$mac1", netns: "c1", address } },
    ],
    [
      "linuxnet:MacvlanEndpoint resource 'r': property address value",
      `invalid address "${address}" (${address === "172.16.10.1" ? "must not be the gateway's address (unless this endpoint is the gateway: defaultRoute false)" : "must be inside the subnet 172.16.10.0/24"})`,
    ],
  ]),
  [
    "two endpoints of one subnet at one address, on two hosts",
    [
      { kind: "MacvlanNetwork", name: "h1", args: { name: "mac1", parent: "eth0", netns: "host1", subnet: "172.16.10.0/24", gateway: "172.16.10.1" } },
      { kind: "MacvlanNetwork", name: "h2", args: { name: "mac1", parent: "eth0", netns: "host2", subnet: "172.16.10.0/24", gateway: "172.16.10.1" } },
      { kind: "MacvlanEndpoint", name: "c1", args: { network: "$h1", netns: "c1", address: "172.16.10.2" } },
      { kind: "MacvlanEndpoint", name: "c2", args: { network: "$h2", netns: "c2", address: "172.16.10.2" } },
    ],
    [twice("address 172.16.10.2 in macvlan subnet 172.16.10.0/24", 'MacvlanEndpoint "c1" (address)', 'MacvlanEndpoint "c2" (address)')],
  ],
  [
    "a VLAN MTU above its bridge parent's",
    [
      { kind: "Bridge", name: "br", args: { name: "br0", mtu: 1500 } },
      { kind: "VlanInterface", name: "v", args: { parent: "$br", vlanId: 10, mtu: 9000 } },
    ],
    ['pulumi-linuxnet: VlanInterface "v": mtu 9000 is above its parent "br0"\'s mtu 1500 (a VLAN sub-interface cannot exceed its parent)'],
  ],
  // VxlanInterface and LinkShaping
  ["a VNI over 24 bits", ...bad("VxlanInterface", { vni: 16777216 }, "vni", "invalid vni 16777216 (must be a whole number from 0 to 16777215: VXLAN network identifiers have 24 bits)")],
  ["a multicast VXLAN remote", ...bad("VxlanInterface", { vni: 5, remote: "239.1.1.1" }, "remote", 'invalid remote "239.1.1.1" (must be a unicast address; a multicast one goes in group)')],
  ["jitter without delay", ...bad("LinkShaping", { dev: "eth0", jitter: "10ms" }, "jitter", 'invalid jitter "10ms" (must be given with delay: jitter varies the delay around it)')],
  ["a rate in megabytes", ...bad("LinkShaping", { dev: "eth0", rate: "10mb" }, "rate", 'invalid rate "10mb" (must be a rate like "10mbit", "500kbit" or "1gbit"')],
  ["a loss of 150%", ...bad("LinkShaping", { dev: "eth0", loss: "150%" }, "loss", 'invalid loss "150%" (must be a percentage from 0 to 100, like 1 or "0.5%")')],
  [
    "two shapings of one veth end",
    [
      { kind: "VethPair", name: "v", args: { end: { name: "e0", netns: "lab" }, peer: { name: "p0" } } },
      { kind: "LinkShaping", name: "a", args: { link: "$v", rate: "1mbit" } },
      { kind: "LinkShaping", name: "b", args: { link: "$v", side: "end", delay: "5ms" } },
    ],
    [twice('the root qdisc of "e0" in netns "lab"', 'LinkShaping "a" (dev)', 'LinkShaping "b" (dev)')],
  ],
  // Sysctl, Route, IptablesRule
  ["an unknown sysctl key", ...bad("Sysctl", { key: "net.ipv4.ip_forwad", value: 1 }, "key", 'invalid key "net.ipv4.ip_forwad" (the kernel has no such setting (/proc/sys/net/ipv4/ip_forwad does not exist))')],
  ["a sysctl key with =", ...bad("Sysctl", { key: "net.ipv4.ip_forward=1", value: 1 }, "key", 'invalid key "net.ipv4.ip_forward=1" (must be a dotted sysctl key like "net.ipv4.ip_forward"')],
  ["a sysctl outside net.*", ...bad("Sysctl", { key: "vm.swappiness", value: 10 }, "key", `invalid key "vm.swappiness" (${NOT_NET})`)],
  ["a sysctl outside net.* in a namespace", ...bad("Sysctl", { key: "kernel.panic", value: 5, netns: "r" }, "key", `invalid key "kernel.panic" (${NOT_NET})`)],
  [
    "a host-wide sysctl in a namespace",
    ...bad("Sysctl", { key: "vm.swappiness", value: 10, netns: "r", hostWide: true }, "hostWide", 'invalid hostWide true with netns "r" (a host-wide setting is set from the namespace pulumi runs in'),
  ],
  // Found by the kernel: namespaces but the first may only read it (6.x kernels), or do not have it at all.
  [
    "a net.* sysctl that is one value for the machine",
    ...bad("Sysctl", { key: "net.core.rmem_max", value: 4194304 }, "key", `invalid key "net.core.rmem_max" (${existsSync("/proc/sys/net/core/rmem_max") ? "is not per network namespace: namespaces other than the initial one may only read it, one value for the whole machine; to change it for the whole machine anyway, set hostWide: true, without netns" : "the kernel has no such setting"}`),
  ],
  ["a sysctl value holding a newline", ...bad("Sysctl", { key: "net.ipv4.ip_forward", value: "1\n0" }, "value", `invalid value "1\\n0" (must not hold a newline: a setting's value is one line)`)],
  ["a route via an IPv4 loopback address", ...bad("Route", { destination: "10.0.0.0/24", via: "127.0.0.1" }, "via", `invalid via "127.0.0.1" (${LOOPBACK_GATEWAY})`)],
  ["a route via ::1", ...bad("Route", { destination: "fd00::/64", via: "::1" }, "via", `invalid via "::1" (${LOOPBACK_GATEWAY})`)],
  ["a route with neither gateway nor device", ...bad("Route", { destination: "default" }, "via", "invalid route (must have a gateway `via`, a device `dev`, or both)")],
  ["a route destination with host bits", ...bad("Route", { destination: "10.0.0.1/24", dev: "eth0" }, "destination", 'invalid destination "10.0.0.1/24" (must be a network address with its host bits zero, like 10.0.0.0/24)')],
  ["an IPv6 gateway for an IPv4 route", ...bad("Route", { destination: "10.0.0.0/24", via: "fd00::1" }, "via", 'invalid via "fd00::1" (must be of the destination\'s address family)')],
  ["an iptables rule choosing its own chain", ...bad("IptablesRule", { chain: "FORWARD", rule: ["-A", "INPUT", "-j", "ACCEPT"] }, "rule[0]", 'invalid rule token "-A" (must not be the option -A: the table, chain, position and the rule\'s comment (its ownership mark) are set by the resource)')],
  ["an empty iptables rule", ...bad("IptablesRule", { chain: "FORWARD", rule: [] }, "rule", 'invalid rule [] (must not be empty: give at least a target, like ["-j", "ACCEPT"])')],
  ["an unknown iptables table", ...bad("IptablesRule", { table: "nats", chain: "POSTROUTING", rule: ["-j", "MASQUERADE"] }, "table", 'invalid table "nats" (must be one of "filter", "nat", "mangle", "raw", "security")')],
  [
    "two resources setting one sysctl in one namespace",
    [
      { kind: "Sysctl", name: "a", args: { key: "net.ipv4.ip_forward", value: 1, netns: "r" } },
      { kind: "Sysctl", name: "b", args: { key: "net.ipv4.ip_forward", value: 0, netns: "r" } },
    ],
    [twice('sysctl net.ipv4.ip_forward in netns "r"', 'Sysctl "a" (key)', 'Sysctl "b" (key)')],
  ],
  [
    "two routes with one key in one namespace",
    [
      { kind: "Route", name: "a", args: { destination: "default", via: "10.0.0.1", netns: "r" } },
      { kind: "Route", name: "b", args: { destination: "default", via: "10.0.0.2", netns: "r" } },
    ],
    [twice('route default (table main, metric 0) in netns "r"', 'Route "a" (destination)', 'Route "b" (destination)')],
  ],
  // The whole topology, checked by the SDK while the program runs
  [
    "two namespaces of one name",
    [
      { kind: "Namespace", name: "a", args: { name: "lab" } },
      { kind: "Namespace", name: "b", args: { name: "lab" } },
    ],
    [twice('namespace "lab"', 'Namespace "a" (name)', 'Namespace "b" (name)')],
  ],
  [
    "two bridges of one name in the provider's namespace",
    [
      { kind: "Bridge", name: "a", args: { name: "br0" } },
      { kind: "Bridge", name: "b", args: { name: "br0" } },
    ],
    [twice(`interface "br0" in the provider's own namespace`, 'Bridge "a" (name)', 'Bridge "b" (name)')],
  ],
  [
    "a veth end named like a bridge of its namespace (given as the Namespace object)",
    [
      { kind: "Namespace", name: "ns", args: { name: "lab" } },
      { kind: "Bridge", name: "br", args: { name: "br0", netns: "$ns" } },
      { kind: "VethPair", name: "v", args: { end: { name: "br0", netns: "$ns" }, peer: { name: "p0" } } },
    ],
    [twice('interface "br0" in netns "lab"', 'Bridge "br" (name)', 'VethPair "v" (end.name)')],
  ],
  [
    "two containers' eth0 in one namespace (given as ns.name)",
    [
      { kind: "Namespace", name: "ns", args: { name: "c1" } },
      { kind: "VethPair", name: "a", args: { end: { name: "eth0", netns: "$ns.name" }, peer: { name: "va" } } },
      { kind: "VethPair", name: "b", args: { end: { name: "eth0", netns: "$ns.name" }, peer: { name: "vb" } } },
    ],
    [twice('interface "eth0" in netns "c1"', 'VethPair "a" (end.name)', 'VethPair "b" (end.name)')],
  ],
  [
    "one address on two links of a namespace",
    [
      { kind: "Bridge", name: "br", args: { name: "br0", netns: "lab", addresses: ["10.0.0.1/24"] } },
      { kind: "VethPair", name: "v", args: { end: { name: "e0", netns: "lab", addresses: ["10.0.0.1/24"] }, peer: { name: "p0" } } },
    ],
    [twice('address 10.0.0.1 in netns "lab"', 'Bridge "br" (addresses)', 'VethPair "v" (end.addresses)')],
  ],
  [
    "one address with two prefix lengths",
    [
      { kind: "VethPair", name: "a", args: { end: { name: "a0", addresses: ["10.0.0.1/24"] }, peer: { name: "a1", netns: "x" } } },
      { kind: "VethPair", name: "b", args: { end: { name: "b0", addresses: ["10.0.0.1/16"] }, peer: { name: "b1", netns: "x" } } },
    ],
    [twice(`address 10.0.0.1 in the provider's own namespace`, 'VethPair "a" (end.addresses)', 'VethPair "b" (end.addresses)')],
  ],
  [
    "an IPv6 address written two ways",
    [
      { kind: "Bridge", name: "a", args: { name: "bra", addresses: ["fd00:0::1/64"] } },
      { kind: "Bridge", name: "b", args: { name: "brb", addresses: ["FD00::0001/64"] } },
    ],
    [twice(`address fd00::1 in the provider's own namespace`, 'Bridge "a" (addresses)', 'Bridge "b" (addresses)')],
  ],
  [
    "a port whose bridge is in another namespace",
    [
      { kind: "Namespace", name: "host", args: { name: "host" } },
      { kind: "Bridge", name: "br", args: { name: "br0", netns: "$host" } },
      { kind: "VethPair", name: "v", args: { end: { name: "eth0", netns: "c1" }, peer: { name: "v0", master: "$br" } } },
    ],
    ['pulumi-linuxnet: VethPair "v": peer.master is bridge "br0" in netns "host", but peer is in the provider\'s own namespace (a port must be in its bridge\'s namespace)'],
  ],
];

describe("bad input fails pulumi preview with the field, the value and the rule, and creates nothing", () => {
  const WORKERS = 3;
  const stacks = [...Array(WORKERS)].map(() => new PulumiStack(testProgramDir("resources")));
  const results = new Map<string, Promise<string>>();

  beforeAll(async () => {
    await Promise.all(stacks.map((s) => s.init()));
    // Each worker previews its share of the cases one after another; tests await their own.
    const queue = [...cases];
    const next = async (s: PulumiStack): Promise<void> => {
      const c = queue.shift();
      if (!c) return;
      const [title, resources] = c;
      const done = (async () => {
        await s.setConfig("resources", JSON.stringify(resources));
        const r = await s.preview();
        return `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
      })();
      results.set(title, done);
      await done.catch(() => undefined);
      return next(s);
    };
    stacks.forEach((s) => void next(s));
  });
  afterAll(async () => {
    await Promise.all([...results.values()].map((r) => r.catch(() => undefined)));
    await Promise.all(stacks.map((s) => s.dispose()));
  });

  it("has at least 50 cases", () => expect(cases.length).toBeGreaterThanOrEqual(50));

  it.each(cases)("refuses %s", async (title, _resources, expected) => {
    for (let i = 0; !results.has(title) && i < 6000; i++) await new Promise((r) => setTimeout(r, 100));
    const out = await results.get(title)!;
    expect(out).not.toMatch(/^exit 0/);
    for (const e of expected) expect(out).toContain(e);
    expect(namedNamespaces()).toEqual([]);
    expect((await links()).map((l) => l.ifname)).toEqual(["lo"]);
  });
});

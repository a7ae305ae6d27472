/**
 * Value rules for link settings: interface addresses (CIDR), MTU and MAC. Address syntax is
 * zod's (`z.cidrv4()`/`z.cidrv6()`), address meaning (ranges, RFC 5952 spelling, subnet
 * math) is ipaddr.js's; addresses are normalized to the form `ip -json addr` prints, so what
 * the kernel reports compares equal to what the program declared.
 */
import ipaddr from "ipaddr.js";
import { z } from "zod";

const show = (v: unknown) => JSON.stringify(v);

export const CIDR_RULE = "must be an IPv4 or IPv6 address with a prefix length, like 192.168.0.101/24 or fd00::1/64";
const EMBEDDED_RULE = "must not be an IPv4 address inside IPv6 like ::ffff:1.2.3.4: give the IPv4 address itself";

const cidrSyntax = z.union([z.cidrv4(), z.cidrv6()]);

/** The address and prefix of a well-formed CIDR, or undefined. */
function parseCidr(value: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  if (!cidrSyntax.safeParse(value).success) return undefined;
  try {
    return ipaddr.parseCIDR(value);
  } catch {
    return undefined;
  }
}

/**
 * IPv4 inside IPv6: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), or dotted at all.
 * iproute2 prints these dotted, so they would never compare equal to what was declared.
 */
function embedsIPv4(text: string, a: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (a.kind() !== "ipv6") return false;
  const p = (a as ipaddr.IPv6).parts;
  const compatible = p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7] > 1);
  return text.includes(".") || a.range() === "ipv4Mapped" || compatible;
}

/** `a.b.c.d/len` or `v6/len` in the kernel's spelling, or undefined when malformed. */
export function normalizeCidr(value: string): string | undefined {
  const parsed = parseCidr(value);
  if (!parsed || embedsIPv4(value, parsed[0])) return undefined;
  return `${parsed[0].toString()}/${parsed[1]}`;
}

/** Ranges no interface can carry as its own address, with the reason. */
const NOT_FOR_INTERFACES: Record<string, string> = {
  unspecified: "the unspecified address (it means \"any\"; the kernel ignores it)",
  loopback: "a loopback address (it belongs to lo)",
  multicast: "a multicast address (a group, not a host)",
  broadcast: "the limited broadcast address",
};

/** Why `cidr` cannot be an interface's own address, or undefined. */
export function interfaceAddressProblem(cidr: string): string | undefined {
  const parsed = parseCidr(cidr);
  if (!parsed) return undefined;
  const [a, len] = parsed;
  const reason = NOT_FOR_INTERFACES[a.range()];
  if (reason) return `must not be ${reason}`;
  if (a.kind() === "ipv4" && len <= 30) {
    const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toString();
    if (a.toString() === broadcast) return `must not be the broadcast address of its /${len} subnet`;
  }
  return undefined;
}

/** A CIDR: syntax by zod, normalized by ipaddr.js. */
export const cidr = (field: string) =>
  z.string({ error: `invalid ${field} (${CIDR_RULE})` }).transform((v, ctx) => {
    const parsed = parseCidr(v);
    const n = normalizeCidr(v);
    if (n === undefined) {
      const embedded = parsed !== undefined && embedsIPv4(v, parsed[0]);
      ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (${embedded ? EMBEDDED_RULE : CIDR_RULE})` });
      return z.NEVER;
    }
    return n;
  });

/** An interface's own address: a CIDR the kernel would keep on a link. */
export const interfaceAddress = (field: string) =>
  cidr(field).superRefine((v, ctx) => {
    const problem = interfaceAddressProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (${problem})` });
  });

/** The address part of a CIDR, normalized, for comparing addresses across links. */
export function hostOf(cidr: string): string {
  const [a] = ipaddr.parseCIDR(cidr);
  return a.toString();
}

/** Whether two CIDRs are in the same subnet (same family, prefix and network). */
export function sameSubnet(a: string, b: string): boolean {
  const [x, y] = [parseCidr(a), parseCidr(b)];
  if (!x || !y || x[0].kind() !== y[0].kind() || x[1] !== y[1]) return false;
  return x[0].match(y[0], y[1]);
}

/** A set of interface addresses: normalized, no duplicates. */
export const addresses = (field = "addresses") =>
  z
    .array(interfaceAddress(field), { error: `invalid ${field} (must be a list of CIDR strings)` })
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      for (const [i, a] of list.entries()) {
        if (seen.has(a)) ctx.addIssue({ code: "custom", path: [i], message: `invalid ${field} ${show(a)} (must not be listed twice)` });
        seen.add(a);
      }
    })
    .default([]);

/** 68 is the IPv4 minimum (RFC 791); 65535 the largest MTU a veth or bridge takes. */
export const MTU_MIN = 68;
export const MTU_MAX = 65535;
export const mtu = (field = "mtu") =>
  z
    .number({ error: `invalid ${field} (must be a whole number from ${MTU_MIN} to ${MTU_MAX})` })
    .refine((v) => Number.isInteger(v) && v >= MTU_MIN && v <= MTU_MAX, {
      error: (iss) => `invalid ${field} ${show(iss.input)} (must be a whole number from ${MTU_MIN} to ${MTU_MAX})`,
    });

/** A unicast, non-zero Ethernet address, normalized to lower case. */
export const mac = (field = "mac") =>
  z.string({ error: `invalid ${field} (must be a MAC address like 02:42:ac:11:00:02)` }).transform((v, ctx) => {
    const rule = "must be a unicast MAC address like 02:42:ac:11:00:02";
    if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(v)) {
      ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (${rule})` });
      return z.NEVER;
    }
    const lower = v.toLowerCase();
    if (parseInt(lower.slice(0, 2), 16) & 1) {
      ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (${rule}: the first octet's lowest bit marks multicast)` });
      return z.NEVER;
    }
    if (lower === "00:00:00:00:00:00") {
      ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (${rule}, not all zeros)` });
      return z.NEVER;
    }
    return lower;
  });

// ── subnets and host addresses (macvlan networks and their endpoints) ──────────────────
const ipSyntax = z.union([z.ipv4(), z.ipv6()]);

/** A host address without a prefix (Docker's `--ip`), normalized as the kernel prints it. */
export const ipAddress = (field: string) =>
  z.string({ error: `invalid ${field} (must be an IPv4 or IPv6 address like 172.16.10.2)` }).transform((v, ctx) => {
    if (!ipSyntax.safeParse(v).success || v.includes(".") !== ipaddr.IPv4.isValidFourPartDecimal(v)) {
      ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (must be an IPv4 or IPv6 address like 172.16.10.2, without a prefix length)` });
      return z.NEVER;
    }
    return ipaddr.parse(v).toString();
  });

/** A network in CIDR form with its host bits zero, like 172.16.10.0/24. */
export const subnet = (field: string) =>
  cidr(field).superRefine((v, ctx) => {
    const [a, len] = ipaddr.parseCIDR(v);
    const network = a.kind() === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(v) : networkOf6(a as ipaddr.IPv6, len);
    if (network.toString() !== a.toString()) {
      ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (must be a network address with its host bits zero, like ${network.toString()}/${len})` });
    }
  });

function networkOf6(a: ipaddr.IPv6, len: number): ipaddr.IPv6 {
  const bytes = a.toByteArray().map((b, i) => (i * 8 >= len ? 0 : i * 8 + 8 <= len ? b : b & (0xff << (8 - (len - i * 8)))));
  return ipaddr.fromByteArray(bytes) as ipaddr.IPv6;
}

/** Whether a host address lies in a subnet. */
export function inSubnet(ip: string, net: string): boolean {
  const a = ipaddr.parse(ip);
  const [n, len] = ipaddr.parseCIDR(net);
  return a.kind() === n.kind() && a.match(n, len);
}

/**
 * Why `ip` cannot be a host of `net` (outside it, or its network or broadcast address), or
 * undefined. IPv4 /31 and /32 have no network or broadcast address (RFC 3021).
 */
export function hostProblem(ip: string, net: string): string | undefined {
  if (!inSubnet(ip, net)) return `must be inside the subnet ${net}`;
  const [, len] = ipaddr.parseCIDR(net);
  if (ipaddr.parse(ip).kind() === "ipv4" && len <= 30) {
    if (ipaddr.IPv4.networkAddressFromCIDR(net).toString() === ip) return `must not be the network address of ${net}`;
    if (ipaddr.IPv4.broadcastAddressFromCIDR(net).toString() === ip) return `must not be the broadcast address of ${net}`;
  }
  if (ipaddr.parse(ip).kind() === "ipv6" && networkOf6(ipaddr.parse(ip) as ipaddr.IPv6, len).toString() === ip) {
    return `must not be the subnet-router anycast address of ${net}`;
  }
  return undefined;
}

/** The prefix length of a subnet, and the host-route length of its family (/32 or /128). */
export const prefixOf = (net: string) => ipaddr.parseCIDR(net)[1];
export const hostPrefix = (ip: string) => (ipaddr.parse(ip).kind() === "ipv4" ? 32 : 128);

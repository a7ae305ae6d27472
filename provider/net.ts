/**
 * Value rules for link settings: interface addresses (CIDR), MTU and MAC. Addresses are
 * normalized to the form `ip -json addr` prints, so what the kernel reports compares equal
 * to what the program declared.
 */
import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";

const show = (v: unknown) => JSON.stringify(v);

/** `a.b.c.d/len` or `v6/len` in the kernel's spelling, or undefined when malformed. */
export function normalizeCidr(value: string): string | undefined {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(value);
  if (!m) return undefined;
  const [, addr, len] = m;
  const prefix = Number(len);
  if (isIPv4(addr)) return prefix <= 32 ? `${addr}/${prefix}` : undefined;
  if (isIPv6(addr) && prefix <= 128 && !addr.includes("%")) {
    // The WHATWG URL parser prints IPv6 in RFC 5952 form, the same form iproute2 prints,
    // except for addresses with an embedded IPv4 one, which iproute2 prints dotted: refused.
    const text = new URL(`http://[${addr}]/`).hostname.slice(1, -1);
    return embedsIPv4(text) ? undefined : `${text}/${prefix}`;
  }
  return undefined;
}

/** IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d) IPv6 addresses. */
function embedsIPv4(v6: string): boolean {
  const [head, tail = ""] = v6.split("::");
  const h = head ? head.split(":") : [];
  const t = v6.includes("::") && tail ? tail.split(":") : [];
  const groups = v6.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  const n = groups.map((g) => parseInt(g, 16));
  const zero80 = n.slice(0, 5).every((x) => x === 0);
  const mapped = zero80 && n[5] === 0xffff;
  const compatible = zero80 && n[5] === 0 && (n[6] !== 0 || n[7] > 1);
  return mapped || compatible;
}

export const CIDR_RULE = "must be an IPv4 or IPv6 address with a prefix length, like 192.168.0.101/24 or fd00::1/64";
const EMBEDDED_RULE = "must not be an IPv4 address inside IPv6 like ::ffff:1.2.3.4: give the IPv4 address itself";

export const cidr = (field: string) =>
  z.string({ error: `invalid ${field} (${CIDR_RULE})` }).transform((v, ctx) => {
    const n = normalizeCidr(v);
    if (n === undefined) {
      const addr = v.split("/")[0];
      const embedded = isIPv6(addr) && !addr.includes("%") && embedsIPv4(new URL(`http://[${addr}]/`).hostname.slice(1, -1));
      ctx.addIssue({ code: "custom", message: `invalid ${field} ${show(v)} (${embedded ? EMBEDDED_RULE : CIDR_RULE})` });
      return z.NEVER;
    }
    return n;
  });

/** A set of interface addresses: normalized, no duplicates. */
export const addresses = (field = "addresses") =>
  z
    .array(cidr(field), { error: `invalid ${field} (must be a list of CIDR strings)` })
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

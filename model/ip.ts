/**
 * IPv4 addresses as 32-bit numbers, for the prediction's route lookups and subnet tests.
 * Parsing and printing are ipaddr.js's; IPv6 is recognised (and left outside the model).
 */
import ipaddr from "ipaddr.js";

/** An address with its prefix length, as on an interface or in a route (`10.0.0.1/24`, `0.0.0.0/0`). */
export interface Net {
  ip: number;
  len: number;
}

const toNumber = (a: ipaddr.IPv4) => a.octets.reduce((n, o) => n * 256 + o, 0);

/** `a.b.c.d` as a number, or undefined for anything else (IPv6, a CIDR, garbage). */
export function v4(text: string): number | undefined {
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? toNumber(ipaddr.IPv4.parse(text)) : undefined;
}

/** `a.b.c.d/len` (or a bare address, as /32) as a Net; `default` is 0.0.0.0/0. */
export function net4(text: string): Net | undefined {
  if (text === "default") return { ip: 0, len: 0 };
  const [addr, len, ...rest] = text.split("/");
  const ip = v4(addr);
  if (ip === undefined || rest.length) return undefined;
  if (len === undefined) return { ip, len: 32 };
  const n = /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  return n >= 0 && n <= 32 ? { ip, len: n } : undefined;
}

/** Whether the text is an IPv6 address or network (which the model does not cover). */
export function isV6(text: string): boolean {
  return text.includes(":");
}

/** Whether `ip` lies in `net`. */
export function inNet(ip: number, net: Net): boolean {
  if (net.len === 0) return true;
  const shift = 32 - net.len;
  return Math.floor(ip / 2 ** shift) === Math.floor(net.ip / 2 ** shift);
}

/** The network of an address (`10.0.0.1/24` → `10.0.0.0/24`). */
export function networkOf(n: Net): Net {
  const size = 2 ** (32 - n.len);
  return { ip: Math.floor(n.ip / size) * size, len: n.len };
}

export function ipText(ip: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(ip / 2 ** s) % 256).join(".");
}

export const netText = (n: Net): string => (n.len === 0 ? "default" : `${ipText(n.ip)}/${n.len}`);

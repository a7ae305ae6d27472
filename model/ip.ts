/**
 * Addresses of both families as one kind of number, for the prediction's route lookups and
 * subnet tests: an IPv6 address is its 128-bit value, an IPv4 address is held as the
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d), which is what the kernel takes it for too. A
 * network's prefix length counts in its own family's bits (/24, /64). Parsing and printing
 * are ipaddr.js's.
 */
import ipaddr from "ipaddr.js";

export type Family = "ipv4" | "ipv6";

/** An address with its prefix length, as on an interface or in a route (`10.0.0.1/24`, `::/0`). */
export interface Net {
  ip: bigint;
  len: number;
}

const MAPPED = 0xffffn << 32n;
const bytes = (b: number[]) => b.reduce((n, o) => (n << 8n) | BigInt(o), 0n);

/** Whether an address (or a network's) is IPv4. */
export const isV4 = (ip: bigint): boolean => ip >> 32n === 0xffffn;
export const familyOf = (ip: bigint): Family => (isV4(ip) ? "ipv4" : "ipv6");
const bits = (ip: bigint) => (isV4(ip) ? 32 : 128);

/** `a.b.c.d` as an address, or undefined for anything else (IPv6, a CIDR, garbage). */
export function v4(text: string): bigint | undefined {
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? MAPPED | bytes(ipaddr.IPv4.parse(text).octets) : undefined;
}

/** An IPv6 address without a zone (`fe80::1`, `2001:db8::1`), or undefined. */
export function v6(text: string): bigint | undefined {
  if (!text.includes(":") || text.includes("%") || !ipaddr.IPv6.isValid(text)) return undefined;
  return bytes(ipaddr.IPv6.parse(text).toByteArray());
}

/** An address of either family. */
export const addr = (text: string): bigint | undefined => v4(text) ?? v6(text);

/** `ADDR` or `ADDR%DEV` (a link-local destination names the link it is reached on). */
export function target(text: string): { ip: bigint; dev?: string } | undefined {
  const k = text.indexOf("%");
  const ip = addr(k < 0 ? text : text.slice(0, k));
  if (ip === undefined) return undefined;
  return k < 0 ? { ip } : { ip, dev: text.slice(k + 1) };
}

/** `ADDR/LEN` (or a bare address, as a host route) of either family; `default` is the family's whole space. */
export function net(text: string, family: Family = "ipv4"): Net | undefined {
  if (text === "default") return { ip: family === "ipv6" ? 0n : MAPPED, len: 0 };
  const [a, len, ...rest] = text.split("/");
  const ip = addr(a);
  if (ip === undefined || rest.length) return undefined;
  if (len === undefined) return { ip, len: bits(ip) };
  const n = /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  return n >= 0 && n <= bits(ip) ? { ip, len: n } : undefined;
}

/** An IPv4 network only (`a.b.c.d/len`, a bare address, `default`). */
export function net4(text: string): Net | undefined {
  const n = net(text, "ipv4");
  return n && isV4(n.ip) ? n : undefined;
}

/** Whether the text is an IPv6 address or network. */
export function isV6(text: string): boolean {
  return text.includes(":");
}

/** Whether `ip` lies in `net` (never across families). */
export function inNet(ip: bigint, n: Net): boolean {
  if (isV4(ip) !== isV4(n.ip)) return false;
  const shift = BigInt(bits(ip) - n.len);
  return ip >> shift === n.ip >> shift;
}

/** The network of an address (`10.0.0.1/24` → `10.0.0.0/24`). */
export function networkOf(n: Net): Net {
  const shift = BigInt(bits(n.ip) - n.len);
  return { ip: (n.ip >> shift) << shift, len: n.len };
}

/** How many leading bits two addresses of one family share. */
export function commonPrefix(a: bigint, b: bigint): number {
  const n = bits(a);
  let k = 0;
  while (k < n && (a >> BigInt(n - 1 - k)) % 2n === (b >> BigInt(n - 1 - k)) % 2n) k++;
  return k;
}

/** fe80::/10. */
export const isLinkLocal = (ip: bigint): boolean => !isV4(ip) && ip >> 118n === 0xfe80n >> 6n;

/** The link-local address the kernel derives from a MAC (EUI-64, a new namespace's addr_gen_mode), or undefined. */
export function eui64(mac: string): bigint | undefined {
  const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(mac);
  if (!m) return undefined;
  const o = m.slice(1).map((x) => parseInt(x, 16));
  o[0] ^= 2;
  return (0xfe80n << 112n) | bytes([...o.slice(0, 3), 0xff, 0xfe, ...o.slice(3)]);
}

export function ipText(ip: bigint): string {
  if (isV4(ip)) {
    const n = Number(ip & 0xffffffffn);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const out: number[] = [];
  for (let k = 15; k >= 0; k--) out.push(Number((ip >> BigInt(k * 8)) & 0xffn));
  return ipaddr.fromByteArray(out).toString();
}

export const netText = (n: Net): string => (n.len === 0 ? "default" : `${ipText(n.ip)}/${n.len}`);

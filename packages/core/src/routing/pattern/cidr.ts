import type { Cidr } from "./ast.js";
import { fail } from "./fail.js";

/** Dotted-quad IPv4 as an unsigned 32-bit number, or undefined when it is not one. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let result = 0;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3 || !/^[0-9]+$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    result = result * 256 + n;
  }
  return result;
}

/** IPv6 (with `::` compression and an optional trailing dotted IPv4) as eight 16-bit words. */
export function parseIPv6(text: string): number[] | undefined {
  if (text.length === 0 || text.includes("%")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1], true) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Colon-separated hex groups; the last may be a dotted IPv4 when `allowIPv4` (end of address). */
function parseGroups(text: string, allowIPv4: boolean): number[] | undefined {
  if (text === "") return [];
  const groups = text.split(":");
  const words: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (allowIPv4 && i === groups.length - 1 && g.includes(".")) {
      const v4 = parseIPv4(g);
      if (v4 === undefined) return undefined;
      words.push(Math.floor(v4 / 65536), v4 % 65536);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      words.push(parseInt(g, 16));
    }
  }
  return words;
}

/** Parses `address/bits` for IPv4 (0–32) or IPv6 (0–128); EventBridge requires the prefix length. */
export function parseCidr(source: string, path: string): Cidr {
  const slash = source.indexOf("/");
  if (slash < 0 || slash !== source.lastIndexOf("/")) {
    fail(path, `cidr "${source}" must be an IP address and a prefix length, e.g. "10.0.0.0/24"`);
  }
  const address = source.slice(0, slash);
  const bitsText = source.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bitsText)) fail(path, `cidr "${source}" has an invalid prefix length`);
  const bits = Number(bitsText);
  const v4 = parseIPv4(address);
  if (v4 !== undefined) {
    if (bits > 32) fail(path, `cidr "${source}" has a prefix length above 32`);
    return { source, family: 4, words: [(v4 & mask32(bits)) >>> 0], bits };
  }
  const v6 = parseIPv6(address);
  if (v6 === undefined) fail(path, `cidr "${source}" is not a valid IPv4 or IPv6 address`);
  if (bits > 128) fail(path, `cidr "${source}" has a prefix length above 128`);
  return { source, family: 6, words: v6.map((w, i) => w & mask16(bits - i * 16)), bits };
}

function mask32(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Mask for one 16-bit word given the prefix bits left at that word (may be ≤0 or ≥16). */
function mask16(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 16) return 0xffff;
  return (0xffff << (16 - bits)) & 0xffff;
}

/** True when `value` is an IP address string of the same family inside the block. */
export function matchCidr(cidr: Cidr, value: string): boolean {
  if (cidr.family === 4) {
    const ip = parseIPv4(value);
    return ip !== undefined && ((ip & mask32(cidr.bits)) >>> 0) === cidr.words[0];
  }
  const ip = parseIPv6(value);
  if (ip === undefined) return false;
  for (let i = 0; i < 8; i++) {
    if ((ip[i] & mask16(cidr.bits - i * 16)) !== cidr.words[i]) return false;
  }
  return true;
}

import { describe, expect, it } from "vitest";
import { InvalidPatternError } from "../../errors.js";
import { matchCidr, parseCidr, parseIPv4, parseIPv6 } from "./cidr.js";

const block = (s: string) => parseCidr(s, "ip[0].cidr");

describe("cidr", () => {
  it("parses dotted-quad IPv4 and refuses out-of-range or malformed octets", () => {
    expect(parseIPv4("10.0.0.255")).toBe(0x0a0000ff);
    expect(parseIPv4("255.255.255.255")).toBe(0xffffffff);
    for (const bad of ["10.0.0.256", "10.0.0", "10.0.0.0.1", "10..0.1", "a.b.c.d", "1.2.3.-4", "1.2.3.0004"]) {
      expect(parseIPv4(bad)).toBeUndefined();
    }
  });

  it("parses IPv6 with :: compression, mixed case and a trailing IPv4", () => {
    expect(parseIPv6("2001:db8::1")).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6("::")).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6("::FFFF:10.0.0.1")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a00, 1]);
    expect(parseIPv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const bad of ["1:2:3", "1::2::3", "xxxx::1", "12345::1", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "1:2:3:4:5:6:7:8::"]) {
      expect(parseIPv6(bad)).toBeUndefined();
    }
  });

  it("matches IPv4 addresses inside the block and not outside it", () => {
    const b = block("10.0.0.0/24");
    expect(matchCidr(b, "10.0.0.0")).toBe(true);
    expect(matchCidr(b, "10.0.0.255")).toBe(true);
    expect(matchCidr(b, "10.0.1.0")).toBe(false);
    expect(matchCidr(b, "10.0.0.256")).toBe(false);
  });

  it("masks host bits in the pattern and treats /0 as every address of the family", () => {
    expect(matchCidr(block("10.0.0.77/24"), "10.0.0.1")).toBe(true);
    expect(matchCidr(block("0.0.0.0/0"), "203.0.113.9")).toBe(true);
    expect(matchCidr(block("0.0.0.0/0"), "::1")).toBe(false);
    expect(matchCidr(block("192.168.1.1/32"), "192.168.1.1")).toBe(true);
    expect(matchCidr(block("192.168.1.1/32"), "192.168.1.2")).toBe(false);
  });

  it("matches IPv6 addresses by prefix, including prefixes that split a 16-bit group", () => {
    const b = block("2001:db8:1234:1a00::/56");
    expect(matchCidr(b, "2001:db8:1234:1a00::1")).toBe(true);
    expect(matchCidr(b, "2001:db8:1234:1aff:ffff::")).toBe(true);
    expect(matchCidr(b, "2001:db8:1234:1b00::")).toBe(false);
    expect(matchCidr(b, "10.0.0.1")).toBe(false);
    expect(matchCidr(block("2001:db8::/33"), "2001:db8:7fff::1")).toBe(true);
    expect(matchCidr(block("2001:db8::/33"), "2001:db8:8000::1")).toBe(false);
  });

  it("refuses blocks without a prefix length, with too long a prefix, or with a bad address", () => {
    for (const bad of ["10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/24/1", "10.0.0.0/-1", "xxxx:db8:1234:1a00::/64", "/24"]) {
      expect(() => block(bad), bad).toThrow(InvalidPatternError);
    }
    expect(() => block("10.0.0.0/33")).toThrow(/ip\[0\]\.cidr: .*prefix length above 32/);
  });
});

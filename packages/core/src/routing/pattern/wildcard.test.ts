import { describe, expect, it } from "vitest";
import { InvalidPatternError } from "../../errors.js";
import { matchWildcard, parseWildcard } from "./wildcard.js";

const w = (s: string) => parseWildcard(s, "f[0].wildcard");
const m = (pattern: string, value: string) => matchWildcard(w(pattern), value);

describe("wildcard", () => {
  it("matches zero, one or many characters at each star", () => {
    expect(m("*.png", ".png")).toBe(true);
    expect(m("*.png", "a/b.png")).toBe(true);
    expect(m("*.png", "a.png.bak")).toBe(false);
    expect(m("dir/*/file", "dir//file")).toBe(true);
    expect(m("*Title*", "A Title here")).toBe(true);
    expect(m("a*b*c", "abc")).toBe(true);
    expect(m("a*b*c", "acb")).toBe(false);
  });

  it("keeps anchored prefix and suffix from overlapping", () => {
    expect(m("ab*ba", "aba")).toBe(false);
    expect(m("ab*ba", "abba")).toBe(true);
  });

  it("matches a pattern without stars only exactly, and the empty pattern only the empty string", () => {
    expect(m("abc", "abc")).toBe(true);
    expect(m("abc", "abcd")).toBe(false);
    expect(m("", "")).toBe(true);
    expect(m("", "x")).toBe(false);
  });

  it("treats \\* as a literal asterisk and \\\\ as a literal backslash", () => {
    expect(m("a\\*b", "a*b")).toBe(true);
    expect(m("a\\*b", "axb")).toBe(false);
    expect(m("a\\\\*", "a\\anything")).toBe(true);
    expect(m("\\**", "*tail")).toBe(true);
    expect(m("\\**", "tail")).toBe(false);
  });

  it("refuses consecutive wildcards, other escapes and a trailing backslash", () => {
    for (const bad of ["a**b", "**", "a\\b", "a\\", "arn:aws:events:us-east-1:**:event-bus/*"]) {
      expect(() => w(bad), bad).toThrow(InvalidPatternError);
    }
    expect(() => w("a**")).toThrow(/f\[0\]\.wildcard: .*consecutive/);
  });

  it("refuses patterns with more than five wildcards as too complex", () => {
    expect(() => w("*a*b*c*d*e")).not.toThrow();
    expect(() => w("*a*b*c*d*e*")).toThrow(/too complex/);
  });
});

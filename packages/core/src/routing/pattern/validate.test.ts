import { describe, expect, it } from "vitest";
import { InvalidPatternError } from "../../errors.js";
import { compilePattern, validatePattern } from "./index.js";

/** Asserts the pattern is refused with an InvalidPatternError whose message matches `message`. */
function refuses(pattern: unknown, message?: RegExp): void {
  let error: unknown;
  try {
    validatePattern(pattern);
  } catch (e) {
    error = e;
  }
  expect(error, JSON.stringify(pattern)).toBeInstanceOf(InvalidPatternError);
  if (message) expect((error as Error).message).toMatch(message);
}

const accepts = (pattern: unknown) => expect(() => validatePattern(pattern), JSON.stringify(pattern)).not.toThrow();

describe("pattern structure", () => {
  it("refuses a pattern that is not an object, or is empty", () => {
    refuses(null);
    refuses(["a"]);
    refuses("not json", /pattern: is not valid JSON/);
    refuses({}, /empty objects/);
    refuses({ detail: {} }, /^detail: empty objects/);
  });

  it("accepts the pattern as JSON text", () => {
    expect(compilePattern('{"source":["a"]}').match({ source: "a" })).toBe(true);
  });

  it("refuses leaves that are not arrays, naming the path", () => {
    refuses({ int: 42 }, /^int: must be an array/);
    refuses({ detail: { state: "running" } }, /^detail\.state: must be an array/);
    refuses({ detail: { state: null } });
    refuses({ detail: { state: true } });
  });

  it("refuses empty arrays and nested arrays", () => {
    refuses({ source: [] }, /^source: empty arrays/);
    refuses({ source: [["a"]] }, /^source\[0\]: .*not an array/);
  });

  it("refuses unknown and wrongly cased operators, and operator objects with several keys", () => {
    refuses({ a: [{ NUMERIC: ["=", 5] }] }, /^a\[0\]: unknown operator "NUMERIC"/);
    refuses({ a: [{ contains: "x" }] }, /unknown operator "contains"/);
    refuses({ a: [{ prefix: "a", suffix: "b" }] }, /exactly one key/);
    refuses({ a: [{}] }, /empty objects/);
    refuses({ a: [{ $or: [{ b: [1] }, { c: [2] }] }] }, /unknown operator/);
  });
});

describe("operator operands", () => {
  it("prefix and suffix take a string or an equals-ignore-case object", () => {
    accepts({ a: [{ prefix: "" }, { suffix: "" }, { prefix: { "equals-ignore-case": "x" } }] });
    refuses({ a: [{ prefix: ["x"] }] }, /^a\[0\]\.prefix: prefix needs a string/);
    refuses({ a: [{ suffix: 1 }] });
    refuses({ a: [{ prefix: { "equals-ignore-case": 1 } }] });
    refuses({ a: [{ prefix: { wildcard: "x*" } }] });
  });

  it("equals-ignore-case, wildcard and cidr take only strings", () => {
    refuses({ a: [{ "equals-ignore-case": { prefix: "x" } }] });
    refuses({ a: [{ "equals-ignore-case": ["x"] }] });
    refuses({ a: [{ wildcard: 123 }] });
    refuses({ a: [{ wildcard: ["a*"] }] });
    refuses({ a: [{ cidr: 10 }] });
    refuses({ a: [{ cidr: "10.0.0.0/40" }] }, /^a\[0\]\.cidr: /);
    accepts({ a: [{ cidr: "2001:db8::/32" }] });
  });

  it("exists takes only a boolean", () => {
    refuses({ a: [{ exists: "true" }] }, /exists needs true or false/);
    refuses({ a: [{ exists: null }] });
    accepts({ a: [{ exists: false }] });
  });

  it("anything-but takes a string, a number, or a non-empty list of one type", () => {
    accepts({ a: [{ "anything-but": "x" }, { "anything-but": 0 }, { "anything-but": [1, 2.5] }, { "anything-but": ["x", ""] }] });
    refuses({ a: [{ "anything-but": null }] });
    refuses({ a: [{ "anything-but": true }] });
    refuses({ a: [{ "anything-but": [] }] });
    refuses({ a: [{ "anything-but": ["x", 1] }] }, /only strings or only numbers/);
    refuses({ a: [{ "anything-but": [null] }] });
    refuses({ a: [{ "anything-but": 6e9 }] }, /between -5\.0e9 and 5\.0e9/);
  });

  it("anything-but takes prefix, suffix, equals-ignore-case and wildcard forms with strings only", () => {
    accepts({ a: [{ "anything-but": { prefix: ["a", "b"] } }, { "anything-but": { suffix: ".txt" } }] });
    accepts({ a: [{ "anything-but": { "equals-ignore-case": ["a", "B"] } }, { "anything-but": { wildcard: "" } }] });
    refuses({ a: [{ "anything-but": { prefix: "" } }] }, /must not be empty/);
    refuses({ a: [{ "anything-but": { suffix: ["x", ""] } }] }, /^a\[0\]\.anything-but\.suffix\[1\]/);
    refuses({ a: [{ "anything-but": { prefix: { "equals-ignore-case": "x" } } }] });
    refuses({ a: [{ "anything-but": { suffix: [123] } }] });
    refuses({ a: [{ "anything-but": { "equals-ignore-case": [1, 2] } }] });
    refuses({ a: [{ "anything-but": { wildcard: ["a**"] } }] }, /consecutive/);
    refuses({ a: [{ "anything-but": { numeric: [">", 1] } }] }, /does not support "numeric"/);
    refuses({ a: [{ "anything-but": { prefix: "a", suffix: "b" } }] });
    refuses({ a: [{ "anything-but": { prefix: [] } }] });
  });
});

describe("numeric validation", () => {
  it("accepts single comparisons and closed, open and half-open ranges", () => {
    for (const spec of [["=", 5], ["<", 5], ["<=", 5], [">", 5], [">=", 5], [">", 0, "<", 1], [">=", -1, "<=", 1.5], [">", 0, "<=", 5]]) {
      accepts({ a: [{ numeric: spec }] });
    }
  });

  it("refuses operands that are not an array of operator and number", () => {
    refuses({ a: [{ numeric: 10 }] }, /^a\[0\]\.numeric: numeric needs an array/);
    refuses({ a: [{ numeric: [] }] });
    refuses({ a: [{ numeric: [">", 0, "<"] }] }, /got 3 items/);
    refuses({ a: [{ numeric: [">", "5"] }] }, /^a\[0\]\.numeric\[1\]: numeric needs a number/);
    refuses({ a: [{ numeric: ["==", 5] }] }, /numeric operator must be one of/);
    refuses({ a: [{ numeric: [5, ">"] }] });
    refuses({ a: [{ numeric: [">", 0, "<", 5, "<", 6] }] });
  });

  it("refuses ranges whose bounds are misordered, repeated or reversed", () => {
    refuses({ a: [{ numeric: [">", 0, ">", 0] }] }, /upper bound needs < or <=/);
    refuses({ a: [{ numeric: ["<", 5, ">", 0] }] }, /must start with > or >=/);
    refuses({ a: [{ numeric: ["=", 5, "<", 6] }] });
    refuses({ a: [{ numeric: [">", 5, "<", 5] }] }, /lower bound 5 must be less than upper bound 5/);
    refuses({ a: [{ numeric: [">=", 10, "<=", 1] }] });
  });

  it("refuses numbers beyond ±5.0e9", () => {
    accepts({ a: [{ numeric: [">=", -5e9, "<=", 5e9] }] });
    refuses({ a: [{ numeric: [">", 5000000001] }] }, /between -5\.0e9 and 5\.0e9/);
    refuses({ a: [{ numeric: [">", 0, "<", -6e9] }] });
  });
});

describe("$or validation", () => {
  it("accepts $or at the top level and nested levels", () => {
    accepts({ $or: [{ a: ["1"] }, { b: ["2"] }] });
    accepts({ detail: { $or: [{ a: ["1"] }, { b: { $or: [{ c: [1] }, { d: [2] }] } }] } });
  });

  it("refuses $or with fewer than two alternatives or with non-object alternatives", () => {
    refuses({ $or: [{ a: ["1"] }] }, /^\$or: \$or needs at least two alternatives, found 1/);
    refuses({ $or: [] });
    refuses({ $or: [{ a: ["1"] }, "b"] }, /^\$or\[1\]: each \$or alternative must be an object/);
    refuses({ $or: [{ a: ["1"] }, {}] }, /^\$or\[1\]: empty objects/);
    refuses({ $or: [{ a: 1 }, { b: ["2"] }] }, /^\$or\[0\]\.a: must be an array/);
  });

  it("reads an object under \"$or\" as a field named $or, as EventBridge does", () => {
    expect(compilePattern({ $or: { a: ["1"] } }).match({ $or: { a: "1" } })).toBe(true);
  });
});

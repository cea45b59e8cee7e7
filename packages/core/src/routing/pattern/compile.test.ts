import { describe, expect, it } from "vitest";
import { compilePattern, matchesPattern } from "./index.js";

const m = (pattern: unknown, event: unknown) => compilePattern(pattern).match(event);

describe("exact values", () => {
  it("matches strings exactly and case-sensitively, including the empty string", () => {
    expect(m({ source: ["a", "b"] }, { source: "b" })).toBe(true);
    expect(m({ source: ["a"] }, { source: "A" })).toBe(false);
    expect(m({ v: [""] }, { v: "" })).toBe(true);
    expect(m({ v: [""] }, {})).toBe(false);
  });

  it("compares numbers numerically, so 5 matches 5.0 and 3e2 matches 300, but never the string \"5\"", () => {
    expect(m({ n: [5] }, JSON.parse('{"n": 5.0}'))).toBe(true);
    expect(m({ n: [300] }, JSON.parse('{"n": 3e2}'))).toBe(true);
    expect(m({ n: [5] }, { n: "5" })).toBe(false);
    expect(m({ n: ["5"] }, { n: 5 })).toBe(false);
  });

  it("matches null and booleans only by their JSON value", () => {
    expect(m({ v: [null] }, { v: null })).toBe(true);
    expect(m({ v: [null] }, { v: "null" })).toBe(false);
    expect(m({ v: [null] }, {})).toBe(false);
    expect(m({ v: [false] }, { v: false })).toBe(true);
    expect(m({ v: [false] }, { v: 0 })).toBe(false);
    expect(m({ v: [true] }, { v: "true" })).toBe(false);
  });

  it("matches field names case-sensitively and needs every field (AND)", () => {
    expect(m({ MY_KEY: ["x"] }, { my_key: "x" })).toBe(false);
    expect(m({ a: ["1"], b: ["2"] }, { a: "1", b: "2" })).toBe(true);
    expect(m({ a: ["1"], b: ["2"] }, { a: "1", b: "3" })).toBe(false);
  });
});

describe("arrays and nesting in the event", () => {
  it("matches an event array when any element matches", () => {
    expect(m({ resources: ["r2", "r9"] }, { resources: ["r1", "r2"] })).toBe(true);
    expect(m({ resources: ["r9"] }, { resources: ["r1", "r2"] })).toBe(false);
    expect(m({ v: [3] }, { v: [[1], [2, [3]]] })).toBe(true);
  });

  it("does not match an object where a leaf value is expected", () => {
    expect(m({ detail: ["x"] }, { detail: { x: 1 } })).toBe(false);
  });

  it("does not parse strings that contain JSON", () => {
    expect(m({ detail: { k: ["v"] } }, { detail: '{"k":"v"}' })).toBe(false);
  });

  it("matches nested patterns inside arrays of objects, within a single element", () => {
    const event = { employees: [{ first: "John", last: "Doe" }, { first: "Anna", last: "Smith" }] };
    expect(m({ employees: { first: ["Anna"] } }, event)).toBe(true);
    expect(m({ employees: { first: ["Anna"], last: ["Smith"] } }, event)).toBe(true);
    expect(m({ employees: { first: ["Anna"], last: ["Doe"] } }, event)).toBe(false);
    expect(m({ employees: { first: ["Anna"], last: ["Smith"] } }, { employees: [[{ first: "Anna", last: "Smith" }]] })).toBe(true);
  });

  it("joins field names with dots, so nested pattern fields also read dotted event keys", () => {
    expect(m({ detail: { state: { status: ["running"] } } }, { detail: { "state.status": "running" } })).toBe(true);
    expect(m({ detail: { "state.status": ["running"] } }, { detail: { state: { status: "running" } } })).toBe(true);
    expect(m({ detail: { "state.status": { status: ["running"] } } }, { detail: { state: { status: "running" } } })).toBe(false);
  });

  it("ignores inherited properties such as constructor", () => {
    expect(m({ constructor: [{ exists: true }] }, {})).toBe(false);
    expect(m({ constructor: [{ exists: false }] }, {})).toBe(true);
    expect(m({ constructor: ["x"] }, { constructor: "x" })).toBe(true);
  });

  it("treats a non-object event as one with no fields", () => {
    expect(m({ a: ["x"] }, "x")).toBe(false);
    expect(m({ a: [{ exists: false }] }, null)).toBe(true);
  });
});

describe("prefix, suffix and equals-ignore-case", () => {
  it("matches prefixes and suffixes of strings only", () => {
    expect(m({ t: [{ prefix: "2017-10" }] }, { t: "2017-10-02T18:43:48Z" })).toBe(true);
    expect(m({ t: [{ prefix: "2017-10" }] }, { t: "2017-11-02" })).toBe(false);
    expect(m({ n: [{ prefix: "1" }] }, { n: 12 })).toBe(false);
    expect(m({ f: [{ suffix: ".png" }] }, { f: "a.png" })).toBe(true);
    expect(m({ f: [{ suffix: ".png" }] }, { f: "a.PNG" })).toBe(false);
    expect(m({ f: [{ suffix: "" }] }, { f: "anything" })).toBe(true);
  });

  it("ignores case in prefix, suffix and equals-ignore-case forms", () => {
    expect(m({ s: [{ prefix: { "equals-ignore-case": "EventB" } }] }, { s: "eVeNtBridge" })).toBe(true);
    expect(m({ s: [{ suffix: { "equals-ignore-case": ".png" } }] }, { s: "A.PNG" })).toBe(true);
    expect(m({ s: [{ suffix: { "equals-ignore-case": ".png" } }] }, { s: "a.jpg" })).toBe(false);
    expect(m({ s: [{ "equals-ignore-case": "alice" }] }, { s: "ALICE" })).toBe(true);
    expect(m({ s: [{ "equals-ignore-case": "alice" }] }, { s: "alice2" })).toBe(false);
    expect(m({ s: [{ "equals-ignore-case": "5" }] }, { s: 5 })).toBe(false);
  });
});

describe("wildcard", () => {
  it("matches strings against the glob, with escaped stars literal", () => {
    expect(m({ f: [{ wildcard: "dir/*.png" }] }, { f: "dir/a/b.png" })).toBe(true);
    expect(m({ f: [{ wildcard: "dir/*.png" }] }, { f: "other/a.png" })).toBe(false);
    expect(m({ f: [{ wildcard: "a\\*b" }] }, { f: "a*b" })).toBe(true);
    expect(m({ f: [{ wildcard: "a\\*b" }] }, { f: "axb" })).toBe(false);
    expect(m({ f: [{ wildcard: "*" }] }, { f: 1 })).toBe(false);
  });
});

describe("anything-but", () => {
  it("matches any present value except the excluded strings or numbers", () => {
    expect(m({ s: [{ "anything-but": "init" }] }, { s: "running" })).toBe(true);
    expect(m({ s: [{ "anything-but": "init" }] }, { s: "init" })).toBe(false);
    expect(m({ n: [{ "anything-but": [100, 200] }] }, JSON.parse('{"n": 100.0}'))).toBe(false);
    expect(m({ n: [{ "anything-but": [100, 200] }] }, { n: 150 })).toBe(true);
    expect(m({ n: [{ "anything-but": 100 }] }, { n: "100" })).toBe(true);
  });

  it("matches null and other types but never a missing field", () => {
    expect(m({ s: [{ "anything-but": ["a", "b"] }] }, { s: null })).toBe(true);
    expect(m({ s: [{ "anything-but": ["a", "b"] }] }, { s: true })).toBe(true);
    expect(m({ s: [{ "anything-but": ["a", "b"] }] }, {})).toBe(false);
    expect(m({ s: [{ "anything-but": ["a", "b"] }] }, { s: [] })).toBe(false);
  });

  it("matches an event array when any element is not excluded", () => {
    expect(m({ n: [{ "anything-but": [100, 500] }] }, { n: [100, 50] })).toBe(true);
    expect(m({ n: [{ "anything-but": [100, 500] }] }, { n: [100, 500] })).toBe(false);
  });

  it("excludes by prefix, suffix, case-insensitive equality and wildcard", () => {
    expect(m({ s: [{ "anything-but": { prefix: ["init", "post"] } }] }, { s: "post-init" })).toBe(false);
    expect(m({ s: [{ "anything-but": { prefix: "init" } }] }, { s: "running" })).toBe(true);
    expect(m({ s: [{ "anything-but": { prefix: "init" } }] }, { s: 12 })).toBe(true);
    expect(m({ f: [{ "anything-but": { suffix: ".txt" } }] }, { f: "a.txt" })).toBe(false);
    expect(m({ f: [{ "anything-but": { suffix: ".txt" } }] }, { f: "a.txt.bak" })).toBe(true);
    expect(m({ s: [{ "anything-but": { "equals-ignore-case": ["Stopped"] } }] }, { s: "STOPPED" })).toBe(false);
    expect(m({ s: [{ "anything-but": { "equals-ignore-case": "stopped" } }] }, { s: "pending" })).toBe(true);
    expect(m({ f: [{ "anything-but": { wildcard: "*/lib/*" } }] }, { f: "src/lib/a.js" })).toBe(false);
    expect(m({ f: [{ "anything-but": { wildcard: ["*/lib/*", "*.md"] } }] }, { f: "src/app/a.js" })).toBe(true);
    expect(m({ f: [{ "anything-but": { wildcard: "" } }] }, { f: "x" })).toBe(true);
    expect(m({ f: [{ "anything-but": { wildcard: "" } }] }, { f: "" })).toBe(false);
  });
});

describe("numeric", () => {
  it("compares JSON numbers against single bounds and equality", () => {
    expect(m({ n: [{ numeric: ["=", 301.8] }] }, { n: 301.8 })).toBe(true);
    expect(m({ n: [{ numeric: ["=", 5] }] }, JSON.parse('{"n": 5.0}'))).toBe(true);
    expect(m({ n: [{ numeric: ["<", 10] }] }, { n: 10 })).toBe(false);
    expect(m({ n: [{ numeric: ["<=", 10] }] }, { n: 10 })).toBe(true);
    expect(m({ n: [{ numeric: [">", 10] }] }, { n: 10 })).toBe(false);
    expect(m({ n: [{ numeric: [">=", 10] }] }, { n: 10 })).toBe(true);
  });

  it("honours open and closed ends of a range", () => {
    const p = { n: [{ numeric: [">", 0, "<=", 5] }] };
    expect(m(p, { n: 0 })).toBe(false);
    expect(m(p, { n: 0.000001 })).toBe(true);
    expect(m(p, { n: 5 })).toBe(true);
    expect(m(p, { n: 5.1 })).toBe(false);
    expect(m({ n: [{ numeric: [">=", 0, "<", 5] }] }, { n: 0 })).toBe(true);
    expect(m({ n: [{ numeric: [">=", 0, "<", 5] }] }, { n: 5 })).toBe(false);
  });

  it("never matches strings, null or booleans, and matches any number in an event array", () => {
    expect(m({ n: [{ numeric: [">", 100] }] }, { n: "101" })).toBe(false);
    expect(m({ n: [{ numeric: [">", 100] }] }, { n: null })).toBe(false);
    expect(m({ n: [{ numeric: [">", 100] }] }, { n: true })).toBe(false);
    expect(m({ n: [{ numeric: [">", 100] }] }, { n: [1, "500", 101] })).toBe(true);
  });
});

describe("cidr", () => {
  it("matches IPv4 and IPv6 address strings inside the block", () => {
    expect(m({ ip: [{ cidr: "10.0.0.0/24" }] }, { ip: "10.0.0.33" })).toBe(true);
    expect(m({ ip: [{ cidr: "10.0.0.0/24" }] }, { ip: "10.0.1.33" })).toBe(false);
    expect(m({ ip: [{ cidr: "2001:db8::/32" }] }, { ip: "2001:DB8:0:1::5" })).toBe(true);
    expect(m({ ip: [{ cidr: "2001:db8::/32" }] }, { ip: "2001:db9::5" })).toBe(false);
    expect(m({ ip: [{ cidr: "10.0.0.0/8" }] }, { ip: 167772161 })).toBe(false);
  });
});

describe("exists", () => {
  it("exists:true needs a scalar value, null included, and not an object or empty array", () => {
    expect(m({ a: [{ exists: true }] }, { a: "x" })).toBe(true);
    expect(m({ a: [{ exists: true }] }, { a: null })).toBe(true);
    expect(m({ a: [{ exists: true }] }, { a: { b: 1 } })).toBe(false);
    expect(m({ a: [{ exists: true }] }, { a: [] })).toBe(false);
    expect(m({ a: [{ exists: true }] }, {})).toBe(false);
  });

  it("exists:false matches a missing leaf, a missing parent, a scalar parent, an object or an empty array", () => {
    const p = { detail: { c: [{ exists: false }] } };
    expect(m(p, { detail: {} })).toBe(true);
    expect(m(p, {})).toBe(true);
    expect(m(p, { detail: "text" })).toBe(true);
    expect(m(p, { detail: { c: { c1: 100 } } })).toBe(true);
    expect(m(p, { detail: { c: [] } })).toBe(true);
    expect(m(p, { detail: { c: null } })).toBe(false);
    expect(m(p, { detail: { c: 0 } })).toBe(false);
  });

  it("exists:false under several missing levels still matches", () => {
    const p = { dynamodb: { NewImage: { homemade: { S: [{ exists: false }] } } } };
    expect(m(p, { dynamodb: { NewImage: { purchased: { N: "1" } } } })).toBe(true);
    expect(m(p, { source: "x" })).toBe(true);
    expect(m(p, { dynamodb: { NewImage: { homemade: { S: "a" } } } })).toBe(false);
  });

  it("combines with other fields of a missing parent only when they can all be absent", () => {
    expect(m({ d: { a: [{ exists: false }], b: [{ exists: false }] } }, {})).toBe(true);
    expect(m({ d: { a: [{ exists: false }], b: ["x"] } }, {})).toBe(false);
  });

  it("OR's with other values in the same leaf", () => {
    const p = { s: [{ "anything-but": ["roses"] }, { exists: false }] };
    expect(m(p, {})).toBe(true);
    expect(m(p, { s: "tulips" })).toBe(true);
    expect(m(p, { s: "roses" })).toBe(false);
  });

  it("checks exists within each element of an array of objects", () => {
    const event = { items: [{ id: "1" }, { name: "n" }] };
    expect(m({ items: { id: [{ exists: true }] } }, event)).toBe(true);
    expect(m({ items: { id: [{ exists: false }], name: ["n"] } }, event)).toBe(true);
    expect(m({ items: { id: [{ exists: false }], name: ["n"] } }, { items: [{ id: "1", name: "n" }] })).toBe(false);
    expect(m({ items: { id: [{ exists: false }], x: [{ exists: false }] } }, { items: [] })).toBe(true);
  });
});

describe("$or", () => {
  it("matches when any alternative matches at its level", () => {
    const p = { source: ["s"], $or: [{ a: ["1"] }, { b: ["2"] }] };
    expect(m(p, { source: "s", b: "2" })).toBe(true);
    expect(m(p, { source: "s", a: "1" })).toBe(true);
    expect(m(p, { source: "s", a: "2" })).toBe(false);
    expect(m(p, { source: "t", a: "1" })).toBe(false);
  });

  it("nests inside objects and inside other $or alternatives", () => {
    const p = {
      detail: {
        $or: [{ kind: ["video"] }, { kind: ["audio"], $or: [{ codec: ["aac"] }, { bitrate: [{ numeric: [">", 1000] }] }] }],
      },
    };
    expect(m(p, { detail: { kind: "video" } })).toBe(true);
    expect(m(p, { detail: { kind: "audio", codec: "aac" } })).toBe(true);
    expect(m(p, { detail: { kind: "audio", bitrate: 2000 } })).toBe(true);
    expect(m(p, { detail: { kind: "audio", bitrate: 10 } })).toBe(false);
  });

  it("requires every parallel $or group to match", () => {
    const p = { $or: [{ a: ["1"] }, { b: ["1"] }], detail: { $or: [{ c: ["1"] }, { d: ["1"] }] } };
    expect(m(p, { a: "1", detail: { d: "1" } })).toBe(true);
    expect(m(p, { a: "1", detail: { e: "1" } })).toBe(false);
  });

  it("lets an alternative of exists:false match a missing parent", () => {
    const p = { detail: { $or: [{ a: [{ exists: false }] }, { a: ["x"] }] } };
    expect(m(p, {})).toBe(true);
    expect(m(p, { detail: { a: "y" } })).toBe(false);
  });
});

describe("compiled patterns", () => {
  it("keep the original pattern and cache compilation by identity in matchesPattern", () => {
    const pattern = { source: ["media-pipeline"], detail: { kind: ["video"] } };
    expect(compilePattern(pattern).pattern).toBe(pattern);
    expect(matchesPattern(pattern, { source: "media-pipeline", detail: { kind: "video" } })).toBe(true);
    expect(matchesPattern(pattern, { source: "media-pipeline", detail: { kind: "audio" } })).toBe(false);
  });
});

import type { Condition, Exclusion, NumericRange } from "./ast.js";
import { parseCidr } from "./cidr.js";
import { fail, isPlainObject, typeName } from "./fail.js";
import { parseWildcard } from "./wildcard.js";

/** Operator names, case-sensitive as EventBridge has them (`NUMERIC` is refused). */
export const OPERATORS = new Set([
  "prefix",
  "suffix",
  "equals-ignore-case",
  "wildcard",
  "anything-but",
  "numeric",
  "exists",
  "cidr",
]);

/**
 * EventBridge compares numbers in a fixed-point form limited to ±5.0e9 (six decimal places), and
 * refuses numeric operands outside it.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-numeric-matching
 */
export const NUMERIC_LIMIT = 5e9;

/** Parses one element of a leaf array: an exact value or a one-key operator object. */
export function parseCondition(item: unknown, path: string): Condition {
  if (item === null || typeof item === "string" || typeof item === "boolean") return { op: "equals", value: item };
  if (typeof item === "number") {
    if (!Number.isFinite(item)) fail(path, "numbers must be finite");
    return { op: "equals", value: item };
  }
  if (Array.isArray(item)) fail(path, "a match value must be a string, number, boolean, null or operator object, not an array");
  if (!isPlainObject(item)) fail(path, `unsupported match value (${typeName(item)})`);
  const keys = Object.keys(item);
  if (keys.length === 0) fail(path, "empty objects are not allowed");
  if (keys.length > 1) fail(path, `an operator object has exactly one key, found ${keys.map((k) => `"${k}"`).join(", ")}`);
  const op = keys[0];
  const operand = item[op];
  const at = `${path}.${op}`;
  switch (op) {
    case "prefix":
    case "suffix":
      return parseAffix(op, operand, at);
    case "equals-ignore-case":
      return { op, value: requireString(operand, at, "equals-ignore-case") };
    case "wildcard":
      return { op, value: parseWildcard(requireString(operand, at, "wildcard"), at) };
    case "anything-but":
      return { op, exclude: parseAnythingBut(operand, at) };
    case "numeric":
      return { op, range: parseNumeric(operand, at) };
    case "exists":
      if (typeof operand !== "boolean") fail(at, `exists needs true or false, not ${typeName(operand)}`);
      return { op, value: operand };
    case "cidr":
      return { op, value: parseCidr(requireString(operand, at, "cidr"), at) };
    default:
      fail(path, `unknown operator "${op}" (operators are case-sensitive: ${[...OPERATORS].join(", ")})`);
  }
}

function requireString(operand: unknown, path: string, op: string): string {
  if (typeof operand !== "string") fail(path, `${op} needs a string, not ${typeName(operand)}`);
  return operand;
}

/** `prefix`/`suffix`: a string, or `{ "equals-ignore-case": string }`. */
function parseAffix(op: "prefix" | "suffix", operand: unknown, path: string): Condition {
  if (typeof operand === "string") return { op, value: operand, ignoreCase: false };
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length === 1 && keys[0] === "equals-ignore-case") {
      const value = requireString(operand["equals-ignore-case"], `${path}.equals-ignore-case`, "equals-ignore-case");
      return { op, value, ignoreCase: true };
    }
    fail(path, `${op} accepts only a string or {"equals-ignore-case": string}`);
  }
  fail(path, `${op} needs a string, not ${typeName(operand)}`);
}

/**
 * `anything-but`: a string, a number, a non-empty list of only strings or only numbers, or one of
 * `prefix`, `suffix`, `equals-ignore-case`, `wildcard` (each a string or a list of strings).
 */
function parseAnythingBut(operand: unknown, path: string): Exclusion {
  if (typeof operand === "string") return { kind: "strings", values: [operand] };
  if (typeof operand === "number") return { kind: "numbers", values: [checkNumber(operand, path)] };
  if (Array.isArray(operand)) {
    if (operand.length === 0) fail(path, "anything-but needs a non-empty list");
    if (operand.every((v) => typeof v === "string")) return { kind: "strings", values: operand as string[] };
    if (operand.every((v) => typeof v === "number")) {
      return { kind: "numbers", values: operand.map((v: number, i) => checkNumber(v, `${path}[${i}]`)) };
    }
    fail(path, "anything-but lists must contain only strings or only numbers");
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1) fail(path, "anything-but takes one of prefix, suffix, equals-ignore-case or wildcard");
    const kind = keys[0];
    const inner = operand[kind];
    const at = `${path}.${kind}`;
    switch (kind) {
      case "prefix":
      case "suffix": {
        const values = stringList(inner, at, `anything-but ${kind}`);
        values.forEach((v, i) => {
          if (v === "") fail(Array.isArray(inner) ? `${at}[${i}]` : at, `anything-but ${kind} must not be empty`);
        });
        return { kind, values };
      }
      case "equals-ignore-case":
        return { kind, values: stringList(inner, at, "anything-but equals-ignore-case") };
      case "wildcard": {
        const values = stringList(inner, at, "anything-but wildcard");
        return {
          kind,
          values: values.map((v, i) => parseWildcard(v, Array.isArray(inner) ? `${at}[${i}]` : at)),
        };
      }
      default:
        fail(path, `anything-but does not support "${kind}" (use prefix, suffix, equals-ignore-case or wildcard)`);
    }
  }
  fail(path, `anything-but needs a string, a number, a list or an operator object, not ${typeName(operand)}`);
}

function stringList(operand: unknown, path: string, what: string): string[] {
  if (typeof operand === "string") return [operand];
  if (Array.isArray(operand)) {
    if (operand.length === 0) fail(path, `${what} needs a non-empty list`);
    operand.forEach((v, i) => {
      if (typeof v !== "string") fail(`${path}[${i}]`, `${what} accepts only strings, not ${typeName(v)}`);
    });
    return operand as string[];
  }
  fail(path, `${what} needs a string or a list of strings, not ${typeName(operand)}`);
}

function checkNumber(value: number, path: string): number {
  if (!Number.isFinite(value) || value < -NUMERIC_LIMIT || value > NUMERIC_LIMIT) {
    fail(path, `numbers here must be between -5.0e9 and 5.0e9 inclusive, got ${value}`);
  }
  return value;
}

const LOWER = new Set([">", ">="]);
const UPPER = new Set(["<", "<="]);

/**
 * `numeric`: `["=", x]`, `["<" | "<=", x]`, `[">" | ">=", x]`, or a range
 * `[">" | ">=", low, "<" | "<=", high]` with low < high. Anything else is refused, as EventBridge does.
 */
function parseNumeric(operand: unknown, path: string): NumericRange {
  if (!Array.isArray(operand)) fail(path, `numeric needs an array like [">", 0, "<=", 5], not ${typeName(operand)}`);
  if (operand.length !== 2 && operand.length !== 4) {
    fail(path, `numeric needs an operator and a number, or a lower and an upper bound; got ${operand.length} items`);
  }
  const [op1, v1] = operand;
  if (typeof op1 !== "string" || !(op1 === "=" || LOWER.has(op1) || UPPER.has(op1))) {
    fail(`${path}[0]`, `numeric operator must be one of =, <, <=, >, >=; got ${JSON.stringify(op1)}`);
  }
  if (typeof v1 !== "number") fail(`${path}[1]`, `numeric needs a number after "${op1}", not ${typeName(v1)}`);
  const first = checkNumber(v1, `${path}[1]`);
  if (operand.length === 2) {
    if (op1 === "=") return { min: first, minInclusive: true, max: first, maxInclusive: true };
    if (LOWER.has(op1)) return { min: first, minInclusive: op1 === ">=", max: Infinity, maxInclusive: false };
    return { min: -Infinity, minInclusive: false, max: first, maxInclusive: op1 === "<=" };
  }
  if (!LOWER.has(op1)) fail(`${path}[0]`, `numeric range must start with > or >=, not "${op1}"`);
  const [, , op2, v2] = operand;
  if (typeof op2 !== "string" || !UPPER.has(op2)) {
    fail(`${path}[2]`, `numeric range upper bound needs < or <=, got ${JSON.stringify(op2)}`);
  }
  if (typeof v2 !== "number") fail(`${path}[3]`, `numeric needs a number after "${op2}", not ${typeName(v2)}`);
  const second = checkNumber(v2, `${path}[3]`);
  if (!(first < second)) fail(path, `numeric range lower bound ${first} must be less than upper bound ${second}`);
  return { min: first, minInclusive: op1 === ">=", max: second, maxInclusive: op2 === "<=" };
}

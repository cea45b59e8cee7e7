import type { Condition, Exclusion, NumericRange } from "./ast.js";
import { matchCidr } from "./cidr.js";
import { matchWildcard } from "./wildcard.js";

/** A leaf value from the event: JSON's scalars. Objects are never leaves (exists works on leaves only). */
export type Scalar = string | number | boolean | null;

/** A compiled leaf: `test` for each present scalar; `absent` is the answer when no scalar is present. */
export interface LeafMatcher {
  readonly test: (value: Scalar) => boolean;
  readonly absent: boolean;
}

/**
 * Compiles a leaf's conditions (OR'd) into one test. Exact values share one Set lookup (strings and
 * numbers stay distinct, and 5 and 5.0 are one number once parsed), so the usual `["video"]` leaf
 * costs a single comparison.
 */
export function compileLeaf(conditions: readonly Condition[]): LeafMatcher {
  const absent = conditions.some((c) => c.op === "exists" && !c.value);
  if (conditions.some((c) => c.op === "exists" && c.value)) return { test: () => true, absent };
  const exact = new Set<Scalar>();
  const others: ((value: Scalar) => boolean)[] = [];
  for (const c of conditions) {
    if (c.op === "equals") exact.add(c.value);
    else if (c.op !== "exists") others.push(compileCondition(c));
  }
  return { test: combine(exact, others), absent };
}

function combine(exact: Set<Scalar>, others: ((value: Scalar) => boolean)[]): (value: Scalar) => boolean {
  if (others.length === 0) {
    if (exact.size === 0) return () => false;
    if (exact.size === 1) {
      const only = exact.values().next().value;
      return (v) => v === only;
    }
    return (v) => exact.has(v);
  }
  if (exact.size === 0 && others.length === 1) return others[0];
  return (v) => {
    if (exact.has(v)) return true;
    for (let i = 0; i < others.length; i++) if (others[i](v)) return true;
    return false;
  };
}

function compileCondition(c: Exclude<Condition, { op: "equals" | "exists" }>): (value: Scalar) => boolean {
  switch (c.op) {
    case "prefix": {
      if (!c.ignoreCase) {
        const p = c.value;
        return (v) => typeof v === "string" && v.startsWith(p);
      }
      const p = c.value.toLowerCase();
      return (v) => typeof v === "string" && v.toLowerCase().startsWith(p);
    }
    case "suffix": {
      if (!c.ignoreCase) {
        const s = c.value;
        return (v) => typeof v === "string" && v.endsWith(s);
      }
      const s = c.value.toLowerCase();
      return (v) => typeof v === "string" && v.toLowerCase().endsWith(s);
    }
    case "equals-ignore-case": {
      const lower = c.value.toLowerCase();
      return (v) => typeof v === "string" && v.toLowerCase() === lower;
    }
    case "wildcard": {
      const w = c.value;
      return (v) => typeof v === "string" && matchWildcard(w, v);
    }
    case "numeric":
      return numericTest(c.range);
    case "cidr": {
      const block = c.value;
      return (v) => typeof v === "string" && matchCidr(block, v);
    }
    case "anything-but": {
      const excluded = exclusionTest(c.exclude);
      // Any present scalar that is not excluded matches, whatever its type (null and numbers
      // match a string exclusion); a missing field never does.
      return (v) => !excluded(v);
    }
  }
}

/** Numeric matching applies to JSON numbers only; the string "5" is not a number. */
function numericTest(r: NumericRange): (value: Scalar) => boolean {
  const { min, max, minInclusive, maxInclusive } = r;
  if (min === max) return (v) => v === min;
  return (v) =>
    typeof v === "number" && (minInclusive ? v >= min : v > min) && (maxInclusive ? v <= max : v < max);
}

function exclusionTest(e: Exclusion): (value: Scalar) => boolean {
  switch (e.kind) {
    case "strings":
    case "numbers": {
      const set = new Set<Scalar>(e.values);
      return (v) => set.has(v);
    }
    case "prefix": {
      const ps = e.values;
      return (v) => typeof v === "string" && ps.some((p) => v.startsWith(p));
    }
    case "suffix": {
      const ss = e.values;
      return (v) => typeof v === "string" && ss.some((s) => v.endsWith(s));
    }
    case "equals-ignore-case": {
      const set = new Set(e.values.map((s) => s.toLowerCase()));
      return (v) => typeof v === "string" && set.has(v.toLowerCase());
    }
    case "wildcard": {
      const ws = e.values;
      return (v) => typeof v === "string" && ws.some((w) => matchWildcard(w, v));
    }
  }
}

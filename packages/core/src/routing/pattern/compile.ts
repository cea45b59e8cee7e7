import type { FieldNode, LeafNode, ObjectNode } from "./ast.js";
import { compileLeaf, type LeafMatcher, type Scalar } from "./predicates.js";

type JsonObject = Record<string, unknown>;

/** A compiled object level: `match` for an object in the event, `absent` when there is none. */
export interface ObjectMatcher {
  readonly match: (o: JsonObject) => boolean;
  readonly absent: boolean;
}

/**
 * Compiles the validated tree into closures, once. Matching then walks only the paths the pattern
 * names, with no parsing or allocation on the usual path.
 *
 * Semantics follow EventBridge (event-ruler, which EventBridge uses):
 * - Field names join with `.`, so `{"a": {"b": [...]}}` also reads an event key `"a.b"`.
 * - Arrays in the event are crushed: a leaf matches if any scalar element does, and a nested object
 *   pattern must match within one element (array-consistent matching).
 * - Only scalars are leaves: an object (or an empty array) where a leaf is expected counts as absent,
 *   so `exists: false` matches it and `exists: true` does not.
 * - A missing parent makes its children absent, so `exists: false` matches below it.
 */
export function compileObject(node: ObjectNode): ObjectMatcher {
  const fields = [...node.fields]
    .map(compileField)
    // Leaves first: they are cheaper than descending, and a failed leaf ends the check early.
    .sort((a, b) => Number(a.nested) - Number(b.nested));
  const ors = node.ors.map((branches) => branches.map(compileObject));
  const absent =
    fields.every((f) => f.absent) && ors.every((branches) => branches.some((b) => b.absent));
  const tests = fields.map((f) => f.test);
  const nTests = tests.length;
  if (ors.length === 0) {
    if (nTests === 1) return { match: tests[0], absent };
    if (nTests === 2) {
      const [t0, t1] = tests;
      return { match: (o) => t0(o) && t1(o), absent };
    }
    if (nTests === 3) {
      const [t0, t1, t2] = tests;
      return { match: (o) => t0(o) && t1(o) && t2(o), absent };
    }
  }
  const match = (o: JsonObject): boolean => {
    for (let i = 0; i < nTests; i++) if (!tests[i](o)) return false;
    for (let g = 0; g < ors.length; g++) {
      const branches = ors[g];
      let any = false;
      for (let b = 0; b < branches.length && !any; b++) any = branches[b].match(o);
      if (!any) return false;
    }
    return true;
  };
  return { match, absent };
}

interface CompiledField {
  readonly test: (o: JsonObject) => boolean;
  readonly absent: boolean;
  readonly nested: boolean;
}

function compileField(field: FieldNode): CompiledField {
  // Collapse single-key chains (`detail: { kind: [...] }`) into one dotted path, which is how
  // EventBridge names fields and lets an event key "detail.kind" match too.
  const segs = field.key.split(".");
  let child: LeafNode | ObjectNode = field.child;
  while (child.kind === "object" && child.fields.length === 1 && child.ors.length === 0) {
    segs.push(...child.fields[0].key.split("."));
    child = child.fields[0].child;
  }
  const lookup = compileLookup(segs);
  if (child.kind === "leaf") {
    const leaf = compileLeaf(child.conditions);
    const { test, absent } = leaf;
    return {
      nested: false,
      absent,
      test: (o) => {
        const raw = lookup(o);
        if (raw === undefined) return absent;
        if (typeof raw !== "object" || raw === null) return test(raw as Scalar);
        const found = scanLeaf(leaf, raw);
        return found === FOUND || (found === NONE && absent);
      },
    };
  }
  const inner = compileObject(child);
  return { nested: true, absent: inner.absent, test: (o) => matchNested(inner, lookup(o)) };
}

const FOUND = 1;
const PRESENT = 0;
const NONE = -1;

/** Scans a (possibly nested) array for scalars: FOUND if one matches, PRESENT if some exist, else NONE. */
function scanLeaf(leaf: LeafMatcher, raw: unknown): number {
  if (raw === undefined) return NONE;
  if (typeof raw !== "object" || raw === null) return leaf.test(raw as Scalar) ? FOUND : PRESENT;
  if (!Array.isArray(raw)) return NONE;
  let result = NONE;
  for (let i = 0; i < raw.length; i++) {
    const r = scanLeaf(leaf, raw[i]);
    if (r === FOUND) return FOUND;
    if (r === PRESENT) result = PRESENT;
  }
  return result;
}

function matchNested(inner: ObjectMatcher, raw: unknown): boolean {
  if (typeof raw !== "object" || raw === null) return inner.absent;
  if (!Array.isArray(raw)) return inner.match(raw as JsonObject);
  const found = scanObjects(inner, raw);
  return found === FOUND || (found === NONE && inner.absent);
}

/** Like scanLeaf, for object elements of an array: each element is matched on its own. */
function scanObjects(inner: ObjectMatcher, raw: unknown[]): number {
  let result = NONE;
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i];
    if (typeof e !== "object" || e === null) continue;
    const r = Array.isArray(e) ? scanObjects(inner, e) : inner.match(e as JsonObject) ? FOUND : PRESENT;
    if (r === FOUND) return FOUND;
    if (r === PRESENT) result = PRESENT;
  }
  return result;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Reads an own property; names that exist on Object.prototype ("constructor") are checked as own. */
function compileGet(key: string): (o: JsonObject) => unknown {
  if (key in Object.prototype) return (o) => (hasOwn.call(o, key) ? o[key] : undefined);
  return (o) => o[key];
}

/**
 * Compiles a reader for a dotted path. It returns the value found, undefined when absent, or an
 * array of every value when the path crosses an array or the event itself uses dotted keys (the
 * caller crushes arrays anyway, so both read the same).
 */
function compileLookup(segs: readonly string[]): (o: JsonObject) => unknown {
  const n = segs.length;
  const gets = segs.map(compileGet);
  if (n === 1) return gets[0];
  // alternates[i]: readers for keys joining segs[i..j] (j > i), e.g. "detail.kind" at the root.
  const alternates = segs.map((_, i) => segs.slice(i + 1).map((__, k) => compileGet(segs.slice(i, i + k + 2).join("."))));
  const slow = (o: JsonObject): unknown => {
    const out: unknown[] = [];
    collect(o, 0, out);
    return out.length === 0 ? undefined : out.length === 1 ? out[0] : out;
  };
  const collect = (value: unknown, i: number, out: unknown[]): void => {
    if (i === n) {
      out.push(value);
      return;
    }
    if (typeof value !== "object" || value === null) return;
    if (Array.isArray(value)) {
      for (const e of value) collect(e, i, out);
      return;
    }
    const o = value as JsonObject;
    const direct = gets[i](o);
    if (direct !== undefined) collect(direct, i + 1, out);
    const alts = alternates[i];
    for (let k = 0; k < alts.length; k++) {
      const v = alts[k](o);
      if (v !== undefined) collect(v, i + k + 2, out);
    }
  };
  return (o) => {
    let cur: unknown = o;
    for (let i = 0; i < n; i++) {
      if (typeof cur !== "object" || cur === null) return undefined;
      if (Array.isArray(cur)) return slow(o);
      const alts = alternates[i];
      for (let k = 0; k < alts.length; k++) if (alts[k](cur as JsonObject) !== undefined) return slow(o);
      cur = gets[i](cur as JsonObject);
      if (cur === undefined) return undefined;
    }
    return cur;
  };
}

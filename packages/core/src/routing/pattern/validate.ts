import type { FieldNode, LeafNode, ObjectNode } from "./ast.js";
import { childPath, fail, isPlainObject, typeName } from "./fail.js";
import { parseCondition } from "./operators.js";

/**
 * Parses an event pattern (an object, or its JSON text) into the validated tree, refusing every
 * pattern EventBridge refuses with an InvalidPatternError that names the JSON path.
 *
 * Structure rules (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html):
 * every leaf is a non-empty array of values/operators; objects nest; `$or` is an array of at least
 * two non-empty pattern objects and may appear at any level.
 *
 * @example parsePattern({ source: ["media-pipeline"], detail: { kind: ["video"] } })
 */
export function parsePattern(pattern: unknown): ObjectNode {
  let value = pattern;
  if (typeof pattern === "string") {
    try {
      value = JSON.parse(pattern);
    } catch (cause) {
      fail("pattern", `is not valid JSON (${(cause as Error).message})`);
    }
  }
  if (!isPlainObject(value)) fail("pattern", `must be a JSON object, not ${typeName(value)}`);
  return parseObject(value, "");
}

function parseObject(obj: Record<string, unknown>, path: string): ObjectNode {
  const keys = Object.keys(obj);
  if (keys.length === 0) fail(path || "pattern", "empty objects are not allowed");
  const fields: FieldNode[] = [];
  const ors: ObjectNode[][] = [];
  for (const key of keys) {
    const value = obj[key];
    const at = childPath(path, key);
    if (key === "$or" && Array.isArray(value)) {
      ors.push(parseOr(value, at));
    } else if (isPlainObject(value)) {
      fields.push({ key, child: parseObject(value, at) });
    } else if (Array.isArray(value)) {
      fields.push({ key, child: parseLeaf(value, at) });
    } else {
      fail(at, `must be an array of match values or a nested object, not ${typeName(value)}`);
    }
  }
  return { kind: "object", fields, ors };
}

/** `$or`: each branch is a full pattern object matched against the same level of the event. */
function parseOr(branches: unknown[], path: string): ObjectNode[] {
  if (branches.length < 2) fail(path, `$or needs at least two alternatives, found ${branches.length}`);
  return branches.map((branch, i) => {
    const at = `${path}[${i}]`;
    if (!isPlainObject(branch)) fail(at, `each $or alternative must be an object, not ${typeName(branch)}`);
    return parseObject(branch, at);
  });
}

function parseLeaf(values: unknown[], path: string): LeafNode {
  if (values.length === 0) fail(path, "empty arrays are not allowed");
  return { kind: "leaf", conditions: values.map((item, i) => parseCondition(item, `${path}[${i}]`)) };
}

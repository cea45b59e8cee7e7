import { isPlainObject } from "./fail.js";
import { compileObject } from "./compile.js";
import { parsePattern } from "./validate.js";

/**
 * EventBridge event patterns, matched locally with EventBridge's documented content filtering:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 *
 * The local bus and the SSE/webhook subscriptions use this; the cloud uses EventBridge itself, so
 * the two must agree, including on which patterns are refused.
 */

/** A pattern validated and compiled once; `match` is cheap enough to call per route per event. */
export interface CompiledPattern {
  readonly pattern: unknown;
  match(event: unknown): boolean;
}

/**
 * Validates (throwing InvalidPatternError naming the JSON path, e.g. `detail.size[0].numeric: ...`)
 * and compiles once. Accepts the pattern as an object or as its JSON text.
 *
 * @example
 * const p = compilePattern({ source: ["media-pipeline"], detail: { kind: ["video"] } });
 * p.match({ source: "media-pipeline", detail: { kind: "video" } }); // true
 */
export function compilePattern(pattern: unknown): CompiledPattern {
  const root = compileObject(parsePattern(pattern));
  const { match: matchRoot, absent } = root;
  return {
    pattern,
    match: (event) => (isPlainObject(event) ? matchRoot(event) : absent),
  };
}

/** Throws InvalidPatternError when EventBridge would refuse the pattern. */
export function validatePattern(pattern: unknown): void {
  parsePattern(pattern);
}

const cache = new WeakMap<object, CompiledPattern>();

/** Convenience for one-off checks; compiled patterns are cached by the pattern object's identity. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (typeof pattern !== "object" || pattern === null) return compilePattern(pattern).match(event);
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    compiled = compilePattern(pattern);
    cache.set(pattern, compiled);
  }
  return compiled.match(event);
}

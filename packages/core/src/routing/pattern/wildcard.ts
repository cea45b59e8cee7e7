import type { Wildcard } from "./ast.js";
import { fail } from "./fail.js";

/**
 * EventBridge refuses wildcard patterns that make its matcher too non-deterministic ("Rule is too
 * complex"). Its real measure is a state-machine complexity score; the count of wildcards is the
 * documented lever ("use fewer wildcard characters"), and more than five is where it refuses.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
const MAX_WILDCARDS = 5;

/**
 * Parses a `wildcard` operand. `*` matches any run of characters (including none); `\*` is a literal
 * asterisk and `\\` a literal backslash; a backslash before anything else, and two wildcards in a
 * row, are refused as EventBridge refuses them.
 */
export function parseWildcard(source: string, path: string): Wildcard {
  const segments: string[] = [];
  let current = "";
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      const next = source[i + 1];
      if (next !== "*" && next !== "\\") {
        fail(path, `wildcard has an invalid escape at position ${i + 1}: only \\* and \\\\ are allowed`);
      }
      current += next;
      i++;
    } else if (c === "*") {
      if (source[i + 1] === "*") fail(path, `wildcard has consecutive wildcard characters at position ${i + 2}`);
      segments.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  segments.push(current);
  if (segments.length - 1 > MAX_WILDCARDS) {
    fail(path, `wildcard is too complex: at most ${MAX_WILDCARDS} wildcard characters are allowed`);
  }
  return { source, segments };
}

/**
 * Glob match without regular expressions: anchored first and last pieces, then each middle piece at
 * its leftmost position. Leftmost is always safe for `*`-only globs and keeps matching linear.
 */
export function matchWildcard(pattern: Wildcard, value: string): boolean {
  const segs = pattern.segments;
  const n = segs.length;
  if (n === 1) return value === segs[0];
  const first = segs[0];
  const last = segs[n - 1];
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let pos = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < n - 1; i++) {
    const seg = segs[i];
    if (seg === "") continue;
    const at = value.indexOf(seg, pos);
    if (at < 0 || at + seg.length > end) return false;
    pos = at + seg.length;
  }
  return true;
}

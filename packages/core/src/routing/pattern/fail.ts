import { InvalidPatternError } from "../../errors.js";

/** Refuses a pattern, naming the JSON path of the offending part (`detail.size[0]: ...`). */
export function fail(path: string, message: string): never {
  throw new InvalidPatternError(`${path}: ${message}`);
}

/** `detail` + `size` → `detail.size`; the root path is empty so top-level keys read bare. */
export function childPath(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Describes a JSON value's type for error messages. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

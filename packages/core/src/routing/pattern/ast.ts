/**
 * The validated form of an event pattern. `validate.ts` builds it (refusing anything EventBridge
 * refuses); `compile.ts` turns it into closures. Keeping the two apart means validation errors name
 * JSON paths while the matcher stays free of checks.
 */

/** A parsed `wildcard` operand: the literal pieces between unescaped `*` characters. */
export interface Wildcard {
  readonly source: string;
  /** `segments.length - 1` is the number of wildcards; segments are unescaped literals. */
  readonly segments: readonly string[];
}

/** A parsed `cidr` operand. IPv4 uses one 32-bit word, IPv6 eight 16-bit words. */
export interface Cidr {
  readonly source: string;
  readonly family: 4 | 6;
  /** The network address, already masked to `bits`. */
  readonly words: readonly number[];
  readonly bits: number;
}

/** A numeric interval; `=` is the closed interval [x, x]. */
export interface NumericRange {
  readonly min: number;
  readonly minInclusive: boolean;
  readonly max: number;
  readonly maxInclusive: boolean;
}

/** What an `anything-but` excludes. */
export type Exclusion =
  | { readonly kind: "strings"; readonly values: readonly string[] }
  | { readonly kind: "numbers"; readonly values: readonly number[] }
  | { readonly kind: "prefix" | "suffix" | "equals-ignore-case"; readonly values: readonly string[] }
  | { readonly kind: "wildcard"; readonly values: readonly Wildcard[] };

/** One element of a leaf array: an exact value or an operator object. */
export type Condition =
  | { readonly op: "equals"; readonly value: string | number | boolean | null }
  | { readonly op: "prefix" | "suffix"; readonly value: string; readonly ignoreCase: boolean }
  | { readonly op: "equals-ignore-case"; readonly value: string }
  | { readonly op: "wildcard"; readonly value: Wildcard }
  | { readonly op: "anything-but"; readonly exclude: Exclusion }
  | { readonly op: "numeric"; readonly range: NumericRange }
  | { readonly op: "exists"; readonly value: boolean }
  | { readonly op: "cidr"; readonly value: Cidr };

/** A leaf: the event value at this path must satisfy any one of the conditions. */
export interface LeafNode {
  readonly kind: "leaf";
  readonly conditions: readonly Condition[];
}

/** A nested object: every field must match, and every `$or` group must have a matching branch. */
export interface ObjectNode {
  readonly kind: "object";
  readonly fields: readonly FieldNode[];
  readonly ors: readonly (readonly ObjectNode[])[];
}

export interface FieldNode {
  readonly key: string;
  readonly child: LeafNode | ObjectNode;
}

import { ConfigurationError } from "./errors.js";

/**
 * Environment variables set by `stacks/`. A typo or a missing variable fails at cold start with every
 * problem listed, not at the first AWS call. (Plain checks rather than zod: stage bundles then carry
 * only core's zod.)
 */
export const IngestConfig = ["EVENT_BUS_NAME"] as const;
export type IngestConfig = Record<(typeof IngestConfig)[number], string>;

/**
 * Reads and checks a function's environment.
 * @example const config = readConfig(IngestConfig, process.env)
 */
export function readConfig<const K extends readonly string[]>(
  names: K,
  env: Record<string, string | undefined>,
): Record<K[number], string> {
  const issues = names.filter((name) => !env[name]?.trim()).map((name) => `${name}: missing or empty`);
  if (issues.length) throw new ConfigurationError(`Invalid function environment: ${issues.join("; ")}`, issues);
  return Object.fromEntries(names.map((name) => [name, env[name]!])) as Record<K[number], string>;
}

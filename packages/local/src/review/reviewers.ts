import { createHash, timingSafeEqual } from "node:crypto";
import { MediaPipelineError } from "@media-pipeline/core";

/** MEDIA_PIPELINE_REVIEWER_TOKENS (or a reviewer list) that cannot be used as given. */
export class ReviewerConfigError extends MediaPipelineError {}

/** The env variable with `name:token` pairs, comma-separated. */
export const REVIEWER_TOKENS_ENV = "MEDIA_PIPELINE_REVIEWER_TOKENS";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MIN_TOKEN = 16;

/**
 * Who may review, by token. Tokens are kept only as SHA-256 digests and compared in constant time,
 * so a lookup takes the same time whichever reviewer (if any) a guess is close to.
 */
export class ReviewerDirectory {
  private readonly entries: Array<{ name: string; digest: Buffer }>;

  constructor(reviewers: ReadonlyArray<{ name: string; token: string }>) {
    this.entries = reviewers.map((r) => ({ name: r.name, digest: digest(r.token) }));
  }

  get size(): number {
    return this.entries.length;
  }

  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** The reviewer whose token the `Authorization: Bearer <token>` header carries, or undefined. */
  identify(header: string | undefined): string | undefined {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
    const given = digest(match?.[1] ?? "");
    let found: string | undefined;
    for (const e of this.entries) if (timingSafeEqual(given, e.digest) && match) found ??= e.name;
    return found;
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/**
 * Parses `alice:token1,bob:token2`. Refuses (naming the entry, never echoing a token) a missing name
 * or token, a name with characters an audit log should not hold, a token shorter than 16 characters,
 * a name or token given twice, and a token equal to the API token (which must never act as a reviewer).
 */
export function parseReviewerTokens(value: string | undefined, options: { apiToken?: string } = {}): ReviewerDirectory {
  const reviewers: Array<{ name: string; token: string }> = [];
  const issues: string[] = [];
  const entries = (value ?? "").split(",").map((e) => e.trim()).filter(Boolean);
  entries.forEach((entry, i) => {
    const at = entry.indexOf(":");
    const name = at < 0 ? entry : entry.slice(0, at).trim();
    const token = at < 0 ? "" : entry.slice(at + 1).trim();
    const where = `entry ${i + 1}${NAME.test(name) ? ` (${name})` : ""}`;
    if (!NAME.test(name)) issues.push(`${where}: the name must be 1–64 letters, digits, . _ @ or - (starting with a letter or digit)`);
    else if (!token) issues.push(`${where}: no token after "name:"`);
    else if (token.length < MIN_TOKEN) issues.push(`${where}: the token must be at least ${MIN_TOKEN} characters`);
    else if (reviewers.some((r) => r.name === name)) issues.push(`${where}: ${name} is listed twice`);
    else if (reviewers.some((r) => r.token === token)) issues.push(`${where}: this token is already another reviewer's`);
    else if (options.apiToken && token === options.apiToken) issues.push(`${where}: a reviewer token must differ from the API token`);
    else reviewers.push({ name, token });
  });
  if (issues.length) throw new ReviewerConfigError(`${REVIEWER_TOKENS_ENV} is not usable: ${issues.join("; ")}`);
  return new ReviewerDirectory(reviewers);
}

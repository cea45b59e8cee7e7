import { DEFAULT_FRAME_SAMPLE_SECONDS, DEFAULT_THRESHOLDS, parseThresholds, type ModerationThresholds, type VisionMode } from "@media-pipeline/core";
import type { Stack } from "sst/constructs";

/**
 * Deployment settings that differ between accounts and stages, read from the environment of the
 * process that synthesizes the app (`sst deploy`, `npm run synth`), with defaults for a first deploy.
 * A malformed value fails synthesis with every problem listed, not a deploy halfway through.
 *
 * | variable                      | default                                                     |
 * |-------------------------------|-------------------------------------------------------------|
 * | MEDIA_REVIEW_ORIGINS          | `https://*.labeling.<region>.sagemaker.aws` (A2I worker portal) |
 * | MEDIA_UPLOAD_ORIGINS          | none (browser apps that upload straight to S3, comma-separated) |
 * | MEDIA_DERIVED_EXPIRY_DAYS     | 30                                                          |
 * | MEDIA_BEDROCK_MODEL_ID        | `amazon.nova-lite-v1:0`                                     |
 * | MEDIA_REVIEW_BACKEND          | `builtin` (the app's review page and table); `a2i` (Amazon A2I, for accounts that have it) |
 * | MEDIA_REVIEW_MIN / MEDIA_FLAG_MIN | 50 / 80: moderation confidence (%) from which a segment is reviewed / flagged |
 * | MEDIA_REVIEW_TIMEOUT_MINUTES  | 4320 (3 days): builtin, an undecided task then ends as the model decided |
 * | MEDIA_REVIEWER_EMAILS         | none: builtin, addresses told of each waiting task (SNS e-mail, comma-separated) |
 * | MEDIA_REVIEW_OIDC_ISSUER / _AUDIENCE | none: builtin, an existing OIDC issuer instead of the app's user pool |
 * | A2I_WORKTEAM_ARN              | a2i: a private work team named `media-reviewers` (create it first) |
 * | MEDIA_REVIEW_MAX_ATTEMPTS     | 3 (human loops per review, re-queued ones included)         |
 * | MEDIA_VISION_MODE             | `video` (Rekognition Video jobs); `frames` (image APIs on sampled frames) |
 * | MEDIA_FRAME_SAMPLE_SECONDS    | 2 (frames mode: a frame every N s inside a shot, 0.5–60)    |
 *
 * The summarize function's `BEDROCK_ACCEPTS_IMAGES` follows from the model id (`IMAGE_MODEL_PREFIXES`).
 */
/** Who may call the review API: the app's own Cognito user pool, or an existing OIDC issuer. */
export type ReviewAuth = { type: "cognito" } | { type: "oidc"; issuer: string; audience: string[] };

export interface Settings {
  /**
   * Who reviews uncertain moderation: `builtin` (the default; works on every account) keeps tasks in
   * a DynamoDB table behind the app's /reviews API and page; `a2i` starts Amazon A2I human loops
   * (closed to new customers since 2025; kept for accounts that have it). With `builtin` the app
   * creates no A2I resource at all.
   */
  reviewBackend: "builtin" | "a2i";
  /** The review band: a segment at or above reviewMin is reviewed, at or above flagMin flagged. */
  thresholds: ModerationThresholds;
  /** builtin: minutes an undecided task waits before it ends as the model decided. */
  reviewTimeoutMinutes: number;
  /** builtin: e-mail addresses subscribed to the reviewers' notices. */
  reviewerEmails: string[];
  /** builtin: the review API's authorizer. */
  reviewAuth: ReviewAuth;
  /** Origins allowed to GET media from the bucket: the A2I worker portal's video player. */
  reviewOrigins: string[];
  /** Web origins allowed to upload straight to the bucket (browser apps); none by default. */
  uploadOrigins: string[];
  /** Days after which stage outputs under derived/ expire. */
  derivedExpiryDays: number;
  /** Bedrock model (or cross-region inference profile) the scene summaries call through Converse. */
  bedrockModelId: string;
  /** Whether that model takes image blocks, so the summaries get keyframes (`bedrockAcceptsImages`). */
  bedrockAcceptsImages: boolean;
  /** The A2I work team (private workforce) that reviews uncertain moderation. */
  workteamArn: string;
  /**
   * Human loops a review may use in all: a loop that A2I fails is re-queued until this many have run
   * (the review completion's REVIEW_MAX_ATTEMPTS; packages/functions/src/adapters/a2i/requeue.ts).
   */
  reviewMaxAttempts: number;
  /**
   * How detect-labels and moderate see the video: `video` starts Rekognition Video jobs (billed per
   * minute); `frames` samples frames with ffmpeg in their Lambdas and calls DetectLabels /
   * DetectModerationLabels per frame (billed per image; see packages/core/src/policy/cost.ts).
   */
  visionMode: VisionMode;
  /** Frames mode: one frame every this many seconds inside a shot, besides the keyframe at each cut. */
  frameSampleSeconds: number;
}

export class SettingsError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid deployment settings: ${issues.join("; ")}`);
    this.name = "SettingsError";
  }
}

/**
 * A private workforce's worker portal is served from `https://<id>.labeling.<region>.sagemaker.aws`, and
 * AWS requires a CORS rule on buckets holding A2I image input (the keyframes here), or those tasks fail
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-permissions-security.html, "CORS Permission
 * Requirement"); the task's plain <video> (no `crossorigin`) needs none, whatever origin the portal
 * gives the task's frame. S3 CORS allows one
 * `*` per origin, which covers the per-workforce subdomain without opening the bucket to every site.
 */
export const workerPortalOrigin = (region: string) => `https://*.labeling.${region}.sagemaker.aws`;

/**
 * Bedrock models known to take images in Converse, by model-id prefix (after any cross-region
 * inference-profile prefix such as `us.`), from the supported-features table in
 * https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-supported-models-features.html.
 * Deliberately short: a model not listed gets text only (a text-only model refuses image blocks,
 * which would cost a failed call per scene). Nova Micro and Claude 3.5 Haiku are text-only.
 */
export const IMAGE_MODEL_PREFIXES = [
  "amazon.nova-lite", "amazon.nova-pro", "amazon.nova-premier",
  "anthropic.claude-3-haiku", "anthropic.claude-3-sonnet", "anthropic.claude-3-opus", "anthropic.claude-3-5-sonnet",
  "anthropic.claude-3-7-sonnet", "anthropic.claude-sonnet-4", "anthropic.claude-opus-4", "anthropic.claude-haiku-4-5",
  "meta.llama3-2-11b-instruct", "meta.llama3-2-90b-instruct", "meta.llama4-", "mistral.pixtral-large",
] as const;

/** Whether a Bedrock model or inference profile id is on the image allow-list (`BEDROCK_ACCEPTS_IMAGES`). */
export function bedrockAcceptsImages(modelId: string): boolean {
  const base = modelId.replace(/^(us|us-gov|eu|apac|jp|au|ca|global)\./, "");
  return IMAGE_MODEL_PREFIXES.some((prefix) => base.startsWith(prefix));
}

export function readSettings(stack: Stack, env: Record<string, string | undefined> = process.env): Settings {
  const issues: string[] = [];
  const value = (name: string) => env[name]?.trim() || undefined;

  const reviewOrigins = (value("MEDIA_REVIEW_ORIGINS") ?? workerPortalOrigin(stack.region))
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of reviewOrigins) {
    if (!/^https:\/\/[A-Za-z0-9.*-]+(:\d+)?$/.test(origin) || origin.split("*").length > 2) {
      issues.push(`MEDIA_REVIEW_ORIGINS: "${origin}" is not an https origin with at most one *`);
    }
  }

  // Browser apps upload with the presigned POST / part URLs straight to S3, which needs CORS for them.
  const uploadOrigins = (value("MEDIA_UPLOAD_ORIGINS") ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  for (const origin of uploadOrigins) {
    if (!/^https?:\/\/[A-Za-z0-9.*-]+(:\d+)?$/.test(origin) || origin.split("*").length > 2) {
      issues.push(`MEDIA_UPLOAD_ORIGINS: "${origin}" is not an http(s) origin with at most one *`);
    }
  }

  const days = value("MEDIA_DERIVED_EXPIRY_DAYS") ?? "30";
  const derivedExpiryDays = Number(days);
  if (!Number.isInteger(derivedExpiryDays) || derivedExpiryDays < 1) {
    issues.push(`MEDIA_DERIVED_EXPIRY_DAYS: "${days}" is not a whole number of days ≥ 1`);
  }

  const bedrockModelId = value("MEDIA_BEDROCK_MODEL_ID") ?? "amazon.nova-lite-v1:0";
  if (!/^[a-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?(:[A-Za-z0-9-]+)?$/.test(bedrockModelId)) {
    issues.push(`MEDIA_BEDROCK_MODEL_ID: "${bedrockModelId}" is not a Bedrock model or inference profile id`);
  }

  const workteamArn =
    value("A2I_WORKTEAM_ARN") ?? `arn:aws:sagemaker:${stack.region}:${stack.account}:workteam/private-crowd/media-reviewers`;
  if (!/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:workteam\/[A-Za-z0-9-]+\/[A-Za-z0-9-]+$/.test(workteamArn)) {
    issues.push(`A2I_WORKTEAM_ARN: "${workteamArn}" is not a SageMaker work team ARN`);
  }

  // The same bounds the function enforces at cold start, so a bad value fails synthesis instead.
  const attempts = value("MEDIA_REVIEW_MAX_ATTEMPTS") ?? "3";
  const reviewMaxAttempts = Number(attempts);
  if (!Number.isInteger(reviewMaxAttempts) || reviewMaxAttempts < 1 || reviewMaxAttempts > 10) {
    issues.push(`MEDIA_REVIEW_MAX_ATTEMPTS: "${attempts}" is not a whole number of human loops 1–10`);
  }

  const mode = value("MEDIA_VISION_MODE") ?? "video";
  if (mode !== "video" && mode !== "frames") issues.push(`MEDIA_VISION_MODE: "${mode}" is not video or frames`);
  const visionMode: VisionMode = mode === "frames" ? "frames" : "video";

  // The function checks the same bounds at cold start (packages/functions/src/cloud.ts).
  const sample = value("MEDIA_FRAME_SAMPLE_SECONDS") ?? String(DEFAULT_FRAME_SAMPLE_SECONDS);
  const frameSampleSeconds = Number(sample);
  if (!(frameSampleSeconds >= 0.5 && frameSampleSeconds <= 60)) {
    issues.push(`MEDIA_FRAME_SAMPLE_SECONDS: "${sample}" is not a number of seconds 0.5–60`);
  }

  const backend = value("MEDIA_REVIEW_BACKEND") ?? "builtin";
  if (backend !== "builtin" && backend !== "a2i") issues.push(`MEDIA_REVIEW_BACKEND: "${backend}" is neither builtin nor a2i`);
  const reviewBackend = backend === "a2i" ? "a2i" : "builtin";

  // The same parser the functions use at cold start (cloud.ts), so a bad band fails synthesis instead.
  let thresholds: ModerationThresholds = DEFAULT_THRESHOLDS;
  try {
    thresholds = parseThresholds({ reviewMin: value("MEDIA_REVIEW_MIN"), flagMin: value("MEDIA_FLAG_MIN") }, DEFAULT_THRESHOLDS);
  } catch (error) {
    issues.push(`MEDIA_REVIEW_MIN / MEDIA_FLAG_MIN: ${(error as Error).message}`);
  }

  const timeout = value("MEDIA_REVIEW_TIMEOUT_MINUTES") ?? "4320";
  const reviewTimeoutMinutes = Number(timeout);
  if (!Number.isInteger(reviewTimeoutMinutes) || reviewTimeoutMinutes < 5 || reviewTimeoutMinutes > 30 * 24 * 60) {
    issues.push(`MEDIA_REVIEW_TIMEOUT_MINUTES: "${timeout}" is not a whole number of minutes 5–43200 (30 days)`);
  }

  const reviewerEmails = (value("MEDIA_REVIEWER_EMAILS") ?? "").split(",").map((e) => e.trim()).filter(Boolean);
  for (const email of reviewerEmails) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) issues.push(`MEDIA_REVIEWER_EMAILS: "${email}" is not an e-mail address`);
  }

  const issuer = value("MEDIA_REVIEW_OIDC_ISSUER");
  const audience = (value("MEDIA_REVIEW_OIDC_AUDIENCE") ?? "").split(",").map((a) => a.trim()).filter(Boolean);
  let reviewAuth: ReviewAuth = { type: "cognito" };
  if (issuer || audience.length) {
    if (!issuer || !/^https:\/\/\S+$/.test(issuer)) issues.push(`MEDIA_REVIEW_OIDC_ISSUER: "${issuer ?? ""}" is not an https URL`);
    if (!audience.length) issues.push("MEDIA_REVIEW_OIDC_AUDIENCE: at least one audience is required with an issuer");
    reviewAuth = { type: "oidc", issuer: issuer ?? "", audience };
  }

  if (issues.length) throw new SettingsError(issues);
  return {
    reviewBackend, thresholds, reviewTimeoutMinutes, reviewerEmails, reviewAuth,
    reviewOrigins, uploadOrigins, derivedExpiryDays, bedrockModelId, bedrockAcceptsImages: bedrockAcceptsImages(bedrockModelId), workteamArn,
    reviewMaxAttempts, visionMode, frameSampleSeconds,
  };
}

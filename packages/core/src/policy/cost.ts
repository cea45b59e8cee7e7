/**
 * Estimated cloud cost of analysing media, from the services' published list prices (us-east-1,
 * first pricing tier). Prices change and differ by region and volume: PRICES is the one place to
 * correct them, and every figure derived from it says which prices it used.
 */
export const PRICES = {
  asOf: "2026-11 (list prices as published; verify on the AWS pricing pages before relying on them)",
  /** Rekognition Video, stored video, per minute analysed: label detection and content moderation each. */
  rekognitionVideoPerMinute: 0.1,
  /** Transcribe batch, standard, per minute (speaker diarization included). */
  transcribePerMinute: 0.024,
  /** Bedrock per 1,000 tokens for the stacks' default model (Amazon Nova Lite, on demand). */
  bedrockInputPer1k: 0.00006,
  bedrockOutputPer1k: 0.00024,
  /** A2I per object reviewed with a custom task type (plus your own workforce's time). */
  a2iPerReview: 0.08,
  /** Lambda per GB-second (arm64) and per million requests. */
  lambdaPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  /** EventBridge custom events per million. */
  eventBridgePerMillionEvents: 1.0,
} as const;

export interface CostSettings {
  /** Scenes per media minute that get a model-written summary. */
  scenesPerMinute: number;
  /** Tokens per scene sent and received (transcript lines, labels, two keyframes as images). */
  inputTokensPerScene: number;
  outputTokensPerScene: number;
  /** Share of media that goes to human review (moderation decided "review"). */
  reviewRate: number;
  /** Lambda GB-seconds per media minute for ffmpeg stages (probe, audio, shots + keyframes). */
  lambdaGbSecondsPerMinute: number;
  /** Events on the bus per media item, and Lambda invocations per media item. */
  eventsPerMedia: number;
  invocationsPerMedia: number;
}

/** Defaults: a scene every 30 s, ~2,500 tokens in (two images) and ~120 out, 5 % reviewed. */
export const DEFAULT_COST_SETTINGS: CostSettings = {
  scenesPerMinute: 2,
  inputTokensPerScene: 2500,
  outputTokensPerScene: 120,
  reviewRate: 0.05,
  lambdaGbSecondsPerMinute: 12,
  eventsPerMedia: 12,
  invocationsPerMedia: 14,
};

/** Dollars for analysing `minutes` of video (one media item) at the given settings and prices. */
export function estimateCloudCost(minutes: number, settings: CostSettings = DEFAULT_COST_SETTINGS, prices = PRICES) {
  const lines = {
    rekognitionLabels: minutes * prices.rekognitionVideoPerMinute,
    rekognitionModeration: minutes * prices.rekognitionVideoPerMinute,
    transcribe: minutes * prices.transcribePerMinute,
    bedrock:
      minutes * settings.scenesPerMinute *
      ((settings.inputTokensPerScene / 1000) * prices.bedrockInputPer1k + (settings.outputTokensPerScene / 1000) * prices.bedrockOutputPer1k),
    a2i: settings.reviewRate * prices.a2iPerReview,
    lambda: minutes * settings.lambdaGbSecondsPerMinute * prices.lambdaPerGbSecond + (settings.invocationsPerMedia / 1e6) * prices.lambdaPerMillionRequests,
    eventBridge: (settings.eventsPerMedia / 1e6) * prices.eventBridgePerMillionEvents,
  };
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  return { minutes, lines, total, perMinute: total / minutes, pricesAsOf: prices.asOf };
}

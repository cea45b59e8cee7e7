/**
 * Estimated cloud cost of analysing media, from the services' published list prices (us-east-1,
 * first pricing tier). Prices change and differ by region and volume: PRICES is the one place to
 * correct them, and every figure derived from it says which prices it used.
 */
export const PRICES = {
  asOf: "2026-11 (list prices as published; verify on the AWS pricing pages before relying on them)",
  /** Rekognition Video, stored video, per minute analysed: label detection and content moderation each. */
  rekognitionVideoPerMinute: 0.1,
  /**
   * Rekognition Video segment detection (SHOT), per minute analysed: the cloud's shots and keyframes
   * come from it in both vision modes, so that no function decodes a whole long video. To verify.
   */
  rekognitionSegmentsPerMinute: 0.05,
  /**
   * Rekognition Image, "Group 2" APIs (DetectLabels, DetectModerationLabels, …), per image analysed,
   * first 1 M images a month; each API called on an image is billed as one image. To verify.
   */
  rekognitionImagePerImage: 0.001,
  /** Transcribe batch, standard, per minute (speaker diarization included). */
  transcribePerMinute: 0.024,
  /** Bedrock per 1,000 tokens for the stacks' default model (Amazon Nova Lite, on demand). */
  bedrockInputPer1k: 0.00006,
  bedrockOutputPer1k: 0.00024,
  /** A2I per object reviewed with a custom task type (plus your own workforce's time). */
  a2iPerReview: 0.08,
  /** Lambda per GB-second (arm64, the stacks' default) and per million requests. */
  lambdaPerGbSecond: 0.0000133334,
  /** Lambda per GB-second on x86_64, where the ffmpeg stages run (the static binaries' architecture). */
  lambdaX86PerGbSecond: 0.0000166667,
  lambdaPerMillionRequests: 0.2,
  /** EventBridge custom events per million. */
  eventBridgePerMillionEvents: 1.0,
} as const;

export type Prices = { [K in keyof typeof PRICES]: (typeof PRICES)[K] extends number ? number : string };

/**
 * How detect-labels and moderate see the video in the cloud (the deploy setting `MEDIA_VISION_MODE`):
 * `video` starts Rekognition Video jobs (billed per minute); `frames` samples frames with ffmpeg in
 * the stage's Lambda and calls the Rekognition Image APIs on each (billed per image).
 */
export type VisionMode = "video" | "frames";

/** Frames mode's default sampling: one frame every 2 s inside a shot, as the local engines sample. */
export const DEFAULT_FRAME_SAMPLE_SECONDS = 2;

export interface CostSettings {
  visionMode: VisionMode;
  /** Frames mode: one frame every this many seconds inside a shot, besides the keyframe at each cut. */
  frameSampleSeconds: number;
  /** Frames mode: shots per media minute (each cut adds a keyframe). An assumption about the footage. */
  shotsPerMinute: number;
  /** Scenes per media minute that get a model-written summary. */
  scenesPerMinute: number;
  /** Tokens per scene sent and received (transcript lines, labels, two keyframes as images). */
  inputTokensPerScene: number;
  outputTokensPerScene: number;
  /** Share of media that goes to human review (moderation decided "review"). */
  reviewRate: number;
  /** Lambda GB-seconds per media minute for ffmpeg stages (probe, audio, shots + keyframes). */
  lambdaGbSecondsPerMinute: number;
  /**
   * Frames mode: Lambda GB-seconds per media minute that detect-labels and moderate add, together
   * (each downloads the media, decodes it once and waits on the image APIs, at 3008 MB).
   */
  framesLambdaGbSecondsPerMinute: number;
  /** Events on the bus per media item, and Lambda invocations per media item. */
  eventsPerMedia: number;
  invocationsPerMedia: number;
}

/**
 * Defaults: video jobs; a scene every 30 s, ~2,500 tokens in (two images) and ~120 out, 5 % reviewed.
 * For frames mode: a frame every 2 s and a cut every 6 s (10 shots a minute, edited footage; a
 * talking head or a screen recording has far fewer); two ~5.5 s passes at 2.94 GB per media minute.
 */
export const DEFAULT_COST_SETTINGS: CostSettings = {
  visionMode: "video",
  frameSampleSeconds: DEFAULT_FRAME_SAMPLE_SECONDS,
  shotsPerMinute: 10,
  scenesPerMinute: 2,
  inputTokensPerScene: 2500,
  outputTokensPerScene: 120,
  reviewRate: 0.05,
  lambdaGbSecondsPerMinute: 12,
  framesLambdaGbSecondsPerMinute: 32,
  eventsPerMedia: 12,
  invocationsPerMedia: 14,
};

/**
 * Frames per media minute that frames mode analyses: a keyframe at each cut, then one every
 * `sampleSeconds` until the next cut (the frame source's rule). A shot of length L gets ceil(L / N)
 * frames, on average L / N + ½ over shots of varying length, and never fewer than one.
 * @example expectedFramesPerMinute(2, 10) === 35 // 10 shots of 6 s: 3.5 frames each
 */
export function expectedFramesPerMinute(sampleSeconds: number, shotsPerMinute: number): number {
  if (!(sampleSeconds > 0) || !(shotsPerMinute > 0)) throw new RangeError("sampleSeconds and shotsPerMinute must be positive");
  const meanShotSeconds = 60 / shotsPerMinute;
  return shotsPerMinute * Math.max(1, meanShotSeconds / sampleSeconds + 0.5);
}

/** Dollars for analysing `minutes` of video (one media item) at the given settings and prices. */
export function estimateCloudCost(minutes: number, settings: CostSettings = DEFAULT_COST_SETTINGS, prices: Prices = PRICES) {
  const framesPerMinute = settings.visionMode === "frames" ? expectedFramesPerMinute(settings.frameSampleSeconds, settings.shotsPerMinute) : 0;
  // Each API called on a frame is billed as one image.
  const perVisionApi = settings.visionMode === "frames"
    ? minutes * framesPerMinute * prices.rekognitionImagePerImage
    : minutes * prices.rekognitionVideoPerMinute;
  const ffmpegGbSeconds = minutes * (settings.lambdaGbSecondsPerMinute + (settings.visionMode === "frames" ? settings.framesLambdaGbSecondsPerMinute : 0));
  const lines = {
    rekognitionLabels: perVisionApi,
    rekognitionShots: minutes * prices.rekognitionSegmentsPerMinute,
    rekognitionModeration: perVisionApi,
    transcribe: minutes * prices.transcribePerMinute,
    bedrock:
      minutes * settings.scenesPerMinute *
      ((settings.inputTokensPerScene / 1000) * prices.bedrockInputPer1k + (settings.outputTokensPerScene / 1000) * prices.bedrockOutputPer1k),
    a2i: settings.reviewRate * prices.a2iPerReview,
    lambda: ffmpegGbSeconds * prices.lambdaX86PerGbSecond + (settings.invocationsPerMedia / 1e6) * prices.lambdaPerMillionRequests,
    eventBridge: (settings.eventsPerMedia / 1e6) * prices.eventBridgePerMillionEvents,
  };
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  return {
    minutes, visionMode: settings.visionMode, lines, total, perMinute: total / minutes, pricesAsOf: prices.asOf,
    ...(settings.visionMode === "frames" ? { framesPerMinute, imagesPerMinute: 2 * framesPerMinute } : {}),
  };
}

/**
 * Both vision modes at the same settings, and what frames mode saves per media minute.
 * Frames mode is cheaper while it analyses fewer than 100 frames a minute per API (one image at
 * $0.001 against $0.10 a video minute); `breakEvenFramesPerMinute` says where it stops being.
 * @example compareVisionModes().saving.share // ≈ 0.57 at the defaults
 */
export function compareVisionModes(settings: Omit<CostSettings, "visionMode"> = DEFAULT_COST_SETTINGS, prices: Prices = PRICES, minutes = 10) {
  const video = estimateCloudCost(minutes, { ...settings, visionMode: "video" }, prices);
  const frames = estimateCloudCost(minutes, { ...settings, visionMode: "frames" }, prices);
  return {
    video,
    frames,
    saving: { perMinute: video.perMinute - frames.perMinute, share: 1 - frames.perMinute / video.perMinute },
    breakEvenFramesPerMinute: prices.rekognitionVideoPerMinute / prices.rekognitionImagePerImage,
  };
}

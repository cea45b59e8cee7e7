import type { ModerationThresholds } from "@media-pipeline/core";
import type { NsfwModelName } from "./protocol.js";

/**
 * The local moderation engine's defaults, chosen by `npm run eval` (eval/moderation.eval.ts) on its
 * tuning half of 80 benign pictures (python3-skimage photographs whole and zoomed, lavfi patterns)
 * and checked on the held-apart half:
 *
 * | model          | highest benign score, tuning | held apart | ms/frame |
 * |----------------|------------------------------|------------|----------|
 * | MobileNetV2    | 81 (microaneurysms)          | 66         | ~70      |
 * | MobileNetV2Mid | 61 (microaneurysms)          | 42         | ~50      |
 * | InceptionV3    | 4                            | 46         | ~400     |
 *
 * MobileNetV2Mid is the fastest and, with the review band from 70 (above its highest benign tuning
 * score with a margin), sends no benign picture of either half to review. InceptionV3 misfires least
 * on the tuning half but is eight times slower and came within 5 of the cloud's 50 on a held-apart crop.
 * The flag threshold stays at the cloud's 80: there is no unsafe media here to choose it on, and the
 * recall on real unsafe content of any of these settings is not measured in this repository.
 */
export const LOCAL_MODERATION_MODEL: NsfwModelName = "MobileNetV2Mid";

/** The local review band: from 70 review, from 80 flagged (the cloud's Rekognition default is 50/80). */
export const LOCAL_MODERATION_THRESHOLDS: ModerationThresholds = { reviewMin: 70, flagMin: 80 };

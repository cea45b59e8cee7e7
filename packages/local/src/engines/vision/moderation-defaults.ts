import type { ModerationThresholds } from "@media-pipeline/core";
import type { NsfwModelName } from "./protocol.js";

/**
 * The local moderation engine's defaults, chosen by `npm run eval` (eval/moderation.eval.ts) on its
 * tuning half of 80 benign pictures (python3-skimage photographs whole and zoomed, lavfi patterns)
 * and checked on the held-apart half (figures: eval/RESULTS.md, group 8-moderation):
 *
 * | model          | highest benign score, tuning | held apart |
 * |----------------|------------------------------|------------|
 * | MobileNetV2    | 81 (microaneurysms)          | 66         |
 * | MobileNetV2Mid | 61 (microaneurysms)          | 42         |
 * | InceptionV3    | 4                            | 46         |
 *
 * MobileNetV2Mid with the review band from 70 (above its highest benign tuning score, with a margin)
 * sends no benign picture of either half to review. MobileNetV2 would need the band from 90, leaving
 * almost nothing between review and certainty. InceptionV3 misfires least on the tuning half but came
 * within 5 of the cloud's 50 on a held-apart crop, and costs several times more per frame. Speed: Mid
 * is the fastest in the eval's batches; inside the pipeline, where frames arrive one at a time,
 * MobileNetV2 (its batch normalization folded, which Mid's graph model cannot have) has measured
 * faster (bench/RESULTS.md), but moderation is not what the pipeline waits for (text on screen is).
 * The flag threshold stays at the cloud's 80: there is no unsafe media here to choose it on, and the
 * recall on real unsafe content of any of these settings is not measured in this repository.
 */
export const LOCAL_MODERATION_MODEL: NsfwModelName = "MobileNetV2Mid";

/** The local review band: from 70 review, from 80 flagged (the cloud's Rekognition default is 50/80). */
export const LOCAL_MODERATION_THRESHOLDS: ModerationThresholds = { reviewMin: 70, flagMin: 80 };

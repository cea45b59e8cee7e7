import type { FrameModeration } from "@media-pipeline/core";

/**
 * nsfwjs's classes and what they mean in Rekognition's moderation taxonomy: the worker checks the
 * class order against the model when it loads it (worker/nsfw-model.ts), the detector maps the
 * probabilities it gets back to labels (nsfw-moderation.ts).
 */

/** nsfwjs's output classes, in the order of its model's output vector. Checked against nsfwjs at load. */
export const NSFW_CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"] as const;
export type NsfwClass = (typeof NSFW_CLASSES)[number];

/**
 * nsfwjs classes in Rekognition's two-level moderation taxonomy (`name` is the second level,
 * `parent` the top level). `null` means the class is not unsafe and emits nothing.
 *
 * | nsfwjs  | name                        | parent     | why |
 * |---------|-----------------------------|------------|-----|
 * | Porn    | Explicit Nudity             | Explicit   | Rekognition v7 L2 "Explicit Nudity" under L1 "Explicit" |
 * | Hentai  | Illustrated Explicit Nudity | Explicit   | Rekognition's label for drawn/animated explicit content |
 * | Sexy    | Revealing Clothes           | Suggestive | Rekognition's "Suggestive" category; v7 splits it into "Non-Explicit Nudity of Intimate parts and Kissing" and "Swimwear or Underwear", which nsfwjs cannot tell apart |
 * | Neutral | —                           | —          | safe |
 * | Drawing | —                           | —          | safe illustration (a drawing, not unsafe content) |
 *
 * nsfwjs knows nothing of violence, drugs, alcohol, gestures, gambling or hate symbols: those
 * Rekognition categories never appear locally.
 */
export const MODERATION_TAXONOMY: Readonly<Record<NsfwClass, { name: string; parent: string } | null>> = {
  Porn: { name: "Explicit Nudity", parent: "Explicit" },
  Hentai: { name: "Illustrated Explicit Nudity", parent: "Explicit" },
  Sexy: { name: "Revealing Clothes", parent: "Suggestive" },
  Neutral: null,
  Drawing: null,
};

/**
 * Every unsafe score the classifier gives (0–100, two decimals) goes to core's policy, down to the
 * smallest one the two decimals can show: a review band from 0 ("review anything the model scores at
 * all") then gets every frame, on any media, instead of depending on how high the model happens to
 * score a benign picture. The default band (moderation-defaults.ts) leaves such scores clean.
 */
export const MIN_REPORTED_CONFIDENCE = 0.01;

/** Confidence on Rekognition's 0–100 scale, two decimals. */
export function percent(probability: number): number {
  return Math.round(Math.min(1, Math.max(0, probability)) * 10_000) / 100;
}

/** A frame's unsafe classes in the taxonomy, each at its probability × 100 (from 0.01 up). */
export function toModerationLabels(probabilities: readonly number[]): FrameModeration["labels"] {
  const labels: FrameModeration["labels"] = [];
  NSFW_CLASSES.forEach((cls, i) => {
    const mapped = MODERATION_TAXONOMY[cls];
    const confidence = percent(probabilities[i] ?? 0);
    if (mapped && confidence >= MIN_REPORTED_CONFIDENCE) labels.push({ ...mapped, confidence });
  });
  return labels.sort((a, b) => b.confidence - a.confidence);
}

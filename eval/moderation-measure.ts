import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { DEFAULT_THRESHOLDS } from "@media-pipeline/core";
import { LOCAL_MODERATION_MODEL, LOCAL_MODERATION_THRESHOLDS } from "../packages/local/src/engines/vision/moderation-defaults.js";
import { toModerationLabels, visionPool, type NsfwModelName } from "../packages/local/src/engines/vision/index.js";
import { photoDir } from "./fixtures.js";
import { row, type Row } from "./table.js";

const run = promisify(execFile);
const FFMPEG = process.env.MEDIA_PIPELINE_FFMPEG ?? "ffmpeg";

/**
 * False positives of every nsfwjs model on benign pictures: python3-skimage's photographs (people,
 * food, animals, a motorcycle, buildings' bricks, text, space, microscopy), each whole and as two
 * zoomed crops (what a slow zoom shows), plus lavfi test patterns. Alternate photographs go to the
 * tuning and held-apart sets, so a model or threshold chosen on one is checked on the other.
 */

/** Photographs and scans in python3-skimage's data folder (not its masks, arrays or test fixtures). */
const PHOTOS = [
  "astronaut.png", "coffee.png", "chelsea.png", "motorcycle_left.png", "rocket.jpg", "camera.png", "coins.png", "moon.png",
  "page.png", "text.png", "brick.png", "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png", "retina.jpg",
  "horse.png", "clock_motion.png", "color.png", "cell.png", "logo.png", "motorcycle_right.png", "microaneurysms.png", "phantom.png",
];
const PATTERNS = ["testsrc2", "smptebars", "mandelbrot", "life", "rgbtestsrc", "cellauto", "smptehdbars", "yuvtestsrc"];
/**
 * A benign item at or over a review threshold would go to a moderator: the local engine's own default
 * (chosen on the tuning half, moderation-defaults.ts) and the cloud's Rekognition default for comparison.
 */
const LOCAL_REVIEW_MIN = LOCAL_MODERATION_THRESHOLDS.reviewMin;
const CLOUD_REVIEW_MIN = DEFAULT_THRESHOLDS.reviewMin;

interface Item {
  name: string;
  set: "tuning" | "held apart";
  path: string;
}

/** The frame pass's JPEG of a picture: at most 640 px wide; `crop` zooms into a part first. */
async function frame(input: string[], out: string, crop?: string): Promise<void> {
  const vf = [crop, "scale='min(640,iw)':-2", "format=yuvj420p"].filter(Boolean).join(",");
  await run(FFMPEG, ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...input, "-frames:v", "1", "-vf", vf, "-q:v", "3", out]);
}

async function benignItems(work: string): Promise<Item[]> {
  const photos = photoDir();
  const items: Item[] = [];
  for (const [i, file] of PHOTOS.entries()) {
    if (!existsSync(join(photos, file))) continue;
    const set = i % 2 === 0 ? "tuning" : "held apart";
    const base = file.replace(/\.[a-z]+$/, "");
    for (const [suffix, crop] of [["", undefined], [" (zoom 1.5×, centre)", "crop=iw/1.5:ih/1.5"], [" (zoom 2×, top left)", "crop=iw/2:ih/2:0:0"]] as const) {
      const path = join(work, `${base}${suffix ? `-${items.length}` : ""}.jpg`);
      await frame(["-i", join(photos, file)], path, crop);
      items.push({ name: `${base}${suffix}`, set, path });
    }
  }
  for (const [i, pattern] of PATTERNS.entries()) {
    const path = join(work, `${pattern}.jpg`);
    await frame(["-f", "lavfi", "-t", "1", "-i", `${pattern}=s=640x360`], path);
    items.push({ name: pattern, set: i % 2 === 0 ? "tuning" : "held apart", path });
  }
  return items;
}

/**
 * Every given model's highest unsafe score per benign picture, both sets; the default model's rows at the
 * local review band carry the target (none reviewed). The caller stops the vision workers.
 */
export async function measureModeration(dir: string, models: readonly NsfwModelName[]): Promise<{ rows: Row[]; weaknesses: string[] }> {
  const work = join(dir, "frames");
  await mkdir(work, { recursive: true });
  const items = await benignItems(work);
  const pool = visionPool();
  const rows: Row[] = [];
  const weaknesses: string[] = [];
  for (const model of models) {
    const loaded = await pool.call("nsfw.load", { model });
    const frames = items.map((x) => ({ path: x.path, format: "jpeg" as const, label: x.name }));
    // A first small batch warms the backend's kernels for this model, so the timing is of inference.
    await pool.call("nsfw.classify", { model, frames: frames.slice(0, 4) });
    const t = performance.now();
    const result = await pool.call("nsfw.classify", { model, frames });
    const msPerFrame = (performance.now() - t) / items.length;
    const scored = items.map((item, i) => {
      const top = toModerationLabels(result.results[i] ?? [])[0];
      return { item, label: top?.name ?? "none", confidence: top?.confidence ?? 0 };
    });
    const chosen = model === LOCAL_MODERATION_MODEL;
    const engine = `nsfwjs ${loaded.version} ${model}${chosen ? " (default)" : ""}`;
    const listed = (xs: typeof scored) => xs.map((s) => `${s.item.name} ${s.label} ${s.confidence.toFixed(0)} %`).join("; ");
    for (const set of ["tuning", "held apart"] as const) {
      const mine = scored.filter((s) => s.item.set === set);
      const worst = mine.reduce((a, b) => (b.confidence > a.confidence ? b : a));
      for (const reviewMin of [LOCAL_REVIEW_MIN, CLOUD_REVIEW_MIN]) {
        const inReview = mine.filter((s) => s.confidence >= reviewMin);
        const local = reviewMin === LOCAL_REVIEW_MIN;
        // The issue's target: at the local defaults (this model, this threshold) no benign picture is reviewed.
        rows.push(
          row(engine, `benign pictures in the review band from ${reviewMin}${local ? " (local default)" : " (cloud default)"} (${set})`, inReview.length / mine.length,
            `${inReview.length} of ${mine.length} reach ${reviewMin}${inReview.length ? `: ${listed(inReview)}` : ""}`,
            chosen && local ? { op: "=", value: 0 } : undefined),
        );
        if (inReview.length && local) weaknesses.push(`Moderation (${model}, ${set}): ${inReview.length} of ${mine.length} benign pictures reach the local review band from ${reviewMin} (${listed(inReview)}).`);
      }
      rows.push(row(engine, `highest unsafe score on a benign picture (${set})`, worst.confidence, `${worst.item.name}: ${worst.label}`));
    }
    rows.push(row(engine, "ms per frame (batch, after load and a warm-up batch)", msPerFrame, `${items.length} frames in one batch`));
  }
  return { rows, weaknesses };
}

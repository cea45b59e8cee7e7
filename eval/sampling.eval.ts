import { rm } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  DEFAULT_FRAME_SAMPLE_SECONDS, DEFAULT_THRESHOLDS, expectedFramesPerMinute, frameSpacingMs, labelsResult, LabelsDocument, ModerationDocument,
  moderationResult, PRICES, segmentModeration, type BlobStore, type ModerationSegment, type ObjectRef,
} from "@media-pipeline/core";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createHumanLabelDetector, createNsfwModerationDetector } from "../packages/local/src/engines/vision/index.js";
import { createFfmpegFrameSource } from "../packages/media/src/index.js";
import { LocalObjectStore } from "../packages/local/src/runtime/object-store.js";
import { tempDir } from "../test/helpers/flow.js";
import { makeGradualVideo, makeHardCutVideo } from "./fixtures.js";
import { bucketPairs, distinct, labelSpans, makePanVideo, moderationSpans, pooledRecall, recallOf, type Recall } from "./sampling.js";
import { formatValue, row, saveGroup, type Row } from "./table.js";

/**
 * Frames mode (MEDIA_VISION_MODE=frames: Rekognition Image on a keyframe per shot plus a frame every
 * N seconds) against the video-job shape, offline. Nothing here reaches AWS: the local models stand
 * in for Rekognition, and a dense sampling (every 0.5 s, cuts included) stands in for the video job,
 * whose own sampling rate AWS does not document. Both go through core's result builders, so what is
 * compared is what a consumer of `Labels Detected` would read.
 */

/** The video-job proxy. */
const DENSE_MS = 500;
const DEFAULT_MS = DEFAULT_FRAME_SAMPLE_SECONDS * 1000;
/** Frames mode's interval, the default among them. */
const INTERVALS_MS = [1000, DEFAULT_MS, 5000];
const BUCKET_MS = 1000;
/**
 * nsfwjs finds nothing near the review threshold on these media (nothing unsafe is in them), so
 * moderation categories are compared from this floor up: what sampling loses of whatever the model reports.
 */
const MODERATION_FLOOR = 10;
/**
 * The moderation proxy: MobileNetV2, not the local default (MobileNetV2Mid), because the default scores
 * these benign media under the floor everywhere and would leave nothing to compare; MobileNetV2's
 * misfires on them are the 10–80 % scores a sparser sampling can lose.
 */
const MODERATION_PROXY = "MobileNetV2";
const DISTINCT_TARGET = 0.9;

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Analysis {
  frames: number;
  cuts: number;
  labels: LabelsDocument;
  moderation: ModerationDocument;
  /** Segments from MODERATION_FLOOR up (the document's own start at the review threshold). */
  floorSegments: ModerationSegment[];
  labelEngine: string;
  moderationEngine: string;
}

/** Keeps what core's builders store, instead of writing it. */
function capture(): BlobStore & { docs: Map<string, unknown> } {
  const docs = new Map<string, unknown>();
  return {
    docs,
    putJson: async (ref: ObjectRef, value: unknown) => void docs.set(ref.key, value),
    getJson: async <T>(ref: ObjectRef) => docs.get(ref.key) as T,
    size: async () => undefined,
  };
}

const pct = (r: Recall) => `${r.hits} of ${r.total}`;
const money = (n: number) => `$${n.toFixed(3)}`;

describe("frames mode's sampling against a dense, video-job-like sampling (local models as the proxy)", () => {
  it("measures label and moderation recall, frames per minute and the saving", async () => {
    const started = performance.now();
    dir = await tempDir("eval-sampling");
    const store = new LocalObjectStore(join(dir, "data"));
    const [hard, gradual, pan] = await Promise.all([makeHardCutVideo(dir), makeGradualVideo(dir), makePanVideo(dir)]);
    const media = [
      { id: "hard-cuts", what: "9 shots, 8 hard cuts", made: hard },
      { id: "gradual", what: "4 shots joined by fades", made: gradual },
      { id: "pan", what: "one 12 s pan across 5 photos, no cut", made: pan },
    ];
    for (const m of media) await store.putFile({ bucket: "media", key: `uploads/${basename(m.made.path)}` }, m.made.path);

    async function analyse(m: (typeof media)[number], everyMs: number): Promise<Analysis> {
      const source = { bucket: "media", key: `uploads/${basename(m.made.path)}` };
      const input = { mediaId: m.id, source, durationMs: m.made.durationMs };
      // The production frame pass (one decode, shared by both models) at this interval.
      const frames = createFfmpegFrameSource({ pathOf: store.pathOf, bucket: "derived", prefix: `frames-${everyMs}`, sampleEveryMs: everyMs });
      const set = await frames.frames(m.id, source);
      const labels = await createHumanLabelDetector({ frames, pathOf: store.pathOf }).detect(input);
      const moderation = await createNsfwModerationDetector({ frames, pathOf: store.pathOf, model: MODERATION_PROXY }).detect(input);
      const blobs = capture();
      await labelsResult(blobs, { mediaId: m.id, source, ...labels });
      await moderationResult(blobs, DEFAULT_THRESHOLDS, { mediaId: m.id, source, ...moderation });
      const frameMs = frameSpacingMs(moderation.frames.map((f) => f.timestampMs));
      return {
        frames: set.frames.length,
        cuts: set.cuts.length - 1,
        labels: LabelsDocument.parse(blobs.docs.get(`derived/${m.id}/labels.json`)),
        moderation: ModerationDocument.parse(blobs.docs.get(`derived/${m.id}/moderation.json`)),
        floorSegments: segmentModeration(moderation.frames, { reviewMin: MODERATION_FLOOR, flagMin: 100 }, { frameMs, maxGapMs: frameMs * 2.5 }),
        labelEngine: `${labels.engine.name} ${labels.engine.version}`,
        moderationEngine: `${moderation.engine.name} ${moderation.engine.version} ${MODERATION_PROXY}`,
      };
    }

    const dense = new Map<string, Analysis>();
    for (const m of media) dense.set(m.id, await analyse(m, DENSE_MS));
    const sampled = new Map<number, Map<string, Analysis>>();
    for (const everyMs of INTERVALS_MS) {
      const byMedia = new Map<string, Analysis>();
      for (const m of media) byMedia.set(m.id, await analyse(m, everyMs));
      sampled.set(everyMs, byMedia);
    }

    const totalMinutes = media.reduce((a, m) => a + m.made.durationMs, 0) / 60_000;
    const perMinute = (byMedia: Map<string, Analysis>) => [...byMedia.values()].reduce((a, x) => a + x.frames, 0) / totalMinutes;
    const cutsPerMinute = [...dense.values()].reduce((a, x) => a + x.cuts + 1, 0) / totalMinutes;

    /** Every measure of one interval against dense, per media and pooled. */
    const compare = (everyMs: number) => {
      const byMedia = sampled.get(everyMs)!;
      const perMedia = media.map((m) => {
        const d = dense.get(m.id)!;
        const s = byMedia.get(m.id)!;
        const dSpans = labelSpans(d.labels);
        const sSpans = labelSpans(s.labels);
        const missed = [...distinct(dSpans)].filter((n) => !distinct(sSpans).has(n));
        return {
          m, d, s, missed,
          distinctLabels: recallOf(distinct(dSpans), distinct(sSpans)),
          pairs: recallOf(bucketPairs(dSpans, BUCKET_MS), bucketPairs(sSpans, BUCKET_MS)),
          // Of what the sparse document claims, how much the dense one confirms (its ranges reach further).
          pairPrecision: recallOf(bucketPairs(sSpans, BUCKET_MS), bucketPairs(dSpans, BUCKET_MS)),
          moderation: recallOf(distinct(moderationSpans(d.floorSegments)), distinct(moderationSpans(s.floorSegments))),
          moderationPairs: recallOf(bucketPairs(moderationSpans(d.floorSegments), BUCKET_MS), bucketPairs(moderationSpans(s.floorSegments), BUCKET_MS)),
          sameDecision: d.moderation.decision === s.moderation.decision,
        };
      });
      const framesPerMinute = perMinute(byMedia);
      const rekognitionPerMinute = 2 * framesPerMinute * PRICES.rekognitionImagePerImage;
      return {
        everyMs, perMedia, framesPerMinute, rekognitionPerMinute,
        saving: 1 - rekognitionPerMinute / (2 * PRICES.rekognitionVideoPerMinute),
        distinctLabels: pooledRecall(perMedia.map((p) => p.distinctLabels)),
        pairs: pooledRecall(perMedia.map((p) => p.pairs)),
        pairPrecision: pooledRecall(perMedia.map((p) => p.pairPrecision)),
        moderation: pooledRecall(perMedia.map((p) => p.moderation)),
        moderationPairs: pooledRecall(perMedia.map((p) => p.moderationPairs)),
        sameDecision: perMedia.filter((p) => p.sameDecision).length,
      };
    };
    const results = INTERVALS_MS.map(compare);
    const def = results.find((r) => r.everyMs === DEFAULT_MS)!;
    const first = dense.values().next().value!;
    const labelEngine = first.labelEngine;
    const moderationEngine = first.moderationEngine;
    const denseFpm = perMinute(dense);
    const on = `${media.length} media, ${formatValue(totalMinutes * 60)} s (${media.map((m) => m.what).join("; ")}); dense = every ${DENSE_MS / 1000} s + cuts`;
    const s = (ms: number) => `${ms / 1000} s`;

    const rows: Row[] = [
      row(labelEngine, `frames mode (${s(DEFAULT_MS)}) distinct-label recall vs dense`, def.distinctLabels.recall,
        `${pct(def.distinctLabels)} labels found by the dense sampling; ${on}`, { op: ">=", value: DISTINCT_TARGET }),
      row(labelEngine, `frames mode (${s(DEFAULT_MS)}) (label, 1 s) recall vs dense`, def.pairs.recall,
        `${pct(def.pairs)} (label, second) pairs covered by the dense document's time ranges; precision ${formatValue(def.pairPrecision.recall)}`),
      ...def.perMedia.map((p) => row(labelEngine, `frames mode (${s(DEFAULT_MS)}) recall on ${p.m.id}`, p.distinctLabels.recall,
        `distinct ${pct(p.distinctLabels)}, (label, 1 s) ${pct(p.pairs)}; ${p.s.frames} frames vs ${p.d.frames} dense${p.missed.length ? `; missed ${p.missed.join(", ")}` : ""}`)),
      ...results.filter((r) => r.everyMs !== DEFAULT_MS).map((r) => row(labelEngine, `sampling every ${s(r.everyMs)}: distinct-label recall`, r.distinctLabels.recall,
        `${pct(r.distinctLabels)}; (label, 1 s) recall ${formatValue(r.pairs.recall)}; ${formatValue(r.framesPerMinute)} frames/min`)),
      row(moderationEngine, `frames mode (${s(DEFAULT_MS)}) moderation-category recall vs dense (≥ ${MODERATION_FLOOR} %)`,
        def.moderation.total ? def.moderation.recall : `nothing to recall: no category reached ${MODERATION_FLOOR} % in the dense sampling`,
        `${pct(def.moderation)} categories, (category, 1 s) ${pct(def.moderationPairs)}; same decision at ${DEFAULT_THRESHOLDS.reviewMin}/${DEFAULT_THRESHOLDS.flagMin} on ${def.sameDecision} of ${media.length} media`),
      row("ffmpeg frame pass", "frames analysed per media minute, dense", denseFpm, `every ${s(DENSE_MS)} + cuts; ${formatValue(cutsPerMinute)} shots/min on these media`),
      ...results.map((r) => row("ffmpeg frame pass", `frames analysed per media minute, every ${s(r.everyMs)}`, r.framesPerMinute,
        `cost model estimate ${formatValue(expectedFramesPerMinute(r.everyMs / 1000, cutsPerMinute))} at ${formatValue(cutsPerMinute)} shots/min`)),
      row("cost model (PRICES, to verify)", `Rekognition $ per media minute, frames mode (${s(DEFAULT_MS)})`, def.rekognitionPerMinute,
        `2 APIs × ${formatValue(def.framesPerMinute)} frames × ${money(PRICES.rekognitionImagePerImage)}, against ${money(2 * PRICES.rekognitionVideoPerMinute)} for the two video jobs: ${Math.round(def.saving * 100)} % less`),
    ];

    const weaknesses: string[] = [];
    for (const p of def.perMedia.filter((x) => x.missed.length)) {
      weaknesses.push(`Frames mode (${s(DEFAULT_MS)}): ${p.missed.join(", ")} seen by the dense sampling on ${p.m.id} but on no sampled frame.`);
    }
    const peak = (a: Analysis) => Math.max(0, ...a.floorSegments.map((x) => x.confidence));
    for (const p of def.perMedia.filter((x) => !x.sameDecision)) {
      weaknesses.push(
        `Moderation, frames mode (${s(DEFAULT_MS)}) on ${p.m.id}: decided ${p.s.moderation.decision} (peak ${formatValue(peak(p.s))} %) where the dense sampling decided ` +
          `${p.d.moderation.decision} (peak ${formatValue(peak(p.d))} %): a decision follows the highest-scoring frame, and sparser frames see lower peaks, so a borderline ` +
          "item can move to the milder decision. (These media hold nothing unsafe, so the scores are the model's false positives; the effect is the sampling's.)",
      );
    }
    const coarse = results.find((r) => r.everyMs === 5000)!;
    if (coarse.distinctLabels.recall < def.distinctLabels.recall) {
      weaknesses.push(`Frames mode at 5 s keeps ${formatValue(coarse.distinctLabels.recall)} of the distinct labels (${formatValue(def.distinctLabels.recall)} at ${s(DEFAULT_MS)}): a longer interval loses what passes through a long shot.`);
    }
    if (def.pairs.recall < 0.9) {
      weaknesses.push(`Frames mode (${s(DEFAULT_MS)}): the labels' time ranges cover ${formatValue(def.pairs.recall)} of the seconds the dense sampling puts them in; ranges are coarser by the interval.`);
    }
    weaknesses.push(
      `Frames mode vs video jobs is measured with local models (COCO-80 objects, nsfwjs) standing in for Rekognition and a 0.5 s sampling standing in for the video job; ` +
        "Rekognition's own recall on sampled frames, and the video job's real sampling, are not measured here (no AWS).",
    );

    const section = [
      `Frames mode (\`MEDIA_VISION_MODE=frames\`) calls Rekognition Image on a keyframe per shot plus a frame every N seconds instead of running the two Rekognition Video jobs. ` +
        `Measured offline with the **local models as a proxy for Rekognition** (${labelEngine}; ${moderationEngine}) and a **dense sampling every ${s(DENSE_MS)} (cuts included) as a proxy for the video job**, ` +
        `on ${on.replace(/; dense.*/, "")}. Both samplings go through core's result builders; recall is of what the dense documents report.`,
      "",
      "| sampling | frames / media min | Rekognition $ / media min | vs video jobs ($0.200) | distinct-label recall | (label, 1 s) recall | (label, 1 s) precision | moderation-category recall (≥ 10 %) |",
      "|---|---|---|---|---|---|---|---|",
      `| dense, every ${s(DENSE_MS)} (video-job proxy) | ${formatValue(denseFpm)} | ${money(2 * denseFpm * PRICES.rekognitionImagePerImage)} | — | 1 | 1 | 1 | 1 |`,
      ...results.map((r) => `| every ${s(r.everyMs)}${r.everyMs === DEFAULT_MS ? " (default)" : ""} | ${formatValue(r.framesPerMinute)} | ${money(r.rekognitionPerMinute)} | ${r.saving >= 0 ? `${Math.round(r.saving * 100)} % less` : `${Math.round(-r.saving * 100)} % more`} | ${formatValue(r.distinctLabels.recall)} (${pct(r.distinctLabels)}) | ${formatValue(r.pairs.recall)} | ${formatValue(r.pairPrecision.recall)} | ${r.moderation.total ? formatValue(r.moderation.recall) : "—"} (${pct(r.moderation)}) |`),
      "",
      `Per media at the default (${s(DEFAULT_MS)}): ` +
        def.perMedia.map((p) => `${p.m.id} ${p.s.frames} frames (dense ${p.d.frames}), labels ${[...distinct(labelSpans(p.d.labels))].join(", ") || "none"}; distinct recall ${formatValue(p.distinctLabels.recall)}, (label, 1 s) ${formatValue(p.pairs.recall)}`).join("; ") + ".",
      `These media are short and cut often (${formatValue(cutsPerMinute)} shots a minute), which adds keyframes: the cost model's default assumes 10 shots a minute (35 frames a minute at ${s(DEFAULT_MS)}). ` +
        "Prices are the list prices in packages/core/src/policy/cost.ts (to verify).",
    ];

    await saveGroup(inject("evalRowsDir"), { name: "4-sampling", rows, weaknesses, durationMs: performance.now() - started, section: { title: "Frames mode vs video jobs: what sampling loses (local models as proxy)", lines: section } });

    // The measures themselves, on cases with a known answer.
    expect(recallOf(new Set(["a", "b"]), new Set(["b", "c"]))).toEqual({ hits: 1, total: 2, recall: 0.5 });
    expect(bucketPairs([{ name: "Cat", startMs: 500, endMs: 2000 }], 1000)).toEqual(new Set(["Cat@0", "Cat@1"]));
    // Four samplings of three videos through both models: ~190 frames, longer than the other groups.
  }, 600_000);
});

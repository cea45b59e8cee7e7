import { basename, join } from "node:path";
import type { ShotsDocument } from "@media-pipeline/core";
import { createFfmpegFrameSource, createFfmpegShotDetector } from "../packages/media/src/index.js";
import { LocalObjectStore } from "../packages/local/src/runtime/object-store.js";
import {
  GRADUAL_HELD_APART, GRADUAL_TUNING, HARD_CUT_HELD_APART, HARD_CUT_SHOTS, makeGradualVideo, makeHardCutVideo, shotName,
  type MadeVideo,
} from "./fixtures.js";
import { boundaryScores, realTimeFactor } from "./metrics.js";
import { makePanVideo } from "./sampling.js";
import { row, type Row } from "./table.js";

/**
 * Shot boundaries measured on two sets of generated video: the tuning set (the photographs, motions
 * and transitions the detector's constants were chosen on) and a held-apart set (other photographs,
 * pans, tilts and zooms out, transitions of 0.5–2 s and a fade through white). Both must meet every
 * target. Used by eval/shots.eval.ts (RESULTS.md) and test/quality.test.ts (npm test fails on a miss).
 */

/** A detected boundary within this of a true one is a hit (one-to-one). */
export const TOLERANCE_MS = 500;
export const SETS = ["tuning", "held apart"] as const;
export type SetName = (typeof SETS)[number];

export interface ShotMeasurement {
  rows: Row[];
  weaknesses: string[];
}

/** Runs the production frame source + shot detector (default settings) on one made video. */
async function detect(store: LocalObjectStore, path: string, durationMs: number): Promise<{ doc: ShotsDocument; ms: number }> {
  const source = { bucket: "media", key: `uploads/${basename(path)}` };
  await store.putFile(source, path);
  const frames = createFfmpegFrameSource({ pathOf: store.pathOf, bucket: "derived" });
  const started = performance.now();
  const doc = await createFfmpegShotDetector({ frames }).detect({ mediaId: basename(path, ".mp4"), source, durationMs });
  return { doc, ms: performance.now() - started };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const near = (t: number, list: readonly number[]) => list.some((x) => Math.abs(x - t) <= TOLERANCE_MS);
/** Shot 0 always starts at 0 and is not a boundary. */
const found = (doc: ShotsDocument) => doc.shots.slice(1).map((s) => s.startMs);

export async function measureShots(dir: string): Promise<ShotMeasurement> {
  const store = new LocalObjectStore(join(dir, "data"));
  const made = {
    tuning: {
      hard: makeHardCutVideo(dir, HARD_CUT_SHOTS, "tuning-hard.mp4"),
      gradual: makeGradualVideo(dir, GRADUAL_TUNING, "tuning-gradual.mp4"),
      still: makePanVideo(dir, "tuning-pan.mp4").then((v) => ({ ...v, what: "a 12 s pan across five photographs" })),
    },
    "held apart": {
      hard: makeHardCutVideo(dir, HARD_CUT_HELD_APART, "held-hard.mp4"),
      gradual: makeGradualVideo(dir, GRADUAL_HELD_APART, "held-gradual.mp4"),
      still: undefined,
    },
  };
  const rows: Row[] = [];
  const weaknesses: string[] = [];
  let engine = "";
  let totalMs = 0;
  let totalMedia = 0;
  for (const set of SETS) {
    const hard: MadeVideo = await made[set].hard;
    const gradual = await made[set].gradual;
    const still = await made[set].still;
    const h = await detect(store, hard.path, hard.durationMs);
    const g = await detect(store, gradual.path, gradual.durationMs);
    const p = still ? await detect(store, still.path, still.durationMs) : undefined;
    totalMs += h.ms + g.ms + (p?.ms ?? 0);
    totalMedia += hard.durationMs + gradual.durationMs + (still?.durationMs ?? 0);
    const settings = h.doc.engine.settings as { sceneThreshold: number };
    engine = `${h.doc.engine.name} ${h.doc.engine.version} (scene > ${settings.sceneThreshold}; blends in 32×18 frames)`;
    const hs = boundaryScores(hard.boundariesMs, found(h.doc), TOLERANCE_MS);
    const gs = boundaryScores(gradual.boundariesMs, found(g.doc), TOLERANCE_MS);
    // Boundaries inside a moving shot: anything found away from a true boundary in the hard-cut video
    // (every photograph there moves), plus anything at all in the one-shot pan.
    const falseInMotion = [...found(h.doc).filter((t) => !near(t, hard.boundariesMs)), ...(p ? found(p.doc) : [])];
    const motions = [...new Set(hard.shots.filter((s) => !("pattern" in s.spec)).map((s) => s.spec.motion ?? "zoom-in"))].join(", ");
    const onHard = `${seconds(hard.durationMs)}, ${hard.shots.length} shots (${hard.shots.map((s) => shotName(s.spec)).join(", ")}), ${hard.boundariesMs.length} hard cuts, ±0.5 s`;
    const onGradual = `${seconds(gradual.durationMs)}, ${gradual.transitions.length} transitions (${gradual.transitions.join(", ")}), ±0.5 s of mid-transition`;
    const tag = `(${set})`;
    rows.push(
      row(engine, `shot boundary F1, hard cuts ${tag}`, hs.f1, onHard, { op: ">=", value: 0.95 }),
      row(engine, `shot boundary F1, fades/dissolves ${tag}`, gs.f1, onGradual, { op: ">=", value: 0.9 }),
      row(engine, `shot boundary recall, fades/dissolves ${tag}`, gs.recall, `${gs.truePositives} of ${gs.reference} transitions found`),
      row(engine, `shot boundary precision, fades/dissolves ${tag}`, gs.precision, `${gs.truePositives} of ${gs.hypothesis} detected boundaries are real`),
      row(
        engine, `false boundaries inside moving shots ${tag}`, falseInMotion.length,
        `photographs moving by ${motions}${still ? `; and ${still.what}` : ""}`, { op: "=", value: 0 },
      ),
    );
    // How close the weakest real cut came to the threshold: the margin before cuts start to be missed.
    const hits = h.doc.shots.slice(1).filter((s) => near(s.startMs, hard.boundariesMs));
    const weakest = hits.reduce((a, b) => (b.cutScore < a.cutScore ? b : a), hits[0]);
    if (weakest) {
      const after = hard.shots.findIndex((s) => Math.abs(s.startMs - weakest.startMs) <= TOLERANCE_MS);
      const cut = after > 0 ? `${seconds(hard.shots[after].startMs)}, ${shotName(hard.shots[after - 1].spec)} → ${shotName(hard.shots[after].spec)}` : "n/a";
      rows.push(row(engine, `lowest scene score of a found hard cut ${tag}`, weakest.cutScore, `threshold ${settings.sceneThreshold}; the cut at ${cut}`));
      if (weakest.cutScore - settings.sceneThreshold < 0.15) {
        weaknesses.push(
          `Shots ${tag}: the weakest real cut (${cut}) scored ${weakest.cutScore.toFixed(2)} against a threshold of ${settings.sceneThreshold}, ` +
            "so a cut between two similar-looking shots (same set, another angle) may well fall under it and be missed.",
        );
      }
    }
    const missedCuts = hard.boundariesMs.filter((t) => !near(t, found(h.doc)));
    if (missedCuts.length) weaknesses.push(`Shots ${tag}: missed hard cut(s) at ${missedCuts.map(seconds).join(", ")}.`);
    if (falseInMotion.length) weaknesses.push(`Shots ${tag}: ${falseInMotion.length} boundary(ies) inside moving shots, at ${falseInMotion.map(seconds).join(", ")}.`);
    const missed = gradual.transitions.filter((_, i) => !near(gradual.boundariesMs[i], found(g.doc)));
    if (missed.length) weaknesses.push(`Shots ${tag}: gradual transition(s) missed: ${missed.join("; ")}.`);
    const falseGradual = found(g.doc).filter((t) => !near(t, gradual.boundariesMs));
    if (falseGradual.length) weaknesses.push(`Shots ${tag}: ${falseGradual.length} boundary(ies) away from any transition in the fade video, at ${falseGradual.map(seconds).join(", ")}.`);
  }
  rows.push(row(engine, "real-time factor, decode pass (shots + frames)", realTimeFactor(totalMs, totalMedia), `all ${SETS.length * 2 + 1} videos, ${seconds(totalMs)} for ${seconds(totalMedia)}; 640×360 25 fps H.264`));
  weaknesses.push(
    "Shots: a transition is found when its frames are, pixel by pixel, a mix of the shots either side; wipes, slides and " +
      "other shaped transitions are not mixes and are not measured here. A fade into black faster than 0.2 s is no blend: the " +
      "transition is then taken to run from the black hold to the end of the fade in.",
  );
  return { rows, weaknesses };
}

import { rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { afterAll, describe, inject, it } from "vitest";
import type { ShotsDocument } from "@media-pipeline/core";
import { createFfmpegFrameSource, createFfmpegShotDetector } from "../packages/media/src/index.js";
import { LocalObjectStore } from "../packages/local/src/runtime/object-store.js";
import { tempDir } from "../test/helpers/flow.js";
import { HARD_CUT_SHOTS, TRANSITION_SECONDS, makeGradualVideo, makeHardCutVideo, type MadeVideo, type ShotTruth } from "./fixtures.js";
import { boundaryScores, realTimeFactor } from "./metrics.js";
import { row, saveGroup, type Row } from "./table.js";

/** A detected boundary within this of a true one is a hit (one-to-one). */
const TOLERANCE_MS = 500;

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the production frame source + shot detector (default settings) on one made video. */
async function detect(store: LocalObjectStore, made: MadeVideo): Promise<{ doc: ShotsDocument; ms: number }> {
  const source = { bucket: "media", key: `uploads/${basename(made.path)}` };
  await store.putFile(source, made.path);
  const frames = createFfmpegFrameSource({ pathOf: store.pathOf, bucket: "derived" });
  const started = performance.now();
  const doc = await createFfmpegShotDetector({ frames }).detect({ mediaId: basename(made.path, ".mp4"), source, durationMs: made.durationMs });
  return { doc, ms: performance.now() - started };
}

const shotName = (s: ShotTruth) => ("photo" in s.spec ? s.spec.photo : s.spec.pattern);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const nearest = (t: number, list: number[]) => list.some((x) => Math.abs(x - t) <= TOLERANCE_MS);

describe("shot boundaries: ffmpeg scene score over the shared frame pass", () => {
  it("measures hard cuts and gradual transitions separately", async () => {
    const started = performance.now();
    dir = await tempDir("eval-shots");
    const store = new LocalObjectStore(join(dir, "data"));
    const [hard, gradual] = await Promise.all([makeHardCutVideo(dir), makeGradualVideo(dir)]);
    const h = await detect(store, hard);
    const g = await detect(store, gradual);
    const settings = h.doc.engine.settings as { sceneThreshold: number; sampleEveryMs: number };
    const engine = `${h.doc.engine.name} ${h.doc.engine.version} (scene > ${settings.sceneThreshold})`;
    // Shot 0 always starts at 0 and is not a boundary.
    const found = (doc: ShotsDocument) => doc.shots.slice(1).map((s) => s.startMs);
    const hardFound = found(h.doc);
    const gradualFound = found(g.doc);
    const hs = boundaryScores(hard.boundariesMs, hardFound, TOLERANCE_MS);
    const gs = boundaryScores(gradual.boundariesMs, gradualFound, TOLERANCE_MS);
    const photos = HARD_CUT_SHOTS.filter((s) => "photo" in s).length;
    const onHard = `${seconds(hard.durationMs)} 640×360, ${hard.shots.length} shots (${photos} photo slow zooms), ${hard.boundariesMs.length} hard cuts, ±0.5 s`;
    const onGradual = `${seconds(gradual.durationMs)} 640×360, ${gradual.transitions.length} × ${TRANSITION_SECONDS} s transitions (${gradual.transitions.join(", ")}), ±0.5 s of mid-transition`;
    // How close the weakest real cut came to the threshold: the margin before cuts start to be missed.
    const hitScores = h.doc.shots.slice(1).filter((s) => nearest(s.startMs, hard.boundariesMs)).map((s) => s.cutScore);
    const weakest = hitScores.length ? Math.min(...hitScores) : Number.NaN;
    const weakestAt = h.doc.shots.find((s) => s.cutScore === weakest);
    const after = weakestAt && hard.shots.findIndex((s) => Math.abs(s.startMs - weakestAt.startMs) <= TOLERANCE_MS);
    const weakestCut = after !== undefined && after > 0 ? `${seconds(hard.shots[after].startMs)}, ${shotName(hard.shots[after - 1])} → ${shotName(hard.shots[after])}` : "n/a";
    const rows: Row[] = [
      row(engine, "shot boundary F1, hard cuts", hs.f1, onHard, { op: ">=", value: 0.95 }),
      row(engine, "shot boundary precision, hard cuts", hs.precision, `${hs.truePositives} of ${hs.hypothesis} detected cuts are real`),
      row(engine, "shot boundary recall, hard cuts", hs.recall, `${hs.truePositives} of ${hs.reference} cuts found`),
      row(engine, "lowest scene score of a found hard cut", weakest, `threshold ${settings.sceneThreshold}; the cut at ${weakestCut}`),
      row(engine, "shot boundary F1, fades/dissolves", gs.f1, onGradual),
      row(engine, "shot boundary precision, fades/dissolves", gs.precision, `${gs.truePositives} of ${gs.hypothesis} detected boundaries are real`),
      row(engine, "shot boundary recall, fades/dissolves", gs.recall, `${gs.truePositives} of ${gs.reference} transitions found`),
      row(engine, "real-time factor, decode pass (shots + frames)", realTimeFactor(h.ms + g.ms, hard.durationMs + gradual.durationMs), `both videos, ${seconds(h.ms + g.ms)} for ${seconds(hard.durationMs + gradual.durationMs)}; 640×360 25 fps H.264`),
    ];

    const weaknesses: string[] = [];
    const missedCuts = hard.boundariesMs.filter((t) => !nearest(t, hardFound));
    const falseCuts = hardFound.filter((t) => !nearest(t, hard.boundariesMs));
    if (missedCuts.length) weaknesses.push(`Shots: missed hard cut(s) at ${missedCuts.map(seconds).join(", ")} (scene score at or under ${settings.sceneThreshold}).`);
    if (falseCuts.length) weaknesses.push(`Shots: ${falseCuts.length} false cut(s) inside a shot, at ${falseCuts.map(seconds).join(", ")}.`);
    if (weakest - settings.sceneThreshold < 0.15) {
      weaknesses.push(
        `Shots: the weakest real cut (${weakestCut}) scored ${weakest.toFixed(2)} against a threshold of ${settings.sceneThreshold}, ` +
          "so a cut between two similar-looking shots (same set, another angle) may well fall under it and be missed.",
      );
    }
    const missedTransitions = gradual.transitions.filter((_, i) => !nearest(gradual.boundariesMs[i], gradualFound));
    if (missedTransitions.length) {
      weaknesses.push(
        `Shots: gradual transitions are ${missedTransitions.length === gradual.transitions.length ? "all" : "partly"} missed ` +
          `(${gs.truePositives} of ${gs.reference} found; missed: ${missedTransitions.join(", ")}): the scene score compares neighbouring ` +
          `frames, and a ${TRANSITION_SECONDS} s blend changes each frame too little to pass ${settings.sceneThreshold}. ` +
          "A fade then merges two shots into one, whose only keyframe shows the first.",
      );
    }
    const gradualFalse = gradualFound.filter((t) => !nearest(t, gradual.boundariesMs));
    if (gradualFalse.length) weaknesses.push(`Shots: ${gradualFalse.length} boundary(ies) reported away from any transition in the fade video, at ${gradualFalse.map(seconds).join(", ")}.`);

    await saveGroup(inject("evalRowsDir"), { name: "1-shots", rows, weaknesses, durationMs: performance.now() - started });
  });
});

import { rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { afterAll, describe, inject, it } from "vitest";
import { COCO_TAXONOMY, createHumanLabelDetector } from "../packages/local/src/engines/vision/index.js";
import { createFfmpegFrameSource } from "../packages/media/src/index.js";
import { LocalObjectStore } from "../packages/local/src/runtime/object-store.js";
import { tempDir } from "../test/helpers/flow.js";
import { shotName as nameOf, PHOTOS, makeHardCutVideo, type ShotTruth } from "./fixtures.js";
import { hitRate } from "./metrics.js";
import { row, saveGroup, type Row } from "./table.js";

/**
 * Nothing in the rocket photograph (a launch tower at dusk) is alive, edible or household: a label
 * with one of these parents, or Person, is a hallucination rather than a near miss like Airplane.
 */
const ABSURD_FOR_ROCKET = new Set(["Animal", "Food", "Tableware", "Furniture", "Appliance"]);
const parentsOf = new Map(Object.values(COCO_TAXONOMY).map((c) => [c.name, c.parents]));
const isAbsurdForRocket = (name: string) => name === "Person" || (parentsOf.get(name) ?? []).some((p) => ABSURD_FOR_ROCKET.has(p));

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const shotName = (s: ShotTruth) => nameOf(s.spec);
const list = (labels: Map<string, number>) => [...labels].map(([name, c]) => `${name} ${c.toFixed(0)} %`).join(", ") || "nothing";

describe("object labels: human's COCO-80 CenterNet on the photo shots of a video", () => {
  it("scores the expected class per photo shot", async () => {
    const started = performance.now();
    dir = await tempDir("eval-labels");
    const store = new LocalObjectStore(join(dir, "data"));
    const made = await makeHardCutVideo(dir);
    const source = { bucket: "media", key: `uploads/${basename(made.path)}` };
    await store.putFile(source, made.path);
    // The production path: one decode pass (default threshold and sampling), then the detector on its frames.
    const frames = createFfmpegFrameSource({ pathOf: store.pathOf, bucket: "derived" });
    const labels = await createHumanLabelDetector({ frames, pathOf: store.pathOf }).detect({ mediaId: "labels", source, durationMs: made.durationMs });
    const engine = `${labels.engine.name} ${labels.engine.version}`;
    const settings = labels.engine.settings as { minConfidence: number; timings: { warmupMs: number; perFrameMs: number; frames: number } };

    // Per ground-truth shot: every label on any frame inside it, with its best confidence.
    const perShot = made.shots.map((shot) => {
      const found = new Map<string, number>();
      const inShot = labels.frames.filter((f) => f.timestampMs >= shot.startMs && f.timestampMs < shot.endMs);
      for (const d of inShot.flatMap((f) => f.detections)) found.set(d.name, Math.max(found.get(d.name) ?? 0, d.confidence));
      return { shot, name: shotName(shot), frames: inShot.length, found };
    });
    const photoShots = perShot.filter((s) => "photo" in s.shot.spec);
    const scored = photoShots.flatMap((s) => {
      const expected = PHOTOS[s.name as keyof typeof PHOTOS].expected;
      return expected ? [{ ...s, expected }] : [];
    });
    const hits = hitRate(scored.map((s) => ({ expected: s.expected, found: [...s.found.keys()] })));
    const rocket = photoShots.find((s) => s.name === "rocket");
    const absurd = rocket ? [...rocket.found.keys()].filter(isAbsurdForRocket) : [];
    const patterns = perShot.filter((s) => "pattern" in s.shot.spec);
    const patternLabels = patterns.filter((s) => s.found.size > 0);

    const rows: Row[] = [
      row(engine, "expected COCO class found, per photo shot (hit rate)", hits.rate, `${hits.hits} of ${hits.total} shots: ${scored.map((s) => `${s.name}→${s.expected} ${s.found.has(s.expected) ? "found" : "MISSED"}`).join(", ")}; min confidence ${settings.minConfidence} %`, { op: "=", value: 1 }),
      ...scored.map((s) => row(engine, `labels on the ${s.name} shot`, s.found.get(s.expected) ?? 0, `confidence of ${s.expected} (0 = not found); all: ${list(s.found)}; ${s.frames} frames`)),
      row(engine, "absurd labels on the rocket shot (no COCO class)", absurd.length, `reported: ${rocket ? list(rocket.found) : "no rocket shot"}; absurd = Person or an animal, food, tableware, furniture or appliance; not in the hit rate`, { op: "=", value: 0 }),
      row(engine, "synthetic-pattern shots given any label", patternLabels.length, `of ${patterns.length}: ${patterns.map((s) => `${s.name}: ${list(s.found)}`).join("; ")}`),
      row(engine, "ms per frame (decode + detect)", settings.timings.perFrameMs, `${settings.timings.frames} frames of 640×360 letterboxed; ${labels.engine.settings?.backend} backend, ${labels.engine.settings?.threads} thread(s)`),
      row(engine, "model load + first inference, ms", settings.timings.warmupMs, "once per process"),
    ];

    const weaknesses: string[] = [];
    for (const s of scored.filter((x) => !x.found.has(x.expected))) {
      weaknesses.push(`Labels: ${s.expected} not found in the ${s.name} shot (reported instead: ${list(s.found)}).`);
    }
    const weak = scored.filter((s) => s.found.has(s.expected) && s.found.get(s.expected)! < settings.minConfidence + 20);
    if (weak.length) {
      weaknesses.push(
        `Labels: found, but barely above the ${settings.minConfidence} % floor: ${weak.map((s) => `${s.expected} ${s.found.get(s.expected)!.toFixed(0)} %`).join(", ")} ` +
          "on clean, centred photographs; blur, clutter or a partial view in real footage may drop them below it.",
      );
    }
    if (absurd.length) weaknesses.push(`Labels: the rocket photograph was labelled ${absurd.join(", ")}, which is not in it.`);
    if (patternLabels.length) weaknesses.push(`Labels: objects reported on synthetic test patterns: ${patternLabels.map((s) => `${s.name} → ${list(s.found)}`).join("; ")}.`);
    if (settings.timings.perFrameMs > 250) {
      weaknesses.push(`Labels: ${settings.timings.perFrameMs.toFixed(0)} ms per frame on WASM; at one frame per 2 s that is ${(settings.timings.perFrameMs / 20).toFixed(0)} s of compute per 10 min of video.`);
    }

    await saveGroup(inject("evalRowsDir"), { name: "2-labels", rows, weaknesses, durationMs: performance.now() - started });
  });
});

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, inject, it } from "vitest";
import { MIN_TEXT_CONFIDENCE, mergeTextFrames, type ObjectRef, sameOcrText, type TextOccurrence } from "@media-pipeline/core";
import { createTextDetector, stopTextPrepThread } from "../packages/local/src/engines/text/index.js";
import {
  HELD_OUT, makeTextFrames, MATPLOTLIB_SAMPLE_DATA, matchWords, scoringWords, TUNING, type TextFrame, type TextSetSpec,
} from "../packages/local/src/engines/text/text-frames.js";
import { fakeFrameSource, skimageDataDir } from "../packages/local/test-support/test-frames.js";
import { createFfmpegFrameSource } from "../packages/media/src/index.js";
import { tempDir } from "../test/helpers/flow.js";
import { precisionRecall, type PrecisionRecall } from "./metrics.js";
import { row, saveGroup, type Row } from "./table.js";

/**
 * Text in video: the local OCR engine (tesseract, whole frame + line by line) on frames with known
 * text, words scored at core's MIN_TEXT_CONFIDENCE as the document keeps them.
 *
 * Two sets (packages/local/src/engines/text/text-frames.ts): TUNING, on which every constant of the
 * engine and the merge was chosen (DejaVu fonts; astronaut, coffee, chelsea and two plain colours; its
 * own phrases, sizes 22–64 px at 720p, seed 1), and HELD_OUT, only ever measured (Liberation fonts;
 * motorcycle, rocket, Grace Hopper, retina and a navy colour; other phrases, sizes 26–72 px, seed 2).
 * Targets are on the held-out set at 640×360, the size the frame pass writes its JPEGs by default;
 * 1280×720 shows what a larger frame buys. Then a held-out video through the real frame pass and the
 * merge, where each caption should come out as one occurrence with its time range: measured without a
 * target, since its first run (the engine final) found 2 of 3 (Liberation Mono's "watching" over the
 * rocket was never read, at either size), and a target lowered after seeing the result would mean nothing.
 */

const run = promisify(execFile);
const TARGET = { recall: 0.55, precision: 0.85 };
/** The local runtime's sampling (config sampleEverySeconds default 2). */
const SAMPLE_EVERY_MS = 2000;

let dir: string | undefined;
afterAll(async () => {
  await stopTextPrepThread();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Measured {
  set: TextSetSpec;
  width: number;
  height: number;
  frames: TextFrame[];
  scores: PrecisionRecall;
  /** Word recall by background, style, size and font. */
  by: Map<string, { found: number; drawn: number }>;
  perFrameMs: number;
  concurrency: number;
  engine: string;
}

async function measure(root: string, set: TextSetSpec, width: number, height: number, photoDirs: string[]): Promise<Measured> {
  const frames = await makeTextFrames(join(root, `${set.name}-${width}`), set, { width, height, photoDirs });
  const decoded = frames.map((f, i) => ({
    timestampMs: i * 1000, shotIndex: i, keyframe: true, frame: { bucket: "derived", key: `frames/${i}.jpg` }, width: f.width, height: f.height,
  }));
  const pathOf = (ref: ObjectRef) => frames[Number(/(\d+)\.jpg$/.exec(ref.key)?.[1])].path;
  const read = await createTextDetector({ frames: fakeFrameSource({ m: decoded }), pathOf }).detect({ mediaId: "m", source: { bucket: "media", key: "m.mp4" }, durationMs: frames.length * 1000 });
  let tp = 0;
  let ref = 0;
  let hyp = 0;
  const by = new Map<string, { found: number; drawn: number }>();
  frames.forEach((f, i) => {
    const words = read.frames[i].detections.filter((d) => d.type === "word" && d.confidence >= MIN_TEXT_CONFIDENCE).flatMap((d) => scoringWords(d.text));
    const m = matchWords(f.items.flatMap((it) => scoringWords(it.text)), words);
    tp += m.truePositives;
    ref += m.reference;
    hyp += m.hypothesis;
    for (const item of f.items) {
      const found = matchWords(scoringWords(item.text), words);
      const photo = f.background.startsWith("color:") ? "plain background" : "photographs";
      for (const key of [photo, `style ${item.style}`, `size ${Math.round((item.size * 720) / height)} px at 720p`, `font ${item.font.split("/").pop()?.replace(/\.ttf$/, "")}`]) {
        const b = by.get(key) ?? { found: 0, drawn: 0 };
        b.found += found.truePositives;
        b.drawn += found.reference;
        by.set(key, b);
      }
    }
  });
  const timings = read.engine.settings?.timings as { perFrameMs: number };
  return {
    set, width, height, frames, scores: precisionRecall(tp, ref, hyp), by, perFrameMs: timings.perFrameMs,
    concurrency: Number(read.engine.settings?.concurrency), engine: `${read.engine.name} ${read.engine.version}`,
  };
}

interface Caption {
  text: string;
  font: string;
  size: number;
  style: string;
  x: number;
  y: number;
  fromS: number;
  toS: number;
}

/** Three held-out captions over the rocket photograph, overlapping in time, 20 s of H.264 at 1280×720. */
const CAPTIONS: Caption[] = [
  { text: "Storm warning for the coast", font: "LiberationSans-Bold", size: 40, style: ":box=1:boxcolor=black@0.6:boxborderw=10", x: 80, y: 600, fromS: 2, toS: 8 },
  { text: "Interview with the director", font: "LiberationSerif-Regular", size: 44, style: ":borderw=3:bordercolor=black", x: 120, y: 80, fromS: 6, toS: 14 },
  { text: "Thank you for watching", font: "LiberationMono-Regular", size: 36, style: ":borderw=3:bordercolor=black", x: 200, y: 360, fromS: 12, toS: 18 },
];

interface VideoResult {
  found: Array<{ caption: Caption; match?: TextOccurrence }>;
  others: TextOccurrence[];
  frameSize: string;
}

/** Makes the captioned video once; `maxWidth` as the frame source's (undefined: its default). */
async function measureVideo(root: string, photoDirs: string[], maxWidth?: number): Promise<VideoResult> {
  const pathOf = (ref: ObjectRef) => join(root, "video", ref.bucket, ref.key);
  const source = { bucket: "media", key: "uploads/captions/captions.mp4" };
  await mkdir(dirname(pathOf(source)), { recursive: true });
  if (!existsSync(pathOf(source))) await makeCaptionVideo(root, photoDirs, pathOf(source));
  // The production path: the shared decode pass at the runtime's defaults, the detector, core's merge.
  const frames = createFfmpegFrameSource({ pathOf, bucket: `derived-${maxWidth ?? "default"}`, sampleEveryMs: SAMPLE_EVERY_MS, ...(maxWidth ? { maxWidth } : {}) });
  const read = await createTextDetector({ frames, pathOf }).detect({ mediaId: "captions", source, durationMs: 20_000 });
  const { lines } = mergeTextFrames(read.frames, { durationMs: 20_000 });
  const used = new Set<TextOccurrence>();
  const found = CAPTIONS.map((caption) => {
    // Shown from fromS to toS: the first sample at or after fromS, and the first after toS, within one interval.
    const match = lines.find(
      (l) => !used.has(l) && sameOcrText(l.text, caption.text) && Math.abs(l.startMs - caption.fromS * 1000) <= SAMPLE_EVERY_MS && Math.abs(l.endMs - caption.toS * 1000) <= SAMPLE_EVERY_MS,
    );
    if (match) used.add(match);
    return { caption, ...(match ? { match } : {}) };
  });
  return { found, others: lines.filter((l) => !used.has(l)), frameSize: String(read.engine.settings?.frameSize) };
}

async function makeCaptionVideo(root: string, photoDirs: string[], out: string): Promise<void> {
  const filters = await Promise.all(
    CAPTIONS.map(async (c, i) => {
      const file = join(root, "video", `caption-${i}.txt`);
      await writeFile(file, c.text);
      return `drawtext=fontfile=/usr/share/fonts/truetype/liberation/${c.font}.ttf:textfile=${file}:fontsize=${c.size}:fontcolor=white:x=${c.x}:y=${c.y}${c.style}:enable='between(t,${c.fromS},${c.toS})'`;
    }),
  );
  const photo = photoDirs.map((d) => join(d, "rocket.jpg"))[0];
  await run("ffmpeg", [
    "-nostdin", "-loglevel", "error", "-y", "-loop", "1", "-framerate", "25", "-t", "20", "-i", photo,
    "-vf", ["scale=1280:720:force_original_aspect_ratio=increase,crop=1280:720,setsar=1", ...filters].join(","),
    "-c:v", "libx264", "-pix_fmt", "yuv420p", out,
  ]);
}

const f3 = (x: number) => x.toFixed(3);
const describeVideo = (v: VideoResult) =>
  v.found.map((c) => (c.match ? `"${c.match.text}" ${c.match.startMs}–${c.match.endMs} ms` : `"${c.caption.text}" MISSED`)).join("; ");

describe("text in video: tesseract on generated frames and a captioned video", () => {
  it("scores words on the tuning and held-out frames, and caption occurrences on a video", async () => {
    const started = performance.now();
    dir = await tempDir("eval-text");
    const skimage = skimageDataDir();
    if (!skimage) throw new Error("python3-skimage's photographs are missing: apt-get install python3-skimage");
    const photoDirs = [skimage, MATPLOTLIB_SAMPLE_DATA];

    const held640 = await measure(dir, HELD_OUT, 640, 360, photoDirs);
    const held1280 = await measure(dir, HELD_OUT, 1280, 720, photoDirs);
    const tune640 = await measure(dir, TUNING, 640, 360, photoDirs);
    const tune1280 = await measure(dir, TUNING, 1280, 720, photoDirs);
    const video = await measureVideo(dir, photoDirs);
    const video1280 = await measureVideo(dir, photoDirs, 1280);
    const engine = held640.engine;

    const words = (m: Measured) => m.frames.reduce((s, f) => s + f.items.reduce((t, it) => t + scoringWords(it.text).length, 0), 0);
    const on = (m: Measured) => `${m.frames.length} held-out frames at ${m.width}×${m.height}, ${words(m)} drawn words; words kept at confidence ≥ ${MIN_TEXT_CONFIDENCE}`;
    const rate = (m: Measured, key: string) => {
      const b = m.by.get(key);
      return b && b.drawn > 0 ? b.found / b.drawn : Number.NaN;
    };
    const found = video.found.filter((c) => c.match).length;
    const rows: Row[] = [
      row(engine, "word recall, held-out frames (640×360, the frame pass's default)", held640.scores.recall, on(held640), { op: ">=", value: TARGET.recall }),
      row(engine, "word precision, held-out frames (640×360)", held640.scores.precision, on(held640), { op: ">=", value: TARGET.precision }),
      row(engine, "word recall, held-out frames (1280×720)", held1280.scores.recall, on(held1280)),
      row(engine, "word precision, held-out frames (1280×720)", held1280.scores.precision, on(held1280)),
      row(engine, "word recall on plain backgrounds, held-out (640×360)", rate(held640, "plain background"), `photographs: ${f3(rate(held640, "photographs"))}`),
      row(
        engine,
        "captions found as one occurrence with their time range (video)",
        found,
        `${CAPTIONS.length} held-out captions over the rocket photograph, 20 s, frame pass at its defaults (${video.frameSize} JPEGs, a frame every ${SAMPLE_EVERY_MS / 1000} s), ` +
          `start and end within one sampling interval: ${describeVideo(video)}`,
      ),
      row(engine, "other lines reported on the video", video.others.length, video.others.map((l) => `"${l.text}" ${l.startMs}–${l.endMs} ms ${l.confidence} %`).join("; ") || "none"),
      row(
        engine,
        "captions found as one occurrence with their time range (video, 1280 px frames)",
        video1280.found.filter((c) => c.match).length,
        `the same video with the frame pass's maxWidth 1280 (${video1280.frameSize}): ${describeVideo(video1280)}; other lines: ${video1280.others.length}`,
      ),
      row(engine, "ms per frame (decode to grey + find lines + OCR)", held640.perFrameMs, `640×360; 1280×720: ${held1280.perFrameMs} ms; ${held640.concurrency} batch(es) of frames read at once`),
    ];

    const weaknesses: string[] = [];
    const weakKeys = [...held640.by.keys()].filter((k) => !k.startsWith("font") && rate(held640, k) < 0.5);
    if (weakKeys.length) {
      weaknesses.push(`Text: on held-out frames at 640×360, under half the words found for ${weakKeys.map((k) => `${k} (${f3(rate(held640, k))})`).join(", ")}.`);
    }
    const photos = rate(held640, "photographs");
    if (photos < 0.8) {
      weaknesses.push(
        `Text: over photographs ${f3(photos)} of words are read (plain backgrounds ${f3(rate(held640, "plain background"))}): captions without a box or outline over busy pictures are Tesseract's weak spot, and Rekognition's.`,
      );
    }
    const gain = held1280.scores.recall - held640.scores.recall;
    if (gain > 0.03) weaknesses.push(`Text: 640×360 frames lose ${f3(gain)} of word recall against 1280×720, mostly small text; the frame pass's maxWidth decides.`);
    for (const c of video.found.filter((x) => !x.match)) {
      const at1280 = video1280.found.find((x) => x.caption === c.caption)?.match;
      weaknesses.push(`Text: the caption "${c.caption.text}" (${c.caption.fromS}–${c.caption.toS} s) was not one occurrence with its time range at ${video.frameSize}${at1280 ? ", though it was at 1280×720" : ""}.`);
    }
    if (video.others.length) weaknesses.push(`Text: ${video.others.length} line(s) reported on the video besides its captions (photograph texture or split readings).`);

    const table = (m: Measured) => `| ${m.set.name} | ${m.width}×${m.height} | ${m.frames.length} | ${words(m)} | ${f3(m.scores.recall)} | ${f3(m.scores.precision)} | ${f3(m.scores.f1)} | ${m.perFrameMs} |`;
    const breakdown = [...held640.by.keys()].sort().map((k) => `| ${k} | ${f3(rate(held640, k))} | ${f3(rate(held1280, k))} |`);
    await saveGroup(inject("evalRowsDir"), {
      name: "6-text",
      rows,
      weaknesses,
      durationMs: performance.now() - started,
      section: {
        title: "Text in video: tuning vs held-out frames",
        lines: [
          `Every constant (core MIN_TEXT_CONFIDENCE ${MIN_TEXT_CONFIDENCE}, the line finder's settings, the engine's floors) was chosen on the tuning set only; the held-out set shares no photograph, font, phrase or size with it.`,
          "",
          "| set | frame | frames | words | recall | precision | F1 | ms/frame |",
          "|---|---|---|---|---|---|---|---|",
          table(tune640),
          table(tune1280),
          table(held640),
          table(held1280),
          "",
          "Held-out word recall by condition:",
          "",
          "| condition | 640×360 | 1280×720 |",
          "|---|---|---|",
          ...breakdown,
        ],
      },
    });
  });
});

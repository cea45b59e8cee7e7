import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildScenes, summarizeMediaExtractively, type MediaSummaryInput, type SceneInput, type SceneOptions } from "@media-pipeline/core";
import { createFfmpegAudioExtractor, createFfmpegFrameSource, createFfmpegShotDetector } from "../packages/media/src/index.js";
import { detectPocketsphinx } from "../packages/local/src/engines/speech/index.js";
import { createLocalTranscriber } from "../packages/local/src/engines/speech/transcriber.js";
import { LocalObjectStore } from "../packages/local/src/runtime/object-store.js";
import { tempDir } from "../test/helpers/flow.js";
import { FEMALE, MALE, speak, type Utterance } from "../test/helpers/speech.js";
import type { Topic } from "./chapter-topics.js";
import { HELD_OUT } from "./chapter-topics.js";
import { makeHardCutVideo, type PatternName } from "./fixtures.js";
import { boundaryScores, pooledScores, wordErrorRate, type PrecisionRecall } from "./metrics.js";
import { row, type Row } from "./table.js";

/*
 * Chapters on media made for real: per topic (held-out topics only), three shots over moving test
 * patterns, ten of the topic's sentences spoken over them by espeak-ng (two voices taking turns);
 * then the local engines as the pipeline runs them — ffmpeg shots, audio extraction, Silero VAD +
 * pocketsphinx + speaker clustering — and core's scene builder, then the extractive chapters.
 */

const run = promisify(execFile);
const FFMPEG = process.env.MEDIA_PIPELINE_FFMPEG ?? "ffmpeg";
const PATTERNS: PatternName[] = ["testsrc2", "mandelbrot", "smptebars", "life", "rgbtestsrc"];
/** Sentences said in each of a topic's shots: ten per topic, about 45 s of speech. */
const SHOT_LINES = [4, 3, 3];
/** One scene per detected shot: what label-driven scene building gives when every shot shows something else. */
const SCENE_PER_SHOT: SceneOptions = { minShotMs: 1500, similarity: 1.01, maxSceneMs: 90_000 };

interface Made {
  name: string;
  video: string;
  durationMs: number;
  topicStartsMs: number[];
  utterances: Utterance[];
  /** Mean shot length: a chapter start within this of the topic's first shot is a hit (one shot either way, as ±1 scene on the synthetic media). */
  toleranceMs: number;
}

/** One media item: `topics` in order, shots of spoken sentences over changing patterns. */
async function makeTopicVideo(dir: string, name: string, topics: Topic[]): Promise<Made> {
  const shots: Array<{ seconds: number; pattern: PatternName }> = [];
  const utterances: Utterance[] = [];
  const wavs: string[] = [];
  const topicStartsMs: number[] = [];
  let at = 0;
  for (const [t, topic] of topics.entries()) {
    if (t > 0) topicStartsMs.push(Math.round(at * 1000));
    for (const [k, n] of SHOT_LINES.entries()) {
      const first = SHOT_LINES.slice(0, k).reduce((a, b) => a + b, 0);
      const lines = topic.sentences.slice(first, first + n);
      const spoken = await speak(dir, `${name}-${t}-${k}`, [MALE, FEMALE], lines);
      // Whole frames, so the picture's cuts and the audio's shot starts stay together.
      const seconds = Math.round(spoken.durationMs / 40) * 0.04;
      const padded = join(dir, `${name}-${t}-${k}.pad.wav`);
      await run("sox", ["-R", spoken.path, padded, "pad", "0", "1", "trim", "0", seconds.toFixed(2)]);
      wavs.push(padded);
      for (const u of spoken.utterances) utterances.push({ ...u, startMs: u.startMs + Math.round(at * 1000), endMs: u.endMs + Math.round(at * 1000) });
      shots.push({ seconds, pattern: PATTERNS[shots.length % PATTERNS.length]! });
      at += seconds;
    }
  }
  const picture = await makeHardCutVideo(dir, shots, `${name}.picture.mp4`);
  const audio = join(dir, `${name}.wav`);
  await run("sox", ["-R", ...wavs, audio]);
  const video = join(dir, `${name}.mp4`);
  await run(FFMPEG, ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", picture.path, "-i", audio, "-c:v", "copy", "-c:a", "aac", "-shortest", video]);
  return { name, video, durationMs: picture.durationMs, topicStartsMs, utterances, toleranceMs: Math.ceil(picture.durationMs / shots.length / 1000) * 1000 };
}

const toInput = (durationMs: number, scenes: SceneInput[]): MediaSummaryInput => ({
  durationMs,
  scenes: scenes.map((s) => ({ index: s.index, startMs: s.startMs, endMs: s.endMs, summary: "", transcript: s.transcript, labels: s.labels.map((l) => l.name), text: [] })),
});

const starts = (input: MediaSummaryInput) => summarizeMediaExtractively(input).chapters.slice(1).map((c) => c.startMs);

/** Adds the generated-media rows; returns lines for the group's section. */
export async function measureGeneratedMedia(engine: string, rows: Row[], weaknesses: string[]): Promise<{ lines: string[] }> {
  const ps = await detectPocketsphinx();
  if (!ps.available) {
    rows.push(row(engine, "chapter boundary F1, generated media (espeak-ng + local engines)", "not measured", `pocketsphinx is missing (${ps.reason})`));
    return { lines: [] };
  }
  const [travel, home] = HELD_OUT.domains as [Topic[], Topic[]];
  const plans = [
    { name: "travel", topics: [travel[0]!, travel[1]!, travel[2]!] },
    { name: "home", topics: [home[1]!, home[2]!, home[3]!] },
  ];
  const dir = await tempDir("eval-chapters");
  try {
    const store = new LocalObjectStore(join(dir, "data"));
    const frames = createFfmpegFrameSource({ pathOf: store.pathOf, bucket: "derived" });
    const shotDetector = createFfmpegShotDetector({ frames });
    const extractor = createFfmpegAudioExtractor({ pathOf: store.pathOf });
    const transcriber = createLocalTranscriber({ pathOf: store.pathOf, language: "en-US" });
    const scores = { shot: [] as PrecisionRecall[], pipeline: [] as PrecisionRecall[], truth: [] as PrecisionRecall[] };
    const pairs: Array<{ reference: string; hypothesis: string }> = [];
    const lines: string[] = [];
    let mediaMs = 0;
    const tolerances: number[] = [];
    let sceneCounts = { shot: 0, pipeline: 0 };
    for (const plan of plans) {
      const made = await makeTopicVideo(dir, plan.name, plan.topics);
      mediaMs += made.durationMs;
      tolerances.push(made.toleranceMs);
      const source = { bucket: "media", key: `uploads/${plan.name}.mp4` };
      await store.putFile(source, made.video);
      const shots = await shotDetector.detect({ mediaId: plan.name, source, durationMs: made.durationMs });
      const audio = { bucket: "derived", key: `${plan.name}/audio.wav` };
      await extractor.extract(source, audio);
      const transcript = await transcriber.transcribe({ mediaId: plan.name, audio, durationMs: made.durationMs, maxSpeakers: 4, language: "en-US" });
      pairs.push({ reference: made.utterances.map((u) => u.text).join(" "), hypothesis: transcript.segments.map((s) => s.text).join(" ") });

      const perShot = toInput(made.durationMs, buildScenes({ durationMs: made.durationMs, shots, transcript }, SCENE_PER_SHOT));
      const pipeline = toInput(made.durationMs, buildScenes({ durationMs: made.durationMs, shots, transcript }));
      // The same shots with what was really said: the speech engine taken out of the measurement.
      const truth: MediaSummaryInput = {
        ...perShot,
        scenes: perShot.scenes.map((s) => ({
          ...s,
          transcript: made.utterances.filter((u) => u.startMs >= s.startMs && u.startMs < s.endMs),
        })),
      };
      const found = { shot: starts(perShot), pipeline: starts(pipeline), truth: starts(truth) };
      scores.shot.push(boundaryScores(made.topicStartsMs, found.shot, made.toleranceMs));
      scores.pipeline.push(boundaryScores(made.topicStartsMs, found.pipeline, made.toleranceMs));
      scores.truth.push(boundaryScores(made.topicStartsMs, found.truth, made.toleranceMs));
      sceneCounts = { shot: sceneCounts.shot + perShot.scenes.length, pipeline: sceneCounts.pipeline + pipeline.scenes.length };
      const s = (ms: number[]) => ms.map((x) => `${(x / 1000).toFixed(1)} s`).join(", ") || "none";
      lines.push(
        `- ${plan.name} (${(made.durationMs / 1000).toFixed(0)} s, ${plan.topics.map((t) => t.name).join(" → ")}): topic changes at ${s(made.topicStartsMs)}; ` +
          `chapters found at ${s(found.shot)} (pocketsphinx, scene per shot), ${s(found.pipeline)} (scenes as built), ${s(found.truth)} (true words); ` +
          `${shots.shots.length} shots detected of ${plan.topics.length * SHOT_LINES.length}.`,
      );
    }
    const wer = wordErrorRate(pairs);
    const pooled = { shot: pooledScores(scores.shot), pipeline: pooledScores(scores.pipeline), truth: pooledScores(scores.truth) };
    const on = `${plans.length} videos, ${(mediaMs / 1000).toFixed(0)} s, ${pooled.shot.reference} topic changes (held-out topics), ±${tolerances.map((t) => t / 1000).join(" / ")} s (one mean shot)`;
    rows.push(
      row(engine, "chapter boundary F1, generated media, pocketsphinx words, scene per shot", pooled.shot.f1, `${on}; ${sceneCounts.shot} scenes; transcript WER ${wer.wer.toFixed(3)}`),
      row(engine, "chapter boundary F1, generated media, scenes as the pipeline builds them", pooled.pipeline.f1, `${on}; ${sceneCounts.pipeline} scenes (no labels on test patterns: shots merge into scenes of ≤ 90 s)`),
      row(engine, "chapter boundary F1, generated media, true words, scene per shot", pooled.truth.f1, `${on}; the speech engine bypassed`),
    );
    if (pooled.shot.f1 < pooled.truth.f1) {
      weaknesses.push(
        `Chapters on generated media: boundary F1 ${pooled.shot.f1.toFixed(3)} from pocketsphinx's words (WER ${wer.wer.toFixed(2)}) against ${pooled.truth.f1.toFixed(3)} from the true words: ` +
          "locally, chapters are only as good as the transcript (a sherpa-onnx Whisper model via MEDIA_PIPELINE_ASR_MODEL_DIR should come closer to the true-words figure; not measured here, no model on this machine).",
      );
    }
    if (pooled.pipeline.f1 < pooled.shot.f1) {
      weaknesses.push(
        `Chapters on generated media: with the pipeline's own scenes, F1 is ${pooled.pipeline.f1.toFixed(3)} (${sceneCounts.pipeline} scenes for ${sceneCounts.shot} shots): shots with equal (here: no) labels merge into scenes of up to 90 s, so few places are left for a chapter to start.`,
      );
    }
    return { lines: ["Generated media (espeak-ng speech per topic over changing test patterns, through the local engines):", "", ...lines] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

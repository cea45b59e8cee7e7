import { rm } from "node:fs/promises";
import { afterAll, describe, inject, it } from "vitest";
import {
  ASR_MODEL_DIR_ENV,
  DIARIZE_ENGINE,
  detectPocketsphinx,
  detectSpeech,
  diarize,
  loadSherpaAsr,
  readWav,
  runPocketsphinx,
  recognizeWithPocketsphinx,
  SEARCH_LIMITS,
  vadEngineInfo,
} from "../packages/local/src/engines/speech/index.js";
import type { TimeRange, TranscriptWord } from "@media-pipeline/core";
import { tempDir } from "../test/helpers/flow.js";
import { FEMALE, MALE, MALE_2, oneVoice, silence, twoMaleVoices, twoVoices, type SpeechFixture, type Voice } from "../test/helpers/speech.js";
import { FEMALE_2, twoFemaleVoices } from "./fixtures.js";
import { diarizationErrorRate, pooledScores, realTimeFactor, segmentScores, speakerCount, speakerCountAccuracy, wordErrorRate } from "./metrics.js";
import { measureSpeakers } from "./speakers-measure.js";
import { row, saveGroup, type Row } from "./table.js";

/** The runtime's default `maxSpeakers` (README, Configuration). */
const MAX_SPEAKERS = 4;
/** DER is scored on every millisecond: no forgiveness collar around the reference boundaries. */
const COLLAR_MS = 0;

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Measured {
  label: string;
  target: boolean;
  voices: string;
  fixture: SpeechFixture;
  speech: TimeRange[];
  turns: Array<TimeRange & { speaker: string }>;
  words?: TranscriptWord[];
  ms: { vad: number; diarize: number; stt: number };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const secondsOf = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

describe("speech: Silero VAD, pocketsphinx, MFCC+pitch diarization on espeak-ng voices", () => {
  it("measures voice activity, word error and diarization error per fixture", async () => {
    const started = performance.now();
    dir = await tempDir("eval-speech");
    const d = dir;
    // The issue's diarization target is set on two distinct voices only; the rest are measured.
    const fixtures: Array<{ label: string; made: Promise<SpeechFixture>; voices: Voice[]; target?: true }> = [
      { label: "two distinct voices (male + female)", made: twoVoices(d), voices: [MALE, FEMALE], target: true },
      { label: "two male voices", made: twoMaleVoices(d), voices: [MALE, MALE_2] },
      { label: "two female voices", made: twoFemaleVoices(d), voices: [FEMALE, FEMALE_2] },
      { label: "one voice", made: oneVoice(d), voices: [MALE] },
      { label: "silence", made: silence(d, 8), voices: [] },
    ];
    const ps = await detectPocketsphinx();
    if (!ps.available) throw new Error(`pocketsphinx is missing (${ps.reason}): apt-get install pocketsphinx pocketsphinx-en-us`);

    // One file at a time and one engine at a time, so each timing is that engine alone on the machine.
    const measured: Measured[] = [];
    for (const { label, made, voices, target } of fixtures) {
      const fixture = await made;
      const pcm = await readWav(fixture.path);
      let t = performance.now();
      const speech = detectSpeech(pcm);
      const vad = performance.now() - t;
      t = performance.now();
      const turns = diarize(pcm, speech, MAX_SPEAKERS);
      const diarizeMs = performance.now() - t;
      t = performance.now();
      // As the transcriber does: no speech found, no recognizer run.
      const words = speech.length ? await runPocketsphinx(ps, fixture.path) : [];
      measured.push({ label, target: target ?? false, voices: voices.map((v) => `espeak-ng ${v.args.join(" ")}`).join(" / "), fixture, speech, turns, words, ms: { vad, diarize: diarizeMs, stt: performance.now() - t } });
    }

    const withSpeech = measured.filter((m) => m.fixture.utterances.length > 0);
    const audioMs = measured.reduce((a, m) => a + m.fixture.durationMs, 0);
    const speechAudioMs = withSpeech.reduce((a, m) => a + m.fixture.durationMs, 0);
    const sum = (k: keyof Measured["ms"], of = measured) => of.reduce((a, m) => a + m.ms[k], 0);
    const rows: Row[] = [];
    const weaknesses: string[] = [];

    // Voice activity: pooled over every file, silence included.
    const vadEngine = vadEngineInfo();
    const vadName = `${vadEngine.name} ${vadEngine.version}`;
    const vad = measured.map((m) => segmentScores(m.fixture.utterances, m.speech, 0.5));
    const pooled = pooledScores(vad);
    const onSilence = measured.find((m) => m.fixture.utterances.length === 0)!;
    rows.push(
      row(vadName, "speech segment F1 (IoU ≥ 0.5, one-to-one)", pooled.f1, `${measured.length} files, ${pooled.reference} utterances, ${pooled.hypothesis} segments found; precision ${pooled.precision.toFixed(3)}, recall ${pooled.recall.toFixed(3)}`),
      row(vadName, "speech segments found in silence", onSilence.speech.length, `${secondsOf(onSilence.fixture.durationMs)} of digital silence`),
      row(vadName, "real-time factor", realTimeFactor(sum("vad"), audioMs), `${secondsOf(audioMs)} of 16 kHz audio`),
    );
    measured.forEach((m, i) => {
      const s = vad[i];
      if (s.reference && s.f1 < 1) weaknesses.push(`VAD: on ${m.label}, ${s.truePositives} of ${s.reference} utterances came out as one matching segment (${s.hypothesis} segments found).`);
    });
    if (onSilence.speech.length) weaknesses.push(`VAD: ${onSilence.speech.length} speech segment(s) reported in digital silence.`);

    // Speech to text: pooled WER over the files with speech, each file aligned on its own.
    const psName = `pocketsphinx ${ps.version}`;
    const reference = (m: Measured) => m.fixture.utterances.map((u) => u.text).join(" ");
    const pocketWer = wordErrorRate(withSpeech.map((m) => ({ reference: reference(m), hypothesis: (m.words ?? []).map((w) => w.text).join(" ") })));
    rows.push(row(psName, "word error rate", pocketWer.wer, `${withSpeech.length} files, ${pocketWer.words} reference words, ${pocketWer.errors} errors; en-us generic model`));
    const perFile = withSpeech.map((m) => ({ m, ...wordErrorRate([{ reference: reference(m), hypothesis: (m.words ?? []).map((x) => x.text).join(" ") }]) }));
    for (const { m, wer, words, errors } of perFile) rows.push(row(psName, `word error rate, ${m.label}`, wer, `${words} words, ${errors} errors`));
    perFile.sort((a, b) => a.wer - b.wer);
    if (perFile.length > 1 && perFile.at(-1)!.wer - perFile[0].wer >= 0.15) {
      weaknesses.push(`Speech to text: accuracy depends strongly on the voice: ${pct(perFile.at(-1)!.wer)} WER on ${perFile.at(-1)!.m.label}, ${pct(perFile[0].wer)} on ${perFile[0].m.label}.`);
    }
    rows.push(row(psName, "real-time factor", realTimeFactor(sum("stt", withSpeech), speechAudioMs), `${secondsOf(speechAudioMs)} of speech files, whole file per process`));
    if (pocketWer.wer > 0.2) {
      weaknesses.push(`Speech to text: pocketsphinx gets ${pct(pocketWer.wer)} of words wrong even on clean synthetic speech with no noise; transcripts are for search hints, not for reading.`);
    }
    await measureSherpa(withSpeech, reference, rows, weaknesses);

    // Diarization: DER per file with speech; speaker counts on every file (silence expects 0).
    const dName = `${DIARIZE_ENGINE.name} ${DIARIZE_ENGINE.version}`;
    let falseAlarmMs = 0;
    let errorMs = 0;
    let referenceMs = 0;
    const counts = measured.map((m) => ({ m, expected: speakerCount(m.fixture.utterances), found: speakerCount(m.turns) }));
    for (const m of withSpeech) {
      const r = diarizationErrorRate(m.fixture.utterances, m.turns, COLLAR_MS);
      const c = counts.find((x) => x.m === m)!;
      falseAlarmMs += r.falseAlarmMs;
      errorMs += r.missedMs + r.falseAlarmMs + r.confusionMs;
      referenceMs += r.referenceMs;
      const target = m.target ? { op: "<=" as const, value: 0.15 } : undefined;
      rows.push(
        row(dName, `diarization error rate, ${m.label}`, r.der, `no collar; missed ${pct(r.missedMs / r.referenceMs)}, false alarm ${pct(r.falseAlarmMs / r.referenceMs)}, confusion ${pct(r.confusionMs / r.referenceMs)} of ${secondsOf(r.referenceMs)} speech`, target),
        row(dName, `speakers found, ${m.label}`, c.found, `expected ${c.expected}; maxSpeakers ${MAX_SPEAKERS}; ${m.voices}`, m.target ? { op: "=", value: c.expected } : undefined),
      );
      if (r.der > 0.15) weaknesses.push(`Diarization: ${pct(r.der)} error on ${m.label} (confusion ${pct(r.confusionMs / r.referenceMs)}, missed ${pct(r.missedMs / r.referenceMs)}, false alarm ${pct(r.falseAlarmMs / r.referenceMs)}).`);
    }
    if (falseAlarmMs / referenceMs > 0.02 && falseAlarmMs > errorMs / 2) {
      weaknesses.push(
        `Diarization: ${pct(falseAlarmMs / referenceMs)} of the reference speech time is added as false alarm: the VAD segments the turns are ` +
          "cut from run a little past the speech on both sides, and that padding, not speaker confusion, is most of the error here.",
      );
    }
    rows.push(
      row(dName, "speaker count accuracy", speakerCountAccuracy(counts), `${counts.filter((c) => c.expected === c.found).length} of ${counts.length} files right: ${counts.map((c) => `${c.m.label} ${c.found}/${c.expected}`).join(", ")}`),
      row(dName, "real-time factor", realTimeFactor(sum("diarize"), audioMs), `${secondsOf(audioMs)} of audio, VAD segments given`),
    );
    for (const c of counts.filter((x) => x.expected !== x.found)) {
      weaknesses.push(`Diarization: ${c.found} speaker(s) found for ${c.m.label}, which has ${c.expected}.`);
    }

    const tuning = await measureSpeakers(d, "tuning", rows, weaknesses);
    const held = await measureSpeakers(d, "held apart", rows, weaknesses);
    // Two single voices (male, female), the same-sex dialogues and three speakers of each set.
    await measureSearchLimits(ps, "tuning", [tuning[0], tuning[3], tuning[9], tuning[11], tuning[14]], rows, weaknesses);
    await measureSearchLimits(ps, "held apart", [held[0], held[3], ...held.slice(-3)], rows, weaknesses);
    await measurePieces(ps, held, rows, weaknesses);

    await saveGroup(inject("evalRowsDir"), { name: "3-speech", rows, weaknesses, durationMs: performance.now() - started });
    // Longer than the eval's 300 s default: some recordings are recognized four times (speakers, search limit on and off, pieces).
  }, 900_000);
});

/**
 * The decoder's search limit (SEARCH_LIMITS) against its unlimited default, whole files one after
 * another: the limit was chosen on the tuning files for speed at an unchanged word error rate, and must
 * keep it within 0.01 on both sets.
 */
async function measureSearchLimits(
  ps: Extract<Awaited<ReturnType<typeof detectPocketsphinx>>, { available: true }>,
  set: "tuning" | "held apart",
  chosen: Array<{ label: string; fixture: SpeechFixture } | undefined>,
  rows: Row[],
  weaknesses: string[],
): Promise<void> {
  const files = chosen.filter((x): x is { label: string; fixture: SpeechFixture } => x !== undefined);
  const runs = { limited: { ms: 0, hyps: [] as string[] }, unlimited: { ms: 0, hyps: [] as string[] } };
  for (const { fixture } of files) {
    for (const [key, searchLimits] of [["unlimited", false], ["limited", true]] as const) {
      const t = performance.now();
      const words = await runPocketsphinx(ps, fixture.path, { searchLimits });
      runs[key].ms += performance.now() - t;
      runs[key].hyps.push(words.map((w) => w.text).join(" "));
    }
  }
  const references = files.map(({ fixture }) => fixture.utterances.map((u) => u.text).join(" "));
  const wer = (hyps: string[]) => wordErrorRate(references.map((reference, i) => ({ reference, hypothesis: hyps[i] })));
  const limited = wer(runs.limited.hyps);
  const unlimited = wer(runs.unlimited.hyps);
  const audioMs = files.reduce((a, f) => a + f.fixture.durationMs, 0);
  const psName = `pocketsphinx ${ps.version}`;
  const on = `${files.length} files (${files.map((f) => f.label).join("; ")}), ${limited.words} reference words`;
  rows.push(
    row(psName, `word error rate, search limited (${SEARCH_LIMITS.join(" ")}) / unlimited (${set})`, `${limited.wer.toFixed(3)} / ${unlimited.wer.toFixed(3)}`, `${on}; ${limited.errors} / ${unlimited.errors} errors`),
    row(psName, `word error rate change from the search limit (${set})`, limited.wer - unlimited.wer, "limited minus unlimited, whole files", { op: "<=", value: 0.01 }),
    row(psName, `real-time factor, search limited / unlimited (${set})`, `${realTimeFactor(runs.limited.ms, audioMs).toFixed(3)} / ${realTimeFactor(runs.unlimited.ms, audioMs).toFixed(3)}`, `${secondsOf(audioMs)} of audio, one process at a time, whole files`),
  );
  if (limited.wer > unlimited.wer) weaknesses.push(`Speech to text (${set}): the decoder's search limit raised the word error rate from ${pct(unlimited.wer)} to ${pct(limited.wer)}.`);
}

/**
 * Words recognized in pieces cut at pauses, two processes at once (the transcriber's way once a second core is free),
 * against the whole file in one process, on held-apart recordings of about 47 s: the word error rate
 * must not get worse. Speed is the bench's to measure (npm run bench), not this file's.
 */
async function measurePieces(
  ps: Extract<Awaited<ReturnType<typeof detectPocketsphinx>>, { available: true }>,
  held: Array<{ label: string; fixture: SpeechFixture }>,
  rows: Row[],
  weaknesses: string[],
): Promise<void> {
  // The single voices are every other one; the dialogues and three speakers are the last three.
  const chosen = [held[0], held[3], ...held.slice(-3)].filter((x): x is { label: string; fixture: SpeechFixture } => x !== undefined);
  const pairs: Array<{ reference: string; whole: string; pieces: string; cut: number }> = [];
  for (const { fixture } of chosen) {
    const pcm = await readWav(fixture.path);
    const whole = await runPocketsphinx(ps, fixture.path);
    // A core that is always idle: the second process takes the rest of the audio as soon as it may (the cut is what is measured).
    const split = await recognizeWithPocketsphinx(ps, pcm, detectSpeech(pcm), { maxProcesses: 2, idleCores: () => 2, pollMs: 100 });
    pairs.push({
      reference: fixture.utterances.map((u) => u.text).join(" "),
      whole: whole.map((w) => w.text).join(" "),
      pieces: split.words.map((w) => w.text).join(" "),
      cut: split.pieces.length,
    });
  }
  const whole = wordErrorRate(pairs.map((p) => ({ reference: p.reference, hypothesis: p.whole })));
  const pieces = wordErrorRate(pairs.map((p) => ({ reference: p.reference, hypothesis: p.pieces })));
  const psName = `pocketsphinx ${ps.version}`;
  const on = `${chosen.length} held-apart files (${chosen.map((c) => c.label).join("; ")}), ${whole.words} reference words`;
  rows.push(
    row(psName, "word error rate, whole file in one process (held apart)", whole.wer, `${on}, ${whole.errors} errors`),
    row(psName, "word error rate, the rest cut at a pause for a second process (held apart)", pieces.wer, `${on}, ${pieces.errors} errors; ${pairs.filter((p) => p.cut > 1).length} of ${pairs.length} files cut`),
    row(psName, "word error rate change from cutting at pauses (held apart)", pieces.wer - whole.wer, "pieces minus whole file; each piece heard from 10 s before its start, those words dropped", { op: "<=", value: 0.02 }),
  );
  if (pieces.wer > whole.wer) weaknesses.push(`Speech to text: cutting the audio at pauses for parallel recognition raised the word error rate from ${pct(whole.wer)} to ${pct(pieces.wer)} on held-apart recordings.`);
}

/** The sherpa-onnx recognizer, only when a model directory is configured (nothing is downloaded). */
async function measureSherpa(withSpeech: Measured[], reference: (m: Measured) => string, rows: Row[], weaknesses: string[]): Promise<void> {
  const modelDir = process.env[ASR_MODEL_DIR_ENV];
  if (!modelDir) {
    rows.push(row("sherpa-onnx (Whisper / transducer)", "word error rate", "not measured", `${ASR_MODEL_DIR_ENV} is not set: no model on this machine, and the eval downloads nothing`));
    return;
  }
  const asr = await loadSherpaAsr(modelDir, "en-US");
  const name = `${asr.engine.name} ${asr.engine.version}`;
  const hyps: string[] = [];
  let ms = 0;
  for (const m of withSpeech) {
    const pcm = await readWav(m.fixture.path);
    const t = performance.now();
    const words = await asr.transcribe(pcm, m.speech);
    ms += performance.now() - t;
    hyps.push(words.map((w) => w.text).join(" "));
  }
  const wer = wordErrorRate(withSpeech.map((m, i) => ({ reference: reference(m), hypothesis: hyps[i] })));
  const audioMs = withSpeech.reduce((a, m) => a + m.fixture.durationMs, 0);
  rows.push(
    row(name, "word error rate", wer.wer, `${withSpeech.length} files, ${wer.words} reference words, ${wer.errors} errors; model ${modelDir}`),
    row(name, "real-time factor", realTimeFactor(ms, audioMs), `${secondsOf(audioMs)} of speech files, VAD segments`),
  );
  if (wer.wer > 0.2) weaknesses.push(`Speech to text: the sherpa-onnx model gets ${pct(wer.wer)} of words wrong on clean synthetic speech.`);
}

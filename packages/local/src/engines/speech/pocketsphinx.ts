import { execFile } from "node:child_process";
import { access, constants, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, delimiter, join } from "node:path";
import { promisify } from "node:util";
import { forEachLimited, type TimeRange, type TranscriptWord } from "@media-pipeline/core";
import { SpeechEngineError } from "./errors.js";
import { splitAtPauses } from "./pieces.js";
import { encodeWav, type Pcm } from "./wav.js";

const run = promisify(execFile);

/**
 * Two CLIs exist: Debian 12's `pocketsphinx` package is 0.8+5prealpha with `pocketsphinx_continuous`
 * (word times from `-time yes`, one line per word); PocketSphinx 5.x ships a single `pocketsphinx`
 * command that prints one JSON object per utterance with its words under `w`.
 */
export type PocketsphinxFlavour = "continuous" | "v5";

export type PocketsphinxDetection =
  | { available: true; path: string; flavour: PocketsphinxFlavour; version: string }
  | { available: false; reason: string };

let detected: Promise<PocketsphinxDetection> | undefined;

/**
 * Finds a pocketsphinx binary (the given path, else `pocketsphinx_continuous` then `pocketsphinx`
 * on PATH). Never throws: a missing binary is an answer, and the transcriber says how to install it.
 * Memoized per process for the default lookup.
 */
export function detectPocketsphinx(explicitPath?: string): Promise<PocketsphinxDetection> {
  if (explicitPath) return detect(explicitPath);
  detected ??= detect();
  return detected;
}

async function detect(explicitPath?: string): Promise<PocketsphinxDetection> {
  const path = explicitPath ?? (await onPath("pocketsphinx_continuous")) ?? (await onPath("pocketsphinx"));
  if (!path) {
    return { available: false, reason: "no pocketsphinx_continuous or pocketsphinx binary on PATH" };
  }
  if (!(await isExecutable(path))) return { available: false, reason: `${path} is not an executable file` };
  const flavour: PocketsphinxFlavour = basename(path).includes("continuous") ? "continuous" : "v5";
  return { available: true, path, flavour, version: await packageVersion(flavour) };
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(() => true, () => false);
}

/** Neither CLI prints a version; on Debian the package database knows it. */
async function packageVersion(flavour: PocketsphinxFlavour): Promise<string> {
  try {
    const { stdout } = await run("dpkg-query", ["-W", "-f=${Version}", "pocketsphinx"], { timeout: 5000 });
    if (stdout.trim()) return stdout.trim();
  } catch {
    // Not Debian, or not installed from a package.
  }
  return flavour === "continuous" ? "0.8+5prealpha" : "5.x";
}

/**
 * The decoder's search limit: at most 3000 active HMMs per frame (the default has none). Chosen on the
 * tuning recordings of `npm run eval` as the fastest limit that moved the word error rate by no more
 * than 0.005 (0.711 → 0.714; real-time factor 0.280 → 0.167, one process on an idle machine); tighter
 * limits were faster still but cost more words (2000 HMMs and 5 words per frame: +0.009), and the other
 * knobs tried cost words for less speed (no second pass: +0.011 at 0.226; 2 Gaussians a frame: +0.008
 * at 0.238; every other frame: +0.030 at 0.196). Its words once moved a held-apart caption: two sentences fit one
 * cue that the default's longer words had not, so the cue began 2.9 s early; the captioner now never
 * joins two stretches of speech in a cue, and the captions meet their targets with or without the limit.
 * Measured only for pocketsphinx 0.8's `pocketsphinx_continuous`; the 5.x CLI runs with its defaults.
 */
export const SEARCH_LIMITS = ["-maxhmmpf", "3000"] as const;

/** The exact arguments: a path and flags, never a shell string. */
export function pocketsphinxArgs(flavour: PocketsphinxFlavour, wavPath: string, limits: readonly string[] = SEARCH_LIMITS): string[] {
  return flavour === "continuous"
    ? ["-infile", wavPath, "-time", "yes", "-logfn", "/dev/null", ...limits]
    : ["-loglevel", "FATAL", "live", wavPath];
}

/**
 * Transcribes a 16 kHz mono WAV, whole file in one process: measured faster than one process per
 * VAD segment (model loading dominates short segments) with the same words, and the CLI segments
 * on silence itself. Times are from the start of the file.
 */
export async function runPocketsphinx(
  engine: { path: string; flavour: PocketsphinxFlavour },
  wavPath: string,
  options: { timeoutMs?: number; signal?: AbortSignal; /** The eval's comparison: false runs the decoder's own unlimited search. */ searchLimits?: boolean } = {},
): Promise<TranscriptWord[]> {
  try {
    const { stdout } = await run(engine.path, pocketsphinxArgs(engine.flavour, wavPath, options.searchLimits === false ? [] : SEARCH_LIMITS), {
      maxBuffer: 256 * 1024 * 1024,
      timeout: options.timeoutMs ?? 0,
      // Aborted (its stage timed out): SIGKILL, since a stuck decoder may not answer SIGTERM.
      ...(options.signal ? { signal: options.signal } : {}),
      killSignal: "SIGKILL",
    });
    return engine.flavour === "continuous" ? parseContinuousOutput(stdout) : parseV5Output(stdout);
  } catch (cause) {
    // Stopped on purpose: the stage's own reason (a retryable timeout), not a broken engine.
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : cause;
    throw new SpeechEngineError(`pocketsphinx failed on ${basename(wavPath)}`, { cause });
  }
}

/**
 * Pieces shorter than this are not worth a process of their own: pocketsphinx loads its model in
 * about half a second, and a piece should run many times longer than that.
 */
export const MIN_PIECE_MS = 15_000;

/**
 * Audio before a piece's start that its recognizer hears first and whose words are dropped: pocketsphinx
 * adapts its cepstral mean to the voice as it goes, and a piece that started cold got words wrong at its
 * start that the whole-file run, already adapted, got right.
 */
export const LEAD_IN_MS = 10_000;

/**
 * Transcribes 16 kHz mono audio as `pieces` pocketsphinx processes at once, the audio cut only in the
 * pauses between VAD speech segments (pieces.ts), each piece's word times shifted by where it starts
 * (each heard from LEAD_IN_MS earlier, the words there dropped).
 * One process alone runs at 0.25–0.35× real time on one core and sets the pace of the whole run; the
 * pieces share out the cores. Audio too short to split runs as one piece, exactly as `runPocketsphinx`.
 */
export async function runPocketsphinxInPieces(
  engine: { path: string; flavour: PocketsphinxFlavour },
  pcm: Pcm,
  speech: readonly TimeRange[],
  options: { pieces: number; minPieceMs?: number; signal?: AbortSignal; onPiece?: (done: number, of: number) => void; wavPath?: string },
): Promise<{ words: TranscriptWord[]; pieces: TimeRange[] }> {
  const durationMs = Math.round((pcm.samples.length * 1000) / pcm.sampleRate);
  const pieces = splitAtPauses(speech, durationMs, options.pieces, options.minPieceMs ?? MIN_PIECE_MS);
  const call = options.signal ? { signal: options.signal } : {};
  // One piece: the file itself, as runPocketsphinx. pocketsphinx_continuous reads past a 44-byte header
  // whatever the file's chunks, so ffmpeg's WAV (a LIST chunk first) and a rewritten one differ by a few
  // samples at the start, and this decoder's words change with even that.
  if (pieces.length === 1 && options.wavPath) {
    const words = await runPocketsphinx(engine, options.wavPath, call);
    options.onPiece?.(1, 1);
    return { words, pieces };
  }
  const dir = await mkdtemp(join(tmpdir(), "mp-pocketsphinx-"));
  try {
    const words: TranscriptWord[][] = [];
    let done = 0;
    await forEachLimited(pieces, pieces.length, async (piece, i) => {
      const heardFromMs = Math.max(0, piece.startMs - LEAD_IN_MS);
      const from = Math.round((heardFromMs * pcm.sampleRate) / 1000);
      const to = Math.min(pcm.samples.length, Math.round((piece.endMs * pcm.sampleRate) / 1000));
      const file = join(dir, `piece-${i}.wav`);
      await writeFile(file, encodeWav(pcm.samples.subarray(from, to), pcm.sampleRate));
      const found = await runPocketsphinx(engine, file, call);
      // The cut is in a pause, so a word of this piece starts after it; the lead-in's words are the last piece's.
      words[i] = found
        .map((w) => ({ ...w, startMs: w.startMs + heardFromMs, endMs: w.endMs + heardFromMs }))
        .filter((w) => w.startMs >= piece.startMs);
      options.onPiece?.(++done, pieces.length);
    });
    return { words: words.flat(), pieces };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const TIMED_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/;

/**
 * `pocketsphinx_continuous -time yes` prints each utterance's hypothesis, then one line per segment:
 * `word start end posterior` (seconds; posterior 0–1). Hypothesis lines have no numbers, so the
 * pattern picks the timed lines only.
 * @example parseContinuousOutput("hello 0.52 0.71 0.41\n") // [{ text: "hello", startMs: 520, endMs: 710, confidence: 41 }]
 */
export function parseContinuousOutput(stdout: string): TranscriptWord[] {
  const words: TranscriptWord[] = [];
  for (const line of stdout.split("\n")) {
    const m = TIMED_LINE.exec(line.trim());
    if (!m) continue;
    const word = toWord(m[1], Number(m[2]), Number(m[3]), Number(m[4]));
    if (word) words.push(word);
  }
  return words;
}

/**
 * PocketSphinx 5.x prints one JSON object per utterance:
 * `{"b":0.52,"d":2.1,"p":0.9,"t":"hello world","w":[{"b":0.52,"d":0.19,"p":0.41,"t":"hello"},…]}`
 * (`b` begin and `d` duration in seconds, `p` probability).
 */
export function parseV5Output(stdout: string): TranscriptWord[] {
  const words: TranscriptWord[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.trim().startsWith("{")) continue;
    const utt = JSON.parse(line) as { w?: Array<{ b: number; d: number; p: number; t: string }> };
    for (const w of utt.w ?? []) {
      const word = toWord(w.t, w.b, w.b + w.d, w.p);
      if (word) words.push(word);
    }
  }
  return words;
}

/** Drops sentence markers, silence and fillers (`<s>`, `<sil>`, `[NOISE]`, `++UH++`); strips `(2)`. */
function toWord(token: string, startS: number, endS: number, posterior: number): TranscriptWord | undefined {
  if (/^(<.*>|\[.*\]|\+\+.*\+\+)$/.test(token)) return undefined;
  const text = token.replace(/\(\d+\)$/, "");
  const startMs = Math.round(startS * 1000);
  return {
    text,
    startMs,
    endMs: Math.max(startMs, Math.round(endS * 1000)),
    confidence: Math.round(Math.min(1, Math.max(0, posterior)) * 10000) / 100,
  };
}

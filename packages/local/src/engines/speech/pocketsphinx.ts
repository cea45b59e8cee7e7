import { execFile, spawn } from "node:child_process";
import { constants, openSync } from "node:fs";
import { access, mkdtemp, rm } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { basename, delimiter, join } from "node:path";
import { promisify } from "node:util";
import type { TimeRange, TranscriptWord } from "@media-pipeline/core";
import { SpeechEngineError } from "./errors.js";
import { cutRemaining, machineIdleCores } from "./pieces.js";
import { int16Bytes, readWav, type Pcm } from "./wav.js";

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
 * Three Gaussians a frame on top of the limit saved ~6 % of the decoder's CPU but cost words on the
 * eval's other speech (288 words: 186 → 198 errors; chapters from those words F1 0.667 → 0.571), so no.
 * Measured only for pocketsphinx 0.8's `pocketsphinx_continuous`; the 5.x CLI runs with its defaults.
 */
export const SEARCH_LIMITS = ["-maxhmmpf", "3000"] as const;

/**
 * The exact arguments (a path and flags, never a shell string). The audio comes as raw 16-bit 16 kHz
 * mono samples through a FIFO, so the transcriber decides while a process runs where its audio ends.
 */
export function pocketsphinxArgs(flavour: PocketsphinxFlavour, rawPath: string, limits: readonly string[] = SEARCH_LIMITS): string[] {
  // A name without ".wav": pocketsphinx_continuous then reads raw samples, with no header to skip.
  return flavour === "continuous" ? ["-infile", rawPath, "-time", "yes", "-logfn", "/dev/null", ...limits] : ["-loglevel", "FATAL", "live", rawPath];
}

/**
 * A piece is not handed to a process of its own unless both sides keep this much audio: pocketsphinx
 * loads its model in about half a second and hears LEAD_IN_MS first, which a short piece would not repay.
 */
export const MIN_PIECE_MS = 15_000;

/**
 * Audio before a piece's start that its recognizer hears first and whose words are dropped: pocketsphinx
 * adapts its cepstral mean to the voice as it goes, and a piece that started cold got words wrong at its
 * start that the whole-file run, already adapted, got right.
 */
export const LEAD_IN_MS = 10_000;

/**
 * A second process is started once this many cores have stood idle for IDLE_POLLS polls in a row: the
 * other stages (labels, moderation, OCR, the decoder) have finished or left a core, so the recognizer's
 * remaining audio can be shared without slowing them.
 */
const IDLE_CORE = 0.75;
const IDLE_POLLS = 2;
/**
 * Half a second: a core left idle waits about a second for the second process (it waited two with
 * 1 s polls). Two polls in a row still pass over a passing gap, such as the moment shot detection ends
 * while labels and OCR go on (profiled on the bench video: no early split).
 */
const POLL_MS = 500;
/** Samples written per chunk (0.5 s at 16 kHz): a cut can be placed anywhere not yet written. */
const FEED_SAMPLES = 8000;

export interface RecognizeOptions {
  /** Most pocketsphinx processes at once (default 1: the whole audio in one process). */
  maxProcesses?: number;
  /** Idle cores since the previous call; default: this machine's (`machineIdleCores`). */
  idleCores?: () => number;
  /** How often idle cores are looked at, in ms. */
  pollMs?: number;
  minPieceMs?: number;
  signal?: AbortSignal;
  /** Share of the audio handed to the recognizers so far (0–1). */
  onProgress?: (fraction: number) => void;
  /** The eval's comparison: false runs the decoder's own unlimited search. */
  searchLimits?: boolean;
}

/** One process's share: samples from `heardFrom` (its lead-in) to `end`, words kept from `startMs`. */
interface Piece {
  startMs: number;
  heardFromMs: number;
  /** Next sample to write to the process; `end` may still move back to a cut, never before `fed`. */
  fed: number;
  end: number;
  done: boolean;
  words: TranscriptWord[];
}

/**
 * Recognizes 16 kHz mono audio with pocketsphinx, fed through a FIFO as it reads. It starts one process
 * on the whole audio; whenever a core stands idle (the vision stages are done, or a piece finished) and
 * fewer than `maxProcesses` run, the process with the most audio still unwritten stops at the pause
 * nearest the middle of that audio (half a lead-in later) and a new process takes the rest, heard from
 * LEAD_IN_MS before the cut (the words there dropped), its word times shifted by where it starts. So the
 * recognizer takes the cores the other stages leave, as they leave them, and splits no more than that.
 * @example const { words } = await recognizeWithPocketsphinx(engine, pcm, detectSpeech(pcm), { maxProcesses: 2 })
 */
export async function recognizeWithPocketsphinx(
  engine: { path: string; flavour: PocketsphinxFlavour },
  pcm: Pcm,
  speech: readonly TimeRange[],
  options: RecognizeOptions = {},
): Promise<{ words: TranscriptWord[]; pieces: TimeRange[] }> {
  // Raw samples carry no header for the decoder to check: its model is for 16 kHz only.
  if (pcm.sampleRate !== 16_000) throw new SpeechEngineError(`pocketsphinx needs 16 kHz audio; this audio is ${pcm.sampleRate} Hz`);
  const rate = pcm.sampleRate;
  const toMs = (sample: number) => Math.round((sample * 1000) / rate);
  const toSample = (ms: number) => Math.min(pcm.samples.length, Math.round((ms * rate) / 1000));
  const limits = options.searchLimits === false ? [] : SEARCH_LIMITS;
  const maxProcesses = Math.max(1, Math.floor(options.maxProcesses ?? 1));
  const minPieceMs = options.minPieceMs ?? MIN_PIECE_MS;
  // One failure (or the caller's abort) stops every process.
  const stop = new AbortController();
  const relay = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) relay();
  options.signal?.addEventListener("abort", relay, { once: true });
  const pieces: Piece[] = [];
  const running: Array<Promise<void>> = [];
  const dir = await mkdtemp(join(tmpdir(), "mp-pocketsphinx-"));
  const start = (startMs: number, end: number) => {
    const heardFromMs = Math.max(0, startMs - LEAD_IN_MS);
    const piece: Piece = { startMs, heardFromMs, fed: toSample(heardFromMs), end, done: false, words: [] };
    pieces.push(piece);
    const run = feedProcess(engine, pcm, piece, join(dir, `piece-${pieces.length}.raw`), limits, stop.signal).then(
      (words) => {
        piece.words = words.map((w) => ({ ...w, startMs: w.startMs + heardFromMs, endMs: w.endMs + heardFromMs })).filter((w) => w.startMs >= startMs);
      },
      (cause) => {
        stop.abort(cause);
        throw cause;
      },
    ).finally(() => (piece.done = true));
    run.catch(() => undefined);
    running.push(run);
  };
  const progress = () => options.onProgress?.(pieces.reduce((n, p) => n + Math.max(0, p.fed - toSample(p.startMs)), 0) / Math.max(1, pcm.samples.length));
  const idleCores = maxProcesses > 1 ? (options.idleCores ?? machineIdleCores()) : () => 0;
  let idleStreak = 0;
  const poll = () => {
    progress();
    idleStreak = idleCores() >= IDLE_CORE ? idleStreak + 1 : 0;
    const live = pieces.filter((p) => !p.done);
    if (idleStreak < IDLE_POLLS || live.length === 0 || live.length >= maxProcesses) return;
    const widest = live.reduce((a, b) => (b.end - b.fed > a.end - a.fed ? b : a));
    const unwrittenFromMs = toMs(widest.fed);
    const endMs = toMs(widest.end);
    // The new process also hears the lead-in, so the old one keeps half a lead-in more: both end together.
    const cut = cutRemaining(speech, unwrittenFromMs, endMs, minPieceMs, (unwrittenFromMs + endMs + LEAD_IN_MS) / 2);
    if (cut === undefined) return;
    const end = widest.end;
    widest.end = toSample(cut);
    start(cut, end);
    idleStreak = 0;
  };
  const timer = setInterval(poll, options.pollMs ?? POLL_MS);
  try {
    start(0, pcm.samples.length);
    // Pieces started while waiting join the list; wait until none is left running.
    for (let waited = 0; waited < running.length; waited++) await running[waited];
    progress();
    const ordered = [...pieces].sort((a, b) => a.startMs - b.startMs);
    return { words: ordered.flatMap((p) => p.words), pieces: ordered.map((p) => ({ startMs: p.startMs, endMs: toMs(p.end) })) };
  } catch (cause) {
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : cause;
    throw cause;
  } finally {
    clearInterval(timer);
    options.signal?.removeEventListener("abort", relay);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Recognizes a 16 kHz mono WAV file in one process (the eval's and the tests' way). */
export async function runPocketsphinx(
  engine: { path: string; flavour: PocketsphinxFlavour },
  wavPath: string,
  options: Omit<RecognizeOptions, "maxProcesses" | "idleCores"> = {},
): Promise<TranscriptWord[]> {
  return (await recognizeWithPocketsphinx(engine, await readWav(wavPath), [], options)).words;
}

/**
 * Runs one process over a piece, writing its samples into a FIFO as the process reads them; resolves
 * with its words (times from `heardFromMs`). A FIFO, not the process's standard input: Node gives a
 * child a socket there, which `pocketsphinx_continuous` cannot open by the name `/dev/stdin`.
 */
async function feedProcess(
  engine: { path: string; flavour: PocketsphinxFlavour },
  pcm: Pcm,
  piece: Piece,
  fifo: string,
  limits: readonly string[],
  signal: AbortSignal,
): Promise<TranscriptWord[]> {
  await run("mkfifo", [fifo]).catch((cause) => {
    throw new SpeechEngineError(`could not make a FIFO for pocketsphinx at ${fifo}`, { cause });
  });
  return new Promise((resolve, reject) => {
    // Stopped (a stage timeout, or another piece failed): SIGKILL, since a stuck decoder may not answer SIGTERM.
    const child = spawn(engine.path, pocketsphinxArgs(engine.flavour, fifo, limits), { stdio: ["ignore", "pipe", "pipe"], signal, killSignal: "SIGKILL" });
    const out: Buffer[] = [];
    let err = "";
    let gone = false;
    let writer: Socket | undefined;
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
    const failed = (cause?: unknown) =>
      reject(signal.aborted ? signal.reason : new SpeechEngineError(`pocketsphinx failed on the audio from ${(piece.heardFromMs / 1000).toFixed(1)} s${err.trim() ? `: ${err.trim()}` : ""}`, { cause }));
    child.on("error", (cause) => {
      gone = true;
      writer?.destroy();
      failed(cause);
    });
    child.on("close", (code, sig) => {
      gone = true;
      writer?.destroy();
      if (code !== 0) return failed(new Error(`exit ${code ?? sig}`));
      const stdout = Buffer.concat(out).toString();
      resolve(engine.flavour === "continuous" ? parseContinuousOutput(stdout) : parseV5Output(stdout));
    });
    void (async () => {
      // The FIFO opens for writing once the process has opened it for reading (after loading its model).
      while (!gone && !writer) {
        try {
          writer = new Socket({ fd: openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK), readable: false, writable: true });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENXIO") {
            // The decoder would wait for a writer forever: stop it too.
            child.kill("SIGKILL");
            return failed(e);
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      if (!writer) return;
      const w = writer;
      // A process that died mid-write shows in its exit status, not in the write's EPIPE.
      w.on("error", () => undefined);
      // Until the process has read what was written, or is gone (then the loop ends).
      const drained = () => new Promise<void>((r) => {
        if (w.destroyed || gone) return r();
        const done = () => {
          w.off("drain", done);
          w.off("close", done);
          child.off("close", done);
          r();
        };
        w.on("drain", done);
        w.on("close", done);
        child.on("close", done);
      });
      while (piece.fed < piece.end && !gone && !w.destroyed) {
        const to = Math.min(piece.end, piece.fed + FEED_SAMPLES);
        const chunk = int16Bytes(pcm.samples.subarray(piece.fed, to));
        piece.fed = to;
        if (!w.write(chunk)) await drained();
      }
      w.end();
    })();
  });
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

import { execFile } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One synthetic utterance and where it sits in the generated file. */
export interface Utterance {
  speaker: string;
  text: string;
  startMs: number;
  endMs: number;
}

/** A generated 16 kHz mono 16-bit WAV and its ground truth. */
export interface SpeechFixture {
  path: string;
  durationMs: number;
  utterances: Utterance[];
}

/** An espeak-ng voice: its arguments and the speaker name reported in the ground truth. */
export interface Voice {
  speaker: string;
  args: string[];
}

export const MALE: Voice = { speaker: "male", args: ["-v", "en-us", "-p", "30", "-s", "150"] };
export const FEMALE: Voice = { speaker: "female", args: ["-v", "en+f4", "-p", "75"] };
/**
 * A second male voice: another accent, pitch and speed, the hard case for clustering. (espeak-ng 1.51
 * ignores a variant after `en-gb`, so `+m3` changes nothing; the accent, pitch and rate do.)
 */
export const MALE_2: Voice = { speaker: "male2", args: ["-v", "en-gb+m3", "-p", "55", "-s", "165"] };

const LINES = [
  "good morning everyone and welcome to the show",
  "thank you it is great to be here today",
  "we have a lot of news to talk about this week",
  "the weather has been very cold in the north",
  "people are buying more coats and warm boots",
  "what do you think will happen next month",
  "I think the prices will go down in the spring",
  "that is all the time we have for today",
];

const PAUSE_S = 0.7;
const LEAD_S = 0.5;

/**
 * Speaks `lines` alternating between `voices`, with ~0.7 s pauses, into `<dir>/<name>.wav`. Each
 * utterance's leading and trailing silence is trimmed first so the ground-truth times are the speech.
 */
export async function speak(dir: string, name: string, voices: Voice[], lines: string[] = LINES): Promise<SpeechFixture> {
  const work = join(dir, `${name}.parts`);
  await mkdir(work, { recursive: true });
  const parts: string[] = [];
  const utterances: Utterance[] = [];
  let cursorS = LEAD_S;
  const silence = join(work, "pause.wav");
  await run("sox", ["-R", "-n", "-r", "16000", "-c", "1", "-b", "16", silence, "trim", "0", String(PAUSE_S)]);
  const lead = join(work, "lead.wav");
  await run("sox", ["-R", "-n", "-r", "16000", "-c", "1", "-b", "16", lead, "trim", "0", String(LEAD_S)]);
  parts.push(lead);
  for (const [i, text] of lines.entries()) {
    const voice = voices[i % voices.length];
    const raw = join(work, `${i}.raw.wav`);
    const clean = join(work, `${i}.wav`);
    await run("espeak-ng", [...voice.args, "-w", raw, text]);
    // Resample, then trim silence at both ends (silence effect, reversed for the tail).
    await run("sox", ["-R", raw, "-r", "16000", "-c", "1", "-b", "16", clean,
      "silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%", "reverse"]);
    const seconds = await durationS(clean);
    utterances.push({ speaker: voice.speaker, text, startMs: Math.round(cursorS * 1000), endMs: Math.round((cursorS + seconds) * 1000) });
    cursorS += seconds + PAUSE_S;
    parts.push(clean, silence);
  }
  const path = join(dir, `${name}.wav`);
  await run("sox", ["-R", ...parts, path]);
  await rm(work, { recursive: true, force: true });
  return { path, durationMs: Math.round((await durationS(path)) * 1000), utterances };
}

/** Alternating male (`-v en-us -p 30 -s 150`) and female (`-v en+f4 -p 75`) utterances. */
export function twoVoices(dir: string): Promise<SpeechFixture> {
  return speak(dir, "two-voices", [MALE, FEMALE]);
}

/** Alternating two male voices (en-us low pitch vs en-gb+m3 higher pitch, faster). */
export function twoMaleVoices(dir: string): Promise<SpeechFixture> {
  return speak(dir, "two-male-voices", [MALE, MALE_2]);
}

/** One male voice throughout: diarization should find a single speaker. */
export function oneVoice(dir: string): Promise<SpeechFixture> {
  return speak(dir, "one-voice", [MALE]);
}

/** `seconds` of digital silence. */
export async function silence(dir: string, seconds = 5): Promise<SpeechFixture> {
  const path = join(dir, "silence.wav");
  await run("sox", ["-R", "-n", "-r", "16000", "-c", "1", "-b", "16", path, "trim", "0", String(seconds)]);
  return { path, durationMs: Math.round(seconds * 1000), utterances: [] };
}

async function durationS(path: string): Promise<number> {
  // 16-bit mono 16 kHz with sox's 44-byte header: bytes → seconds without another process.
  const buf = await readFile(path);
  const dataAt = buf.indexOf("data", 12, "ascii");
  return buf.readUInt32LE(dataAt + 4) / 2 / 16000;
}

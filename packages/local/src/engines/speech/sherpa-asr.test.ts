import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectAsrModel, loadSherpaAsr, recognizerConfig, resultWords } from "./sherpa-asr.js";

async function modelDir(files: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "asr-"));
  await mkdir(dir, { recursive: true });
  await Promise.all(files.map((f) => writeFile(join(dir, f), f.endsWith("tokens.txt") ? "<blk> 0\nhello 1\n" : "not a real model")));
  return dir;
}

describe("sherpa-onnx model detection", () => {
  it("recognises a Whisper directory and prefers the int8 files", async () => {
    const dir = await modelDir(["tiny.en-encoder.onnx", "tiny.en-encoder.int8.onnx", "tiny.en-decoder.onnx", "tiny.en-decoder.int8.onnx", "tiny.en-tokens.txt"]);
    const model = await detectAsrModel(dir);
    expect(model).toEqual({ kind: "whisper", dir, encoder: join(dir, "tiny.en-encoder.int8.onnx"), decoder: join(dir, "tiny.en-decoder.int8.onnx"), tokens: join(dir, "tiny.en-tokens.txt") });
    expect(recognizerConfig(model, "en-US")).toMatchObject({ modelConfig: { whisper: { language: "en", task: "transcribe" }, tokens: model.tokens } });
  });

  it("recognises a transducer directory by its joiner", async () => {
    const dir = await modelDir(["encoder-epoch-99-avg-1.onnx", "decoder-epoch-99-avg-1.onnx", "joiner-epoch-99-avg-1.onnx", "tokens.txt"]);
    const model = await detectAsrModel(dir);
    expect(model.kind).toBe("transducer");
    expect(recognizerConfig(model, "en-US")).toMatchObject({ modelConfig: { transducer: { joiner: join(dir, "joiner-epoch-99-avg-1.onnx") } } });
  });

  it("explains what it expected and what it found in a directory without a model", async () => {
    const dir = await modelDir(["README.md", "model.bin"]);
    await expect(detectAsrModel(dir)).rejects.toThrow(/MEDIA_PIPELINE_ASR_MODEL_DIR: no sherpa-onnx model in .*Whisper.*transducer.*found: README.md, model.bin/);
    await expect(detectAsrModel(join(dir, "missing"))).rejects.toThrow(/is not a directory/);
  });

  it("fails with a SpeechEngineError when the files are not loadable models", async () => {
    const dir = await modelDir(["tiny.en-encoder.onnx", "tiny.en-decoder.onnx", "tiny.en-tokens.txt"]);
    await expect(loadSherpaAsr(dir, "en-US")).rejects.toMatchObject({ name: "SpeechEngineError", message: expect.stringMatching(/could not load the whisper model/) });
  });
});

describe("sherpa-onnx tokens guard", () => {
  it("refuses a malformed tokens file before sherpa-onnx would end the process", async () => {
    const dir = await modelDir(["tiny.en-encoder.onnx", "tiny.en-decoder.onnx"]);
    await writeFile(join(dir, "tiny.en-tokens.txt"), "not a tokens file");
    await expect(loadSherpaAsr(dir, "en-US")).rejects.toThrow(/not a sherpa-onnx tokens file \(line 1/);
  });
});

describe("sherpa-onnx results", () => {
  it("joins BPE tokens into words with times offset by the segment start", () => {
    const words = resultWords(
      { text: "hello world", tokens: ["▁hel", "lo", "▁world"], timestamps: [0.1, 0.3, 0.6], ys_log_probs: [0, 0, Math.log(0.5)] },
      { startMs: 1000, endMs: 2000 },
    );
    expect(words).toEqual([
      { text: "hello", startMs: 1100, endMs: 1380, confidence: 100 },
      { text: "world", startMs: 1600, endMs: 1680, confidence: 50 },
    ]);
  });

  it("spreads untimed Whisper words over the segment", () => {
    const words = resultWords({ text: " Hello there.", tokens: [], timestamps: [] }, { startMs: 0, endMs: 1000 });
    expect(words.map((w) => [w.text, w.startMs, w.endMs])).toEqual([["Hello", 0, 500], ["there.", 500, 1000]]);
  });
});

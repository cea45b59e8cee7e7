import { describe, expect, it } from "vitest";
import { parseWav } from "./wav.js";

function wav(samples: number[], opts: { channels?: number; bits?: number; list?: boolean } = {}): Buffer {
  const channels = opts.channels ?? 1;
  const bits = opts.bits ?? 16;
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(s, i * 2));
  const fmt = Buffer.alloc(24);
  fmt.write("fmt ", 0, "ascii");
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8);
  fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(16000, 12);
  fmt.writeUInt32LE(16000 * channels * 2, 16);
  fmt.writeUInt16LE(channels * 2, 20);
  fmt.writeUInt16LE(bits, 22);
  const list = opts.list ? Buffer.concat([Buffer.from("LIST"), Buffer.from([3, 0, 0, 0]), Buffer.from("abc\0")]) : Buffer.alloc(0);
  const dataHeader = Buffer.alloc(8);
  dataHeader.write("data", 0, "ascii");
  dataHeader.writeUInt32LE(data.length, 4);
  const body = Buffer.concat([Buffer.from("WAVE"), fmt, list, dataHeader, data]);
  const riff = Buffer.alloc(8);
  riff.write("RIFF", 0, "ascii");
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

describe("parseWav", () => {
  it("reads 16-bit mono samples as floats in [-1, 1]", () => {
    const pcm = parseWav(wav([0, 16384, -32768]));
    expect(pcm.sampleRate).toBe(16000);
    expect(Array.from(pcm.samples)).toEqual([0, 0.5, -1]);
  });

  it("skips chunks before data, such as ffmpeg's LIST chunk with odd padding", () => {
    expect(Array.from(parseWav(wav([100, 200], { list: true })).samples)).toHaveLength(2);
  });

  it("averages stereo to mono", () => {
    expect(Array.from(parseWav(wav([16384, 0, 0, 16384], { channels: 2 })).samples)).toEqual([0.25, 0.25]);
  });

  it("rejects other encodings and non-WAV input with a SpeechEngineError", () => {
    expect(() => parseWav(wav([1, 2], { bits: 8 }))).toThrow(/16-bit PCM/);
    expect(() => parseWav(Buffer.from("not a wav file at all"))).toThrow(expect.objectContaining({ name: "SpeechEngineError" }));
  });
});

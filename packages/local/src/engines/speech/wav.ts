import { readFile } from "node:fs/promises";
import { SpeechEngineError } from "./errors.js";

/** Mono audio as floats in [-1, 1]. */
export interface Pcm {
  samples: Float32Array;
  sampleRate: number;
}

/**
 * Parses a 16-bit PCM WAV (RIFF/WAVE, format 1 or extensible). Multi-channel audio is averaged to mono
 * so a stray stereo file still works; the speech engines expect 16 kHz, which the audio stage writes.
 * Chunks are walked rather than assuming a 44-byte header: ffmpeg writes a LIST chunk before `data`.
 */
export function parseWav(buf: Buffer): Pcm {
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") {
    throw new SpeechEngineError("not a RIFF/WAVE file");
  }
  let offset = 12;
  let format: { channels: number; sampleRate: number; bits: number; tag: number } | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString("ascii", offset, offset + 4);
    const declared = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === "fmt ") {
      format = {
        tag: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === "data") {
      if (!format) throw new SpeechEngineError("WAV data chunk before its fmt chunk");
      // WAVE_FORMAT_PCM (1) or WAVE_FORMAT_EXTENSIBLE (0xfffe) carrying PCM.
      if ((format.tag !== 1 && format.tag !== 0xfffe) || format.bits !== 16) {
        throw new SpeechEngineError(`unsupported WAV encoding (format ${format.tag}, ${format.bits} bits); expected 16-bit PCM`);
      }
      // Streamed WAVs (ffmpeg to a pipe) declare 0 or 0xffffffff: read to the end of the buffer.
      const end = declared === 0 || body + declared > buf.length ? buf.length : body + declared;
      return { samples: toMono(buf, body, end, format.channels), sampleRate: format.sampleRate };
    }
    offset = body + declared + (declared % 2);
  }
  throw new SpeechEngineError("WAV has no data chunk");
}

function toMono(buf: Buffer, start: number, end: number, channels: number): Float32Array {
  const frames = Math.floor((end - start) / (2 * channels));
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += buf.readInt16LE(start + 2 * (i * channels + c));
    out[i] = sum / channels / 32768;
  }
  return out;
}

/**
 * A 16-bit PCM mono WAV of `samples` (floats in [-1, 1]): the exact inverse of `parseWav` for audio
 * that came from a 16-bit file, so a slice written back holds the same samples.
 */
export function encodeWav(samples: Float32Array, sampleRate: number): Buffer {
  const buf = Buffer.alloc(44 + 2 * samples.length);
  buf.write("RIFF", 0, "ascii");
  buf.writeUInt32LE(36 + 2 * samples.length, 4);
  buf.write("WAVEfmt ", 8, "ascii");
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(2 * sampleRate, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write("data", 36, "ascii");
  buf.writeUInt32LE(2 * samples.length, 40);
  writeInt16(samples, buf, 44);
  return buf;
}

/** The samples as raw 16-bit little-endian PCM (what a recognizer reads on its standard input). */
export function int16Bytes(samples: Float32Array): Buffer {
  const buf = Buffer.alloc(2 * samples.length);
  writeInt16(samples, buf, 0);
  return buf;
}

function writeInt16(samples: Float32Array, buf: Buffer, offset: number): void {
  for (let i = 0; i < samples.length; i++) buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768))), offset + 2 * i);
}

/** Reads a 16-bit PCM WAV file into mono floats. */
export async function readWav(path: string): Promise<Pcm> {
  return parseWav(await readFile(path));
}

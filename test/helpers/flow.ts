import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { AnyPipelineEvent } from "@media-pipeline/core";
import { makeCutVideo, type MadeMedia } from "./media.js";
import { twoVoices, type SpeechFixture } from "./speech.js";

const run = promisify(execFile);

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `mp-${prefix}-`));
}

/**
 * A video with hard cuts and two voices talking: the normal case the whole pipeline must handle.
 * Shots are cut to cover the speech so every stage has something real to find.
 */
export async function makeTalkingVideo(dir: string, name = "talk.mp4"): Promise<MadeMedia & { speech: SpeechFixture }> {
  const speech = await twoVoices(dir);
  const seconds = Math.ceil(speech.durationMs / 1000);
  const first = Math.floor(seconds / 3);
  const video = await makeCutVideo(dir, { name: "silent.mp4", segments: [first, first, seconds - 2 * first], audio: false, width: 320, height: 180 });
  const out = path.join(dir, name);
  await run("ffmpeg", ["-v", "error", "-y", "-i", video.path, "-i", speech.path, "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a", "64k", "-shortest", out]);
  return { ...video, path: out, speech };
}

/** The detail-types of a flow, in bus order. */
export function typesOf(events: AnyPipelineEvent[]): string[] {
  return events.map((e) => e["detail-type"]);
}

/** Asserts `a` comes before `b` in the flow. */
export function precedes(types: string[], a: string, b: string): boolean {
  const i = types.indexOf(a);
  const j = types.indexOf(b);
  return i >= 0 && j >= 0 && i < j;
}

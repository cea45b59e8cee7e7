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

/** Printed text shown in a talking video: a black-on-white title, shown from `fromS` to `toS`. */
export interface Sign {
  text: string;
  fromS: number;
  toS: number;
}

/**
 * A video with hard cuts and two voices talking: the normal case the whole pipeline must handle.
 * Shots are cut to cover the speech so every stage has something real to find. `sign` puts printed
 * text over the whole second shot (it comes and goes with the cuts, so it adds no boundary of its own);
 * the video is then 640×360 so the text is as large as a title on a phone screen.
 */
export async function makeTalkingVideo(
  dir: string, name = "talk.mp4", options: { sign?: string } = {},
): Promise<MadeMedia & { speech: SpeechFixture; sign?: Sign }> {
  const speech = await twoVoices(dir);
  const seconds = Math.ceil(speech.durationMs / 1000);
  const first = Math.floor(seconds / 3);
  const size = options.sign ? { width: 640, height: 360 } : { width: 320, height: 180 };
  const video = await makeCutVideo(dir, { name: `silent-${name}`, segments: [first, first, seconds - 2 * first], audio: false, ...size });
  const out = path.join(dir, name);
  const sign = options.sign ? { text: options.sign, fromS: first, toS: 2 * first } : undefined;
  const picture = sign
    ? ["-vf", `drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='${sign.text}':fontsize=40:fontcolor=black:box=1:boxcolor=white:boxborderw=14:x=(w-tw)/2:y=h-th-40:enable='between(t,${sign.fromS},${sign.toS})'`,
      "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-pix_fmt", "yuv420p"]
    : ["-c:v", "copy"];
  await run("ffmpeg", ["-v", "error", "-y", "-i", video.path, "-i", speech.path, "-map", "0:v", "-map", "1:a", ...picture, "-c:a", "aac", "-b:a", "64k", "-shortest", out]);
  return { ...video, path: out, speech, ...(sign ? { sign } : {}) };
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

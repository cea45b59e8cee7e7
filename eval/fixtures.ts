import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { skimageDataDir } from "../packages/local/test-support/test-frames.js";
import { FEMALE, speak, type SpeechFixture, type Voice } from "../test/helpers/speech.js";

/**
 * Eval media with ground truth we put there ourselves: videos assembled shot by shot from lavfi test
 * patterns and the real skimage photographs, and speech from test/helpers/speech.ts. Frames are
 * 640×360 at 25 fps so cut times are exact to the frame (40 ms, far inside the ±0.5 s tolerance).
 */

const run = promisify(execFile);
const FFMPEG = process.env.MEDIA_PIPELINE_FFMPEG ?? "ffmpeg";
const W = 640;
const H = 360;
const FPS = 25;

/** A photograph from python3-skimage and the COCO class a detector should find in it (none for the rocket). */
export const PHOTOS = {
  astronaut: { file: "astronaut.png", expected: "Person" },
  coffee: { file: "coffee.png", expected: "Cup" },
  chelsea: { file: "chelsea.png", expected: "Cat" },
  motorcycle_left: { file: "motorcycle_left.png", expected: "Motorcycle" },
  rocket: { file: "rocket.jpg", expected: undefined },
} as const satisfies Record<string, { file: string; expected: string | undefined }>;
export type PhotoName = keyof typeof PHOTOS;

/** A moving lavfi pattern (each unlike the others and unlike a photograph). */
const PATTERNS = {
  testsrc2: `testsrc2=s=${W}x${H}:r=${FPS}`,
  mandelbrot: `mandelbrot=s=${W}x${H}:r=${FPS}`,
  smptebars: `smptebars=s=${W}x${H}:r=${FPS}`,
  life: `life=s=${W}x${H}:r=${FPS}:mold=10:ratio=0.2:seed=7:life_color=0x30a0ff:death_color=0x202020`,
  rgbtestsrc: `rgbtestsrc=s=${W}x${H}:r=${FPS}`,
} as const;
export type PatternName = keyof typeof PATTERNS;

/**
 * How a photograph moves in its shot: the default slow zoom in, or (held-apart media only, so that
 * no constant was chosen on them) a zoom out, a pan across or a tilt down a larger copy.
 */
export type Motion = "zoom-in" | "zoom-out" | "pan" | "tilt";
/** A photograph of python3-skimage's data folder used only in held-apart media (no expected label). */
export type ShotSpec = { seconds: number; motion?: Motion } & ({ photo: PhotoName } | { pattern: PatternName } | { image: string });

/** A shot's photograph, pattern or image, for messages. */
export const shotName = (s: ShotSpec): string => ("photo" in s ? s.photo : "pattern" in s ? s.pattern : s.image.replace(/\.[a-z]+$/, ""));

/** Where each shot sits in the made video: `[startMs, endMs)`. */
export interface ShotTruth {
  spec: ShotSpec;
  startMs: number;
  endMs: number;
}

export interface MadeVideo {
  path: string;
  durationMs: number;
  shots: ShotTruth[];
  /** Ground-truth boundary times (not t = 0): the cut, or the middle of a gradual transition. */
  boundariesMs: number[];
}

/**
 * Nine shots with eight hard cuts: the five photographs as slow zooms between moving patterns, and
 * one photo-to-photo cut (coffee → chelsea), the case where neither side is a synthetic pattern.
 */
export const HARD_CUT_SHOTS: ShotSpec[] = [
  { photo: "astronaut", seconds: 3 },
  { pattern: "testsrc2", seconds: 2 },
  { photo: "coffee", seconds: 3 },
  { photo: "chelsea", seconds: 3 },
  { pattern: "mandelbrot", seconds: 2.4 },
  { photo: "motorcycle_left", seconds: 3 },
  { pattern: "smptebars", seconds: 2 },
  { photo: "rocket", seconds: 3 },
  { pattern: "life", seconds: 2.6 },
];

/** Four shots joined by three one-second gradual transitions of different kinds. */
export const GRADUAL_SHOTS: ShotSpec[] = [
  { photo: "chelsea", seconds: 4 },
  { pattern: "testsrc2", seconds: 4 },
  { photo: "motorcycle_left", seconds: 4 },
  { photo: "astronaut", seconds: 4 },
];
export const GRADUAL_TRANSITIONS = ["fade", "dissolve", "fadeblack"] as const;
export const TRANSITION_SECONDS = 1;

/** A gradual transition between two shots: an ffmpeg xfade kind and its length. */
export interface TransitionSpec {
  kind: "fade" | "dissolve" | "fadeblack" | "fadewhite";
  seconds: number;
}

/** The tuning set's gradual video: the constants of the transition search were chosen on it. */
export const GRADUAL_TUNING = {
  shots: GRADUAL_SHOTS,
  transitions: GRADUAL_TRANSITIONS.map((kind) => ({ kind, seconds: TRANSITION_SECONDS })) as TransitionSpec[],
};

/**
 * Held apart: photographs, motions, patterns and transition lengths (0.5–2 s) the tuning set does
 * not have, and a fade through white. Nothing was tuned on these.
 */
export const GRADUAL_HELD_APART = {
  shots: [
    { image: "camera.png", seconds: 4, motion: "zoom-out" },
    { image: "hubble_deep_field.jpg", seconds: 5, motion: "pan" },
    { pattern: "rgbtestsrc", seconds: 3 },
    { image: "ihc.png", seconds: 4, motion: "tilt" },
    { image: "coins.png", seconds: 4, motion: "zoom-in" },
    { image: "retina.jpg", seconds: 5, motion: "zoom-out" },
    { image: "motorcycle_right.png", seconds: 4, motion: "pan" },
  ] as ShotSpec[],
  transitions: [
    { kind: "dissolve", seconds: 2 },
    { kind: "fade", seconds: 0.5 },
    { kind: "fadeblack", seconds: 1.5 },
    { kind: "fadewhite", seconds: 1 },
    { kind: "fade", seconds: 1.5 },
    { kind: "dissolve", seconds: 0.8 },
  ] as TransitionSpec[],
};

/**
 * Held apart, hard cuts only: moving photographs the tuning set never showed (pans, tilts, zooms
 * out) cut against each other and against patterns; every boundary found inside a shot is false.
 */
export const HARD_CUT_HELD_APART: ShotSpec[] = [
  { image: "brick.png", seconds: 3, motion: "pan" },
  { image: "page.png", seconds: 2.5, motion: "tilt" },
  { pattern: "rgbtestsrc", seconds: 2 },
  { image: "moon.png", seconds: 3, motion: "zoom-out" },
  { image: "hubble_deep_field.jpg", seconds: 4, motion: "tilt" },
  { image: "gravel.png", seconds: 2.6, motion: "zoom-in" },
  { image: "clock_motion.png", seconds: 3, motion: "pan" },
  { pattern: "mandelbrot", seconds: 2 },
  { image: "color.png", seconds: 3, motion: "zoom-out" },
];

export function photoDir(): string {
  const dir = skimageDataDir() ?? "/usr/lib/python3/dist-packages/skimage/data";
  if (!existsSync(join(dir, PHOTOS.astronaut.file))) {
    throw new Error("python3-skimage's photographs are missing: apt-get install python3-skimage (see .ci/run)");
  }
  return dir;
}

/** ffmpeg input arguments and the filter that turns input `i` into a 640×360 25 fps yuv420p shot. */
function shotInput(spec: ShotSpec, i: number, photos: string): { args: string[]; filter: string } {
  const frames = Math.round(spec.seconds * FPS);
  const common = `format=yuv420p,setsar=1,settb=1/${FPS},setpts=N/${FPS}/TB`;
  if ("pattern" in spec) {
    return { args: ["-f", "lavfi", "-t", String(spec.seconds), "-i", PATTERNS[spec.pattern]], filter: `[${i}:v]${common}[s${i}]` };
  }
  // Letterbox to 16:9, upscale (zoompan rounds its crop to whole pixels: a larger canvas keeps the
  // motion smooth instead of jittering), then the motion: by default a slow 1.0 → ~1.15 zoom towards
  // the centre; a pan or tilt crosses a third of a 1.5× copy.
  const centre = "x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2'";
  const motion = {
    "zoom-in": `z='1+0.002*on':${centre}`,
    "zoom-out": `z='max(1,1.2-0.002*on)':${centre}`,
    pan: `z=1.5:x='(iw-iw/zoom)*on/${frames}':y='ih/2-ih/zoom/2'`,
    tilt: `z=1.5:x='iw/2-iw/zoom/2':y='(ih-ih/zoom)*on/${frames}'`,
  }[spec.motion ?? "zoom-in"];
  const zoom =
    `scale=${W * 2}:${H * 2}:force_original_aspect_ratio=decrease,pad=${W * 2}:${H * 2}:(ow-iw)/2:(oh-ih)/2,` +
    `zoompan=${motion}:d=${frames}:s=${W}x${H}:fps=${FPS}`;
  const file = "photo" in spec ? PHOTOS[spec.photo].file : spec.image;
  return { args: ["-i", join(photos, file)], filter: `[${i}:v]${zoom},${common}[s${i}]` };
}

/** Hard cuts: the shots concatenated. */
export async function makeHardCutVideo(dir: string, shots = HARD_CUT_SHOTS, name = "hard-cuts.mp4"): Promise<MadeVideo> {
  const photos = photoDir();
  const inputs = shots.map((s, i) => shotInput(s, i, photos));
  const labels = shots.map((_, i) => `[s${i}]`).join("");
  const graph = [...inputs.map((x) => x.filter), `${labels}concat=n=${shots.length}:v=1:a=0[v]`].join(";");
  const path = join(dir, name);
  await encode([...inputs.flatMap((x) => x.args), "-filter_complex", graph, "-map", "[v]"], path);
  const truth: ShotTruth[] = [];
  let at = 0;
  for (const spec of shots) {
    truth.push({ spec, startMs: Math.round(at * 1000), endMs: Math.round((at + spec.seconds) * 1000) });
    at += spec.seconds;
  }
  return { path, durationMs: Math.round(at * 1000), shots: truth, boundariesMs: truth.slice(1).map((t) => t.startMs) };
}

/**
 * Gradual transitions with xfade: shot k+1 starts blending in at `offset` and is alone after
 * `offset + 1 s`. The ground-truth boundary is the middle of the blend, so with ±0.5 s tolerance
 * any detection inside the transition counts.
 */
export async function makeGradualVideo(
  dir: string,
  set: { shots: ShotSpec[]; transitions: TransitionSpec[] } = GRADUAL_TUNING,
  name = "gradual.mp4",
): Promise<MadeVideo & { transitions: string[] }> {
  const { shots, transitions } = set;
  if (shots.length !== transitions.length + 1) throw new Error("one transition between each pair of shots");
  const photos = photoDir();
  const inputs = shots.map((s, i) => shotInput(s, i, photos));
  const chain: string[] = [];
  const boundariesMs: number[] = [];
  let length = shots[0].seconds;
  let last = "[s0]";
  transitions.forEach(({ kind, seconds: d }, k) => {
    const offset = length - d;
    const out = k === transitions.length - 1 ? "[v]" : `[x${k}]`;
    chain.push(`${last}[s${k + 1}]xfade=transition=${kind}:duration=${d}:offset=${offset}${out}`);
    boundariesMs.push(Math.round((offset + d / 2) * 1000));
    length = offset + shots[k + 1].seconds;
    last = out;
  });
  const path = join(dir, name);
  await encode([...inputs.flatMap((x) => x.args), "-filter_complex", [...inputs.map((x) => x.filter), ...chain].join(";"), "-map", "[v]"], path);
  // Shot spans for a gradual video are not scored per shot; the boundaries are what is measured.
  return { path, durationMs: Math.round(length * 1000), shots: [], boundariesMs, transitions: transitions.map((t) => `${t.kind} ${t.seconds} s`) };
}

async function encode(args: string[], path: string): Promise<void> {
  await run(FFMPEG, ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", path], {
    maxBuffer: 16 << 20,
  });
}

/**
 * A second female voice: another accent, formant variant (f2 vs f4), pitch and speed than FEMALE
 * (`en+f4 -p 75`, median F0 ≈ 235 Hz); this one is ≈ 190 Hz, about as far apart as MALE and MALE_2.
 * Not `en-gb+f2`: espeak-ng 1.51 silently ignores a variant after `en-gb` (the output is byte for
 * byte plain en-gb, a male voice at ≈ 100 Hz), whereas `en-us+f2` applies it.
 */
export const FEMALE_2: Voice = { speaker: "female2", args: ["-v", "en-us+f2", "-p", "45", "-s", "170"] };

export function twoFemaleVoices(dir: string): Promise<SpeechFixture> {
  return speak(dir, "two-female-voices", [FEMALE, FEMALE_2]);
}

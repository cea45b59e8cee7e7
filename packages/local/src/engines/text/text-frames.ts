import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * Frames with known text, for the text engine's tests and the eval (not used by the runtime): ffmpeg
 * `drawtext` over Debian's photographs (python3-skimage, matplotlib's sample data) and plain
 * backgrounds, in several fonts, sizes and styles.
 *
 * Two sets that share nothing but the method: TUNING (what every constant of the engine and of core's
 * merge was tuned on) and HELD_OUT (only measured, never tuned on) differ in photographs, fonts,
 * sizes, phrases and random seed.
 */

const run = promisify(execFile);

export type TextStyle = "border" | "box" | "shadow" | "plain";

export interface TextSetSpec {
  name: string;
  /** Photographs (file names, found in `photoDirs`) and plain colours (`color:0x…`). */
  backgrounds: string[];
  fonts: string[];
  /** Font sizes in pixels at 1280×720 (scaled with the frame). */
  sizes: number[];
  phrases: string[];
  seed: number;
  /** Frames per background. */
  perBackground: number;
}

const DEJAVU = "/usr/share/fonts/truetype/dejavu";
const LIBERATION = "/usr/share/fonts/truetype/liberation";

export const TUNING: TextSetSpec = {
  name: "tuning",
  backgrounds: ["astronaut.png", "coffee.png", "chelsea.png", "color:0x202830", "color:0xe8e4d8"],
  fonts: [`${DEJAVU}/DejaVuSans.ttf`, `${DEJAVU}/DejaVuSerif.ttf`, `${DEJAVU}/DejaVuSansMono.ttf`, `${DEJAVU}/DejaVuSans-Bold.ttf`],
  sizes: [22, 30, 44, 64],
  phrases: [
    "Breaking news tonight", "Weather forecast for Monday", "Live from the city centre", "Call 555 0199 now",
    "Chapter 3 The journey home", "Open every day until 9 pm", "Sale ends Sunday", "Goal scored in minute 42",
    "Welcome to the museum", "Traffic update on route 66", "Press any key to continue", "Population 12500 people",
  ],
  seed: 1,
  perBackground: 6,
};

export const HELD_OUT: TextSetSpec = {
  name: "held-out",
  backgrounds: ["motorcycle_left.png", "rocket.jpg", "grace_hopper.jpg", "retina.jpg", "color:0x103060"],
  fonts: [`${LIBERATION}/LiberationSans-Regular.ttf`, `${LIBERATION}/LiberationSerif-Regular.ttf`, `${LIBERATION}/LiberationMono-Regular.ttf`, `${LIBERATION}/LiberationSans-Bold.ttf`],
  sizes: [26, 36, 52, 72],
  phrases: [
    "Election results are coming in", "Next train departs at 10 45", "Subscribe for more videos", "Final score two to one",
    "Interview with the director", "Storm warning for the coast", "Fresh bread baked daily", "Season 2 Episode 7",
    "Museum closed on holidays", "Temperature 18 degrees", "Thank you for watching", "Market prices rise again",
  ],
  seed: 2,
  perBackground: 6,
};

/** One drawn line of text and where it was drawn (pixels of its frame; width estimated from the font). */
export interface DrawnText {
  text: string;
  font: string;
  size: number;
  style: TextStyle;
  color: string;
  x: number;
  y: number;
  estimatedWidth: number;
}

export interface TextFrame {
  path: string;
  background: string;
  width: number;
  height: number;
  items: DrawnText[];
}

/** Where Debian keeps the photographs: skimage's data folder first, then matplotlib's sample data. */
export const MATPLOTLIB_SAMPLE_DATA = "/usr/share/matplotlib/mpl-data/sample_data";

/**
 * Draws the set's frames as JPEGs (quality as the frame pass writes them) into `dir`, `concurrency`
 * ffmpeg processes at a time. `limit` keeps the first frames of each background only (tests).
 */
export async function makeTextFrames(
  dir: string,
  spec: TextSetSpec,
  options: { width: number; height: number; photoDirs: string[]; limit?: number; ffmpegPath?: string; concurrency?: number },
): Promise<TextFrame[]> {
  await mkdir(dir, { recursive: true });
  const plans = planFrames(spec, options.width, options.height).filter((p) => options.limit === undefined || p.k < options.limit);
  const out: TextFrame[] = new Array(plans.length);
  let next = 0;
  const worker = async () => {
    while (next < plans.length) {
      const i = next++;
      out[i] = await drawFrame(dir, `${spec.name}-${options.width}-${String(i).padStart(3, "0")}`, plans[i], options);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  return out;
}

interface Plan {
  background: string;
  k: number;
  items: DrawnText[];
}

/** The frames' content, decided by the set's seed alone (the same frames on every machine). */
export function planFrames(spec: TextSetSpec, width: number, height: number): Plan[] {
  let state = spec.seed * 9301 + 49_297;
  const random = () => (state = (state * 9301 + 49_297) % 233_280) / 233_280;
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const styles: TextStyle[] = ["border", "box", "shadow", "plain"];
  const plans: Plan[] = [];
  let n = 0;
  for (const background of spec.backgrounds) {
    const light = background.startsWith("color:") && Number.parseInt(background.slice(8), 16) > 0x808080;
    for (let k = 0; k < spec.perBackground; k++) {
      const count = 1 + Math.floor(random() * 2);
      const items: DrawnText[] = [];
      for (let j = 0; j < count; j++) {
        const font = pick(spec.fonts);
        const text = pick(spec.phrases);
        const perChar = font.includes("Mono") ? 0.62 : 0.56;
        // Never wider than the frame: a cut-off phrase would be scored as missed words.
        const size = Math.round((Math.min(pick(spec.sizes), (0.94 * 1280) / (text.length * perChar)) * width) / 1280);
        const estimatedWidth = text.length * size * perChar;
        let y = 0;
        for (let tries = 0; tries < 50; tries++) {
          y = Math.round((0.05 + random() * 0.8) * height);
          if (items.every((o) => Math.abs(o.y - y) >= Math.max(o.size, size) * 2.2)) break;
        }
        const x = Math.max(Math.round(0.02 * width), Math.min(Math.round((0.03 + random() * 0.2) * width), Math.round(0.97 * width - estimatedWidth)));
        const color = light ? "black" : pick(["white", "yellow", "white"]);
        items.push({ text, font, size, style: styles[(n + j) % styles.length], color, x, y, estimatedWidth: Math.round(estimatedWidth) });
      }
      plans.push({ background, k, items });
      n++;
    }
  }
  return plans;
}

async function drawFrame(
  dir: string,
  name: string,
  plan: Plan,
  options: { width: number; height: number; photoDirs: string[]; ffmpegPath?: string },
): Promise<TextFrame> {
  const { width: w, height: h } = options;
  const filters: string[] = [];
  for (const [j, item] of plan.items.entries()) {
    // textfile= rather than text=: no escaping of the phrase inside the filter graph.
    const textFile = join(dir, `${name}-${j}.txt`);
    await writeFile(textFile, item.text);
    // Outline, box and shadow contrast with the text, as a caption's do (black text gets white ones).
    const ink = item.color === "black" ? "white" : "black";
    const style =
      item.style === "border"
        ? `:borderw=${Math.max(1, Math.round(item.size / 14))}:bordercolor=${ink}`
        : item.style === "box"
          ? `:box=1:boxcolor=${ink}@0.6:boxborderw=${Math.round(item.size / 4)}`
          : item.style === "shadow"
            ? `:shadowx=2:shadowy=2:shadowcolor=${ink}`
            : "";
    filters.push(`drawtext=fontfile=${item.font}:textfile=${textFile}:fontsize=${item.size}:fontcolor=${item.color}:x=${item.x}:y=${item.y}${style}`);
  }
  const input = plan.background.startsWith("color:")
    ? ["-f", "lavfi", "-i", `color=c=${plan.background.slice(6)}:s=${w}x${h}`]
    : ["-i", photoPath(plan.background, options.photoDirs)];
  const fit = `scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},setsar=1`;
  const path = join(dir, `${name}.jpg`);
  await run(options.ffmpegPath ?? "ffmpeg", ["-nostdin", "-loglevel", "error", "-y", ...input, "-vf", [fit, ...filters].join(","), "-frames:v", "1", "-q:v", "3", path]);
  return { path, background: plan.background, width: w, height: h, items: plan.items };
}

function photoPath(file: string, dirs: readonly string[]): string {
  for (const dir of dirs) if (existsSync(join(dir, file))) return join(dir, file);
  throw new Error(`photograph ${file} not found in ${dirs.join(", ")} (Debian: python3-skimage, python3-matplotlib)`);
}

/** A phrase's words as scored: lower case, letters and digits only. */
export function scoringWords(text: string): string[] {
  return text
    .split(/\s+/)
    .map((w) => w.toLowerCase().replace(/[^\p{L}\p{N}]/gu, ""))
    .filter(Boolean);
}

/**
 * Word matches between what was drawn and what was read, as multisets (a word drawn twice must be
 * read twice): true positives, reference and hypothesis counts.
 */
export function matchWords(reference: readonly string[], hypothesis: readonly string[]): { truePositives: number; reference: number; hypothesis: number } {
  const left = new Map<string, number>();
  for (const w of reference) left.set(w, (left.get(w) ?? 0) + 1);
  let truePositives = 0;
  for (const w of hypothesis) {
    const n = left.get(w) ?? 0;
    if (n > 0) {
      left.set(w, n - 1);
      truePositives++;
    }
  }
  return { truePositives, reference: reference.length, hypothesis: hypothesis.length };
}

import type { MediaSummaryInput } from "@media-pipeline/core";
import type { Topic, TopicSplit } from "./chapter-topics.js";

/*
 * Synthetic multi-topic media for the chapter eval: scenes as the pipeline would hand them to the
 * media summarizer (transcript lines, labels, on-screen text), with the true topic of every scene.
 * The generator's own parameters (segment lengths, how often a scene is silent, drifts into a
 * neighbouring topic or shows a stray label) were fixed before any tuning and are the same for both
 * halves; only the topics differ. Seeded, so every run sees the same media.
 */

export interface SyntheticMedia {
  seed: number;
  input: MediaSummaryInput;
  /** Positions (0-based, in scene order) where a new topic starts; 0 excluded. */
  boundaries: number[];
  /** Start times of those scenes (ms). */
  boundariesMs: number[];
  /** The topic of every scene. */
  topics: string[];
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pickFrom = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function weightedCount(random: () => number): number {
  // 1 topic 10 %, 2: 20 %, 3: 35 %, 4: 25 %, 5: 10 %.
  const r = random();
  return r < 0.1 ? 1 : r < 0.3 ? 2 : r < 0.65 ? 3 : r < 0.9 ? 4 : 5;
}

/** Draws sentences of a topic without repeats until the pool runs out, then starts over. */
function drawer(random: () => number) {
  const pools = new Map<string, string[]>();
  return (topic: Topic): string => {
    let pool = pools.get(topic.name);
    if (!pool || pool.length === 0) {
      pool = [...topic.sentences];
      pools.set(topic.name, pool);
    }
    return pool.splice(Math.floor(random() * pool.length), 1)[0]!;
  };
}

export interface MediaOptions {
  /** Force this many topics (default: 1–5, mostly 3). */
  topics?: number;
  /** Share of spoken words replaced by another word or dropped, as a weak speech engine would (default 0). */
  wordErrorRate?: number;
  /** Drops labels and on-screen text: the transcript alone, as for audio or footage no detector labels. */
  speechOnly?: boolean;
}

/** One synthetic media item from `split`. */
export function makeMedia(split: TopicSplit, seed: number, options: MediaOptions = {}): SyntheticMedia {
  const random = rng(seed);
  const count = options.topics ?? weightedCount(random);
  const all = split.domains.flat();
  // Most media stay within one domain (one show); some wander across.
  const pool = random() < 0.7 ? pickFrom(random, split.domains) : all;
  const chosen: Topic[] = [];
  while (chosen.length < count) {
    const t = pickFrom(random, pool.length >= count ? pool : all);
    if (!chosen.includes(t)) chosen.push(t);
  }
  const draw = drawer(random);
  const vocabulary = all.flatMap((t) => t.sentences.join(" ").split(/\s+/));
  const garble = (text: string) =>
    options.wordErrorRate
      ? text
          .split(/\s+/)
          .flatMap((w) => (random() < options.wordErrorRate! ? (random() < 0.3 ? [] : [pickFrom(random, vocabulary)]) : [w]))
          .join(" ")
          .toLowerCase()
          .replace(/[.,!?;:]/g, "")
      : text;

  const scenes: MediaSummaryInput["scenes"] = [];
  const topics: string[] = [];
  const boundaries: number[] = [];
  let t = 0;
  chosen.forEach((topic, k) => {
    if (k > 0) boundaries.push(scenes.length);
    const length = 2 + Math.floor(random() * 6); // 2–7 scenes
    for (let i = 0; i < length; i++) {
      const durationMs = Math.round(4000 * 10 ** random()); // 4–40 s, log-uniform
      const silent = random() < 0.1;
      const n = silent ? 0 : Math.max(1, Math.min(5, Math.round(durationMs / 7000 + (random() - 0.5) * 2)));
      const transcript: MediaSummaryInput["scenes"][number]["transcript"] = [];
      for (let j = 0; j < n; j++) {
        // 80 % the topic, 12 % talk about nothing, 8 % a recap of the last topic or a preview of the next.
        const r = random();
        const neighbour = chosen[k + (random() < 0.5 ? -1 : 1)];
        const said = r < 0.8 ? draw(topic) : r < 0.92 ? pickFrom(random, split.fillers) : draw(neighbour ?? topic);
        const startMs = t + Math.round((j * durationMs) / n);
        transcript.push({ speaker: random() < 0.7 ? "spk_0" : "spk_1", text: garble(said), startMs, endMs: t + Math.round(((j + 1) * durationMs) / n) - 100 });
      }
      const labels = [
        ...split.genericLabels.filter(() => random() < 0.6),
        ...topic.labels.filter(() => random() < 0.5),
        ...(random() < 0.15 ? [pickFrom(random, pickFrom(random, all).labels)] : []),
      ];
      const text = [
        ...(random() < 0.2 ? [pickFrom(random, topic.text)] : []),
        ...(random() < 0.1 ? [pickFrom(random, split.genericText)] : []),
      ];
      scenes.push({
        index: scenes.length, startMs: t, endMs: t + durationMs, summary: "", transcript,
        labels: options.speechOnly ? [] : [...new Set(labels)], text: options.speechOnly ? [] : text,
      });
      topics.push(topic.name);
      t += durationMs;
    }
  });
  return { seed, input: { durationMs: t, scenes }, boundaries, boundariesMs: boundaries.map((b) => scenes[b]!.startMs), topics };
}

/** `count` media from consecutive seeds. */
export function makeSet(split: TopicSplit, count: number, firstSeed: number, options: MediaOptions = {}): SyntheticMedia[] {
  return Array.from({ length: count }, (_, i) => makeMedia(split, firstSeed + i, options));
}

/** Segment ids per position from the start positions of segments (0 implied). */
function labelsOf(n: number, boundaries: readonly number[]): number[] {
  const cuts = new Set(boundaries);
  let id = 0;
  return Array.from({ length: n }, (_, i) => (i > 0 && cuts.has(i) ? ++id : id));
}

/**
 * Pk (Beeferman et al. 1999) and WindowDiff (Pevzner & Hearst 2002) over scene positions, as error
 * counts so that several media pool into one figure: a window of `k` scenes slides along; Pk counts
 * windows whose ends are in the same segment in one segmentation and not the other, WindowDiff those
 * whose count of boundaries differs. `k` is half the mean true segment length (at least 1). Lower is
 * better; 0 is perfect.
 */
export function windowErrors(n: number, reference: readonly number[], hypothesis: readonly number[]): { windows: number; pk: number; windowDiff: number } {
  const k = Math.max(1, Math.round(n / (reference.length + 1) / 2));
  const ref = labelsOf(n, reference);
  const hyp = labelsOf(n, hypothesis);
  let pk = 0;
  let wd = 0;
  let windows = 0;
  for (let i = 0; i + k < n; i++) {
    windows += 1;
    if ((ref[i] === ref[i + k]) !== (hyp[i] === hyp[i + k])) pk += 1;
    if (ref[i + k]! - ref[i]! !== hyp[i + k]! - hyp[i]!) wd += 1;
  }
  return { windows, pk, windowDiff: wd };
}

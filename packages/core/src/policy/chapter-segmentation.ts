import type { MediaSummaryInput } from "../ports.js";
import { tokenize } from "./chapter-words.js";

/** One scene as the media summarizer reads it. */
export type SummaryScene = MediaSummaryInput["scenes"][number];

/**
 * How scenes are grouped into chapters (see segmentChapters). The defaults were tuned on synthetic
 * multi-topic media (eval/chapter-corpus.ts, its tuning half only); eval/chapters.eval.ts reports
 * them on the held-out half.
 */
export interface ChapterSettings {
  /** Scenes with words on each side of a gap whose bags are compared (scenes without words are skipped). */
  window: number;
  /** Weight of a label's word, and of a word shown on screen, against a spoken word (1). */
  labelWeight: number;
  textWeight: number;
  /** Down-weights words found all over the media: `log(N / df)` over scenes (`plain`), `log(1 + N / df)` (`smooth`), or none. */
  idf: "plain" | "smooth" | "none";
  /** Each scene's bag is scaled to length 1 before a window sums them, so one talkative scene does not outweigh its neighbours. */
  normalizeScenes: boolean;
  /** A gap is a boundary when its depth is above mean − k·sd of all gaps' depths (Hearst's TextTiling used k = ½)… */
  k: number;
  /** …and above this depth relative to the media's mean similarity, so that media on one topic stays one chapter. */
  minDepth: number;
  /** No chapter is shorter than this many scenes… */
  minChapterScenes: number;
  /** …or than this (ms). */
  minChapterMs: number;
  /** Media with fewer scenes than this is one chapter: too few to tell a topic change from noise. */
  minScenesToSplit: number;
}

export const DEFAULT_CHAPTER_SETTINGS: ChapterSettings = {
  window: 3,
  labelWeight: 2,
  textWeight: 2,
  idf: "plain",
  normalizeScenes: false,
  // Hearst's own cutoff, not tuned: on these media minDepth decides, mean − ½·sd rarely passes it.
  k: 0.5,
  minDepth: 0.6,
  minChapterScenes: 2,
  // YouTube's shortest chapter; 0 s and 10 s scored alike in tuning, and real chapters are longer still.
  minChapterMs: 10_000,
  minScenesToSplit: 4,
};

/** The gap before a scene: how alike the words on either side are, and how deep a valley it sits in. */
export interface ChapterGap {
  /** The scene (its `index`) after the gap: the first scene of a chapter if the gap is a boundary. */
  scene: number;
  /** Cosine similarity (0–1) of the windows either side; null when one side has no words at all. */
  similarity: number | null;
  /** ((left peak − similarity) + (right peak − similarity)) / the media's mean similarity; 0 without a similarity. */
  depth: number;
  boundary: boolean;
}

export interface ChapterSpan {
  /** The scenes' `index` values, in time order. */
  sceneIndexes: number[];
  startMs: number;
  endMs: number;
}

export interface ChapterSegmentation {
  chapters: ChapterSpan[];
  gaps: ChapterGap[];
  /** The depth a gap had to pass (the larger of mean − k·sd and minDepth); null when nothing could be split. */
  cutoff: number | null;
  settings: ChapterSettings;
}

type Bag = Map<string, number>;

function add(bag: Bag, text: string, weight: number): void {
  for (const t of tokenize(text)) if (t.content) bag.set(t.stem, (bag.get(t.stem) ?? 0) + weight);
}

/** A scene's words, weighted by where they come from: what is said, what is seen (labels), what is shown (text). */
export function sceneBag(scene: SummaryScene, settings: Pick<ChapterSettings, "labelWeight" | "textWeight">): Bag {
  const bag: Bag = new Map();
  for (const t of scene.transcript) add(bag, t.text, 1);
  // A label is seen once per scene whatever its confidence: its weight is per scene, not per frame.
  for (const l of new Set(scene.labels)) add(bag, l, settings.labelWeight);
  for (const line of scene.text) add(bag, line, settings.textWeight);
  return bag;
}

function norm(bag: Bag): number {
  let s = 0;
  for (const v of bag.values()) s += v * v;
  return Math.sqrt(s);
}

function cosine(a: Bag, b: Bag): number {
  const na = norm(a);
  const nb = norm(b);
  if (na === 0 || nb === 0) return 0;
  let dot = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const [k, v] of small) dot += v * (large.get(k) ?? 0);
  return dot / (na * nb);
}

function weighted(bags: Bag[], s: ChapterSettings): Bag[] {
  const nonEmpty = bags.filter((b) => b.size > 0).length;
  const df = new Map<string, number>();
  for (const b of bags) for (const k of b.keys()) df.set(k, (df.get(k) ?? 0) + 1);
  return bags.map((bag) => {
    const out: Bag = new Map();
    for (const [k, v] of bag) {
      const d = df.get(k)!;
      const idf = s.idf === "none" ? 1 : s.idf === "smooth" ? Math.log(1 + nonEmpty / d) : Math.log(nonEmpty / d);
      if (idf > 0) out.set(k, v * idf);
    }
    const n = s.normalizeScenes ? norm(out) : 1;
    if (n > 0 && n !== 1) for (const [k, v] of out) out.set(k, v / n);
    return out;
  });
}

/** The sum of up to `window` scenes with words, walking from `from` by `step`. */
function windowBag(bags: Bag[], from: number, step: 1 | -1, window: number): Bag | undefined {
  const out: Bag = new Map();
  let taken = 0;
  for (let i = from; i >= 0 && i < bags.length && taken < window; i += step) {
    if (bags[i]!.size === 0) continue;
    taken += 1;
    for (const [k, v] of bags[i]!) out.set(k, (out.get(k) ?? 0) + v);
  }
  return taken ? out : undefined;
}

function validate(s: ChapterSettings): void {
  const bad = (name: string, ok: boolean) => {
    if (!ok) throw new RangeError(`chapter setting ${name} is out of range: ${String(s[name as keyof ChapterSettings])}`);
  };
  bad("window", Number.isInteger(s.window) && s.window >= 1);
  bad("labelWeight", s.labelWeight >= 0);
  bad("textWeight", s.textWeight >= 0);
  bad("idf", ["plain", "smooth", "none"].includes(s.idf));
  bad("k", Number.isFinite(s.k));
  bad("minDepth", s.minDepth >= 0);
  bad("minChapterScenes", Number.isInteger(s.minChapterScenes) && s.minChapterScenes >= 1);
  bad("minChapterMs", s.minChapterMs >= 0);
  bad("minScenesToSplit", Number.isInteger(s.minScenesToSplit) && s.minScenesToSplit >= 2);
}

/**
 * Groups consecutive scenes into chapters where the words change: TextTiling (Hearst 1997) with
 * scenes as its blocks. Each scene is a bag of stemmed content words from its transcript, labels and
 * on-screen text, weighted by idf over the scenes; at each gap between scenes the `window` scenes with
 * words on either side are compared by cosine similarity; a gap's depth is how far the similarity
 * falls from the nearest peak on each side, over the media's mean similarity (sparse and dense
 * speech differ tenfold in similarity); a local minimum is a boundary when its depth passes both
 * mean − k·sd of the depths (Hearst's rule) and `minDepth` (one-topic media has shallow valleys only). Boundaries are taken deepest first, each only
 * if no chapter gets shorter than the minimum length in scenes and in time. Deterministic and pure.
 *
 * Chapters can only start where a scene does: a talk filmed in one long shot is one scene, and stays
 * one chapter however often its topic changes.
 * @example segmentChapters(input.scenes).chapters // [{ sceneIndexes: [0, 1, 2], startMs: 0, endMs: 41000 }, …]
 */
export function segmentChapters(scenes: readonly SummaryScene[], settings: Partial<ChapterSettings> = {}): ChapterSegmentation {
  const s: ChapterSettings = { ...DEFAULT_CHAPTER_SETTINGS, ...settings };
  validate(s);
  const ordered = [...scenes].sort((a, b) => a.startMs - b.startMs || a.index - b.index);
  if (ordered.length === 0) return { chapters: [], gaps: [], cutoff: null, settings: s };
  const bags = weighted(ordered.map((scene) => sceneBag(scene, s)), s);

  const sims: Array<number | null> = [];
  for (let g = 1; g < ordered.length; g++) {
    const left = windowBag(bags, g - 1, -1, s.window);
    const right = windowBag(bags, g, 1, s.window);
    sims.push(left && right ? cosine(left, right) : null);
  }
  // Depth over the gaps that have a similarity; a gap without one is neither a valley nor a wall.
  const defined = sims.flatMap((v, i) => (v === null ? [] : [{ gap: i, v }]));
  // Depths are measured against the media's own mean similarity: sparse speech (a few words a scene)
  // and dense speech differ tenfold in similarity, not in how deep a topic change is relative to it.
  const scale = defined.length ? defined.reduce((a, d) => a + d.v, 0) / defined.length || 1 : 1;
  const depth = new Array<number>(sims.length).fill(0);
  const minimum = new Array<boolean>(sims.length).fill(false);
  defined.forEach(({ gap, v }, j) => {
    let l = j;
    while (l > 0 && defined[l - 1]!.v >= defined[l]!.v) l -= 1;
    let r = j;
    while (r < defined.length - 1 && defined[r + 1]!.v >= defined[r]!.v) r += 1;
    depth[gap] = (defined[l]!.v - v + (defined[r]!.v - v)) / scale;
    minimum[gap] = (j === 0 || defined[j - 1]!.v >= v) && (j === defined.length - 1 || defined[j + 1]!.v >= v);
  });

  let cutoff: number | null = null;
  const starts = new Set<number>([0]);
  if (ordered.length >= s.minScenesToSplit && defined.length > 0) {
    const ds = defined.map(({ gap }) => depth[gap]!);
    const mean = ds.reduce((a, b) => a + b, 0) / ds.length;
    const sd = Math.sqrt(ds.reduce((a, b) => a + (b - mean) ** 2, 0) / ds.length);
    cutoff = Math.max(mean - s.k * sd, s.minDepth);
    const candidates = defined
      .map(({ gap }) => gap)
      .filter((gap) => minimum[gap] && depth[gap]! > cutoff!)
      .sort((a, b) => depth[b]! - depth[a]! || a - b);
    const longEnough = (from: number, to: number) =>
      to - from >= s.minChapterScenes && ordered[to - 1]!.endMs - ordered[from]!.startMs >= s.minChapterMs;
    for (const gap of candidates) {
      const at = gap + 1; // the first scene after the gap
      const sorted = [...starts, ordered.length].sort((a, b) => a - b);
      const next = sorted.find((x) => x > at)!;
      const prev = sorted.filter((x) => x < at).pop()!;
      if (longEnough(prev, at) && longEnough(at, next)) starts.add(at);
    }
  }

  const cuts = [...starts].sort((a, b) => a - b);
  const chapters: ChapterSpan[] = cuts.map((from, i) => {
    const part = ordered.slice(from, cuts[i + 1] ?? ordered.length);
    return { sceneIndexes: part.map((x) => x.index), startMs: part[0]!.startMs, endMs: Math.max(...part.map((x) => x.endMs)) };
  });
  const gaps: ChapterGap[] = sims.map((v, i) => ({
    scene: ordered[i + 1]!.index,
    similarity: v,
    depth: depth[i]!,
    boundary: starts.has(i + 1),
  }));
  return { chapters, gaps, cutoff, settings: s };
}

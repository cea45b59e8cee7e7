import type { SummaryScene } from "./chapter-segmentation.js";
import { pickTopics, rankPhrases, sentences, shorten, SurfaceForms, tokenize, type Phrase, type Token } from "./chapter-words.js";

/*
 * The words of chapters, taken from the media: each chapter's distinctive phrases (its topics and
 * title), its most central sentences (its summary), and the same for the whole media. Nothing here
 * writes a sentence: every title, topic and summary is text the media said or showed.
 */

export interface ChapterTextSettings {
  /** Sentences in a chapter's summary. */
  chapterSentences: number;
  /** Sentences in the whole media's summary (one per chapter, longest chapters first). */
  mediaSentences: number;
  /** A sentence longer than this is cut at a word. */
  maxSentenceChars: number;
  maxTitleChars: number;
  /** Topics per chapter, and over the whole media. */
  chapterTopics: number;
  mediaTopics: number;
}

export const DEFAULT_CHAPTER_TEXT_SETTINGS: ChapterTextSettings = {
  chapterSentences: 2,
  mediaSentences: 4,
  maxSentenceChars: 240,
  maxTitleChars: 60,
  chapterTopics: 5,
  mediaTopics: 8,
};

export interface ChapterText {
  title: string;
  summary: string;
  topics: string[];
}

export interface MediaText {
  summary: string;
  topics: string[];
  chapters: ChapterText[];
}

interface Sentence {
  text: string;
  chapter: number;
  /** Order in the media. */
  order: number;
  tokens: Token[];
}

interface ChapterWords {
  sentences: Sentence[];
  lines: Array<{ text: string; tokens: Token[] }>;
  labels: Map<string, number>;
  /**
   * How widely a stem is spread over the chapter: sentences saying it (1 each), on-screen lines
   * showing it (2 each, as in segmentation), and scenes whose labels name it when it is also said or
   * shown (1 each: what is both said and seen is what the chapter is about).
   */
  tf: Map<string, number>;
  startMs: number;
  durationMs: number;
}

type Vec = Map<string, number>;

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function cos(a: Vec, b: Vec): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [k, v] of a) {
    na += v * v;
    dot += v * (b.get(k) ?? 0);
  }
  for (const v of b.values()) nb += v * v;
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** 75 000 → "1:15", 3 720 000 → "1:02:00". */
function clock(ms: number): string {
  const t = Math.floor(ms / 1000);
  const [h, m, s] = [Math.floor(t / 3600), Math.floor((t % 3600) / 60), t % 60];
  const pad = (n: number) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

function collect(scenes: readonly SummaryScene[], groups: readonly number[][], forms: SurfaceForms): ChapterWords[] {
  const byIndex = new Map(scenes.map((s) => [s.index, s]));
  const seen = new Set<string>();
  let order = 0;
  return groups.map((group, chapter) => {
    const words: ChapterWords = { sentences: [], lines: [], labels: new Map(), tf: new Map(), startMs: Number.POSITIVE_INFINITY, durationMs: 0 };
    const lineSeen = new Set<string>();
    for (const index of group) {
      const scene = byIndex.get(index);
      if (!scene) continue;
      words.startMs = Math.min(words.startMs, scene.startMs);
      words.durationMs += Math.max(0, scene.endMs - scene.startMs);
      for (const t of scene.transcript) {
        // A line spanning a scene cut is in both scenes' transcripts: count it once, where it starts.
        const id = `${t.startMs}|${t.speaker}|${t.text}`;
        if (seen.has(id)) continue;
        seen.add(id);
        for (const text of sentences(t.text)) {
          const tokens = tokenize(text);
          forms.add(tokens);
          words.sentences.push({ text, chapter, order: order++, tokens });
          for (const stemKey of new Set(tokens.filter((tok) => tok.content).map((tok) => tok.stem))) bump(words.tf, stemKey);
        }
      }
      for (const line of scene.text) {
        const text = line.replace(/\s+/g, " ").trim();
        if (!text || lineSeen.has(text.toLowerCase())) continue;
        lineSeen.add(text.toLowerCase());
        const tokens = tokenize(text);
        forms.add(tokens);
        words.lines.push({ text, tokens });
        for (const stemKey of new Set(tokens.filter((tok) => tok.content).map((tok) => tok.stem))) bump(words.tf, stemKey, 2);
      }
      for (const l of new Set(scene.labels)) bump(words.labels, l);
    }
    for (const [label, scenesSeen] of words.labels) {
      for (const t of tokenize(label)) if (t.content && words.tf.has(t.stem)) bump(words.tf, t.stem, scenesSeen);
    }
    return words;
  });
}

/** Sentences by how close their words are to the chapter's as a whole; a short sentence counts for less. */
function central(list: readonly Sentence[], idf: (stem: string) => number): Array<Sentence & { score: number }> {
  const vec = (s: Sentence) => {
    const v: Vec = new Map();
    for (const t of s.tokens) if (t.content) bump(v, t.stem, idf(t.stem));
    return v;
  };
  const vectors = list.map(vec);
  const centroid: Vec = new Map();
  for (const v of vectors) for (const [k, x] of v) bump(centroid, k, x);
  return list.map((s, i) => {
    const n = s.tokens.filter((t) => t.content).length;
    return { ...s, score: cos(vectors[i]!, centroid) * Math.min(1, n / 5) };
  });
}

function labelSummary(labels: Map<string, number>): string {
  const top = [...labels].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 4).map(([l]) => l.toLowerCase());
  if (!top.length) return "Nothing was said or shown here that could be summarised.";
  const list = top.length > 1 ? `${top.slice(0, -1).join(", ")} and ${top[top.length - 1]}` : top[0]!;
  return `No speech or on-screen text; shows ${list}.`;
}

/**
 * Titles, summaries and topics for chapters (`groups`: each chapter's scene indexes) and for the
 * whole media, all taken from the scenes' own transcript, on-screen text and labels.
 */
export function describeChapters(
  scenes: readonly SummaryScene[],
  groups: readonly number[][],
  settings: Partial<ChapterTextSettings> = {},
): MediaText {
  const s: ChapterTextSettings = { ...DEFAULT_CHAPTER_TEXT_SETTINGS, ...settings };
  const forms = new SurfaceForms();
  const chapters = collect(scenes, groups, forms);
  const df = new Map<string, number>();
  for (const c of chapters) for (const k of c.tf.keys()) bump(df, k);
  const idf = (stem: string) => Math.log(1 + chapters.length / (df.get(stem) ?? 1));

  const described = chapters.map((c, i) => {
    const topics = pickTopics(rankPhrases([...c.sentences.map((x) => x.tokens), ...c.lines.map((l) => l.tokens)], c.tf, idf, forms), s.chapterTopics);
    const ranked = central(c.sentences, idf);
    const said = new Set<string>();
    // The same sentence said twice is picked once.
    const best = [...ranked]
      .filter((x) => x.score > 0)
      .sort((a, b) => b.score - a.score || a.order - b.order)
      .filter((x) => {
        const key = x.text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
        return !said.has(key) && said.add(key);
      });
    const picked = best.slice(0, s.chapterSentences).sort((a, b) => a.order - b.order);
    const summary = picked.length
      ? picked.map((x) => shorten(x.text, s.maxSentenceChars)).join(" ")
      : c.lines.length
        ? `On screen: ${c.lines.slice(0, 3).map((l) => `“${shorten(l.text, 80)}”`).join(", ")}.`
        : labelSummary(c.labels);
    const labelTopics = [...c.labels].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([l]) => l.toLowerCase());
    const shownTopics = topics.length ? topics.map((t) => t.shown) : labelTopics.slice(0, s.chapterTopics);
    return { words: c, topics, shownTopics, best, summary, index: i };
  });

  const titles = new Map<string, number>();
  const out: ChapterText[] = described.map((d) => {
    let title = titleOf(d.words, d.topics, idf, s.maxTitleChars) ?? (d.shownTopics.length ? capitalise(d.shownTopics.slice(0, 2).join(" and ")) : `Part at ${clock(d.words.startMs)}`);
    title = shorten(title, s.maxTitleChars);
    const n = (titles.get(title.toLowerCase()) ?? 0) + 1;
    titles.set(title.toLowerCase(), n);
    // Two chapters on one topic (it came back later) get the same words: say which is which.
    if (n > 1) title = `${title} (${n === 2 ? "continued" : `part ${n}`})`;
    return { title, summary: d.summary, topics: d.shownTopics };
  });

  // The media: each chapter's most central sentence, longest chapters first, told in time order.
  let mediaSentences: Sentence[];
  if (described.length === 1) {
    mediaSentences = described[0]!.best.slice(0, Math.max(s.mediaSentences - 1, 1));
  } else {
    mediaSentences = [...described]
      .filter((d) => d.best.length > 0)
      .sort((a, b) => b.words.durationMs - a.words.durationMs || a.index - b.index)
      .slice(0, s.mediaSentences)
      .map((d) => d.best[0]!);
  }
  const summary = mediaSentences.length
    ? [...mediaSentences].sort((a, b) => a.order - b.order).map((x) => shorten(x.text, s.maxSentenceChars)).join(" ")
    : out.map((c) => c.summary).filter(Boolean).join(" ").slice(0, s.maxSentenceChars * s.mediaSentences);

  // Key topics: round-robin over chapters, longest first, so a short chapter still gets its word in.
  const order = [...described].sort((a, b) => b.words.durationMs - a.words.durationMs || a.index - b.index);
  const topics: string[] = [];
  const usedStems = new Set<string>();
  for (let round = 0; round < s.chapterTopics && topics.length < s.mediaTopics; round++) {
    for (const d of order) {
      if (topics.length >= s.mediaTopics) break;
      const p = d.topics[round];
      if (p) {
        if (p.stems.some((x) => usedStems.has(x))) continue;
        p.stems.forEach((x) => usedStems.add(x));
        topics.push(p.shown);
      } else if (!d.topics.length && d.shownTopics[round] && !topics.includes(d.shownTopics[round]!)) {
        topics.push(d.shownTopics[round]!);
      }
    }
  }
  return { summary, topics, chapters: out };
}

/**
 * A chapter's title: a line shown on screen in it when one is about what is said there (a slide or a
 * caption: at least half its words are also spoken in the chapter), else its best one or two phrases.
 */
function titleOf(words: ChapterWords, topics: readonly Phrase[], idf: (stem: string) => number, max: number): string | undefined {
  const spoken = new Set(words.sentences.flatMap((x) => x.tokens.filter((t) => t.content).map((t) => t.stem)));
  let bestLine: { text: string; score: number } | undefined;
  for (const line of words.lines) {
    const stems = [...new Set(line.tokens.filter((t) => t.content).map((t) => t.stem))];
    if (!stems.length || line.text.length > max) continue;
    const backed = stems.filter((x) => spoken.has(x)).length;
    if (backed * 2 < stems.length) continue;
    const score = stems.reduce((a, x) => a + (words.tf.get(x) ?? 0) * idf(x), 0) / stems.length;
    if (!bestLine || score > bestLine.score) bestLine = { text: line.text, score };
  }
  if (bestLine) return capitalise(bestLine.text.replace(/[.:;,\s]+$/, ""));
  if (!topics.length) return undefined;
  // A phrase of several words reads as a title; single words read as a list of what it is about.
  if (topics[0]!.stems.length > 1) return capitalise(topics[0]!.shown);
  const words3 = topics.slice(0, 3).map((t) => t.shown);
  for (let n = words3.length; n > 1; n--) {
    const list = `${words3.slice(0, n - 1).join(", ")} and ${words3[n - 1]}`;
    if (list.length <= max) return capitalise(list);
  }
  return capitalise(words3[0]!);
}

/*
 * Words as the chapter finder counts them: content words only, folded to a light stem so that
 * "bake", "baked" and "baking" meet, with each stem's most common written form kept for display;
 * and the phrases (runs of content words) that chapter titles and topics are made of.
 * English only: another language's speech still splits on the word boundaries, but its function
 * words are not dropped and its endings are not folded.
 */

/** Function words and the fillers of speech: they carry no topic. */
const STOP = new Set(
  (
    "a about above after again against all also am an and any are aren't around as at back be because been before being below " +
    "between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each even ever every " +
    "few first for from further get gets getting go goes going gonna got gotta had hadn't has hasn't have haven't having he he'd " +
    "he'll he's her here here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its " +
    "itself just kind know let let's like little lot lots make makes may maybe me might more most much must my myself need next no " +
    "nor not now of off often oh ok okay on once one only or other ought our ours ourselves out over own pretty quite rather " +
    "really right said same say says see she she'd she'll she's should shouldn't since so some something still such sure take " +
    "than that that's the their theirs them themselves then there there's these they they'd they'll they're they've thing things " +
    "think this those though through to today too two under until up upon us very want wants was wasn't way we we'd we'll we're " +
    "we've well were weren't what what's when when's where where's whether which while who who's whom why why's will with won't " +
    "would wouldn't yeah yes yet you you'd you'll you're you've your yours yourself yourselves um uh hmm mm er erm ah actually " +
    "basically literally anyway alright thanks thank hello hi welcome everyone everybody guys folks stuff bit come comes came look " +
    "looks looking put puts use using used okay three four five many another again always never already enough quite often usually " +
    "lets gonna wanna done does" +
    // General words that fit any topic: a title or topic made of them says nothing.
    " able away best better big end easy easier great good hard important keep kept new old part place point real start " +
    "time times minute minutes hour hours day days week weeks year years whole different example fact case least last long " +
    "small large high low half full less start started goes went makes made give gives find found tell told call called"
  ).split(/\s+/),
);

/** A word of the text, in order, with its stem (the key it is counted under) and its written form. */
export interface Token {
  stem: string;
  /** As written, apostrophes normalised. */
  surface: string;
  /** A content word (not a stop word, not a number, 3+ letters). */
  content: boolean;
  /** First word of its sentence: its capital says nothing about it being a name. */
  initial: boolean;
  /** A sentence end or a comma/colon follows: a phrase may not run across it. */
  breakAfter: boolean;
}

const VOWEL = /[aeiouy]/;

/**
 * A light English stemmer (plural, -ing, -ed, -ly, final e, doubled consonant), deliberately weaker
 * than Porter's: it only has to make a word's forms meet, and over-folding would merge topics.
 * @example stem("baking") === stem("baked") && stem("baked") === stem("bake") // "bak"
 */
export function stem(word: string): string {
  let s = word.toLowerCase().replace(/’/g, "'");
  if (s.endsWith("'s")) s = s.slice(0, -2);
  else if (s.endsWith("'")) s = s.slice(0, -1);
  if (s.length <= 3) return s;
  if (s.endsWith("ies") && s.length > 4) s = `${s.slice(0, -3)}y`;
  else if (/(ch|sh|x|z|ss)es$/.test(s)) s = s.slice(0, -2);
  else if (s.endsWith("s") && !/(ss|us|is)$/.test(s)) s = s.slice(0, -1);
  if (s.length > 5 && s.endsWith("ing") && VOWEL.test(s.slice(0, -3))) s = s.slice(0, -3);
  else if (s.length > 4 && s.endsWith("ed") && !s.endsWith("eed") && VOWEL.test(s.slice(0, -2))) s = s.slice(0, -2);
  else if (s.length > 5 && s.endsWith("ly")) s = s.slice(0, -2);
  if (/([^aeiouls])\1$/.test(s)) s = s.slice(0, -1);
  if (s.length > 3 && s.endsWith("e") && !s.endsWith("ee")) s = s.slice(0, -1);
  if (s.endsWith("i") && s.length > 3) s = `${s.slice(0, -1)}y`;
  return s;
}

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’]*|[.!?;:,]/gu;

/** The words of a text in order, sentence starts and phrase breaks marked. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let initial = true;
  for (const m of text.matchAll(WORD)) {
    const w = m[0];
    if (/^[.!?;:,]$/.test(w)) {
      if (out.length) out[out.length - 1]!.breakAfter = true;
      if (/[.!?]/.test(w)) initial = true;
      continue;
    }
    const surface = w.replace(/’/g, "'").replace(/'s?$/i, "");
    const lower = surface.toLowerCase();
    const content = lower.length >= 3 && !STOP.has(lower) && !STOP.has(w.toLowerCase().replace(/’/g, "'")) && !/\d/.test(lower) && !lower.includes("'");
    out.push({ stem: stem(lower), surface, content, initial, breakAfter: false });
    initial = false;
  }
  return out;
}

/** Stems of the content words of `text`. */
export function contentStems(text: string): string[] {
  return tokenize(text).filter((t) => t.content).map((t) => t.stem);
}

/**
 * Sentences of a transcript line. Speech engines without punctuation (pocketsphinx) give one long
 * line: it stays one sentence, shortened where it is shown.
 */
export function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter((s) => /[\p{L}\p{N}]/u.test(s));
}

/** At most `max` characters, cut at a word boundary with an ellipsis. */
export function shorten(text: string, max: number): string {
  const t = text.replace(/\s+/g, " ").trim();
  if (t.length <= max) return t;
  const head = t.slice(0, max - 1);
  const cut = head.lastIndexOf(" ");
  return `${(cut > max / 2 ? head.slice(0, cut) : head).replace(/[,;:.\s]+$/, "")}…`;
}

/**
 * The form a stem is shown in: its most common written form, lower-cased unless the media writes it
 * capitalised mid-sentence more often than not (a name such as "Lisbon", an acronym such as "GPU").
 */
export class SurfaceForms {
  private readonly counts = new Map<string, Map<string, number>>();

  add(tokens: readonly Token[]): void {
    for (const t of tokens) {
      if (!t.content) continue;
      const forms = this.counts.get(t.stem) ?? new Map<string, number>();
      this.counts.set(t.stem, forms);
      // A capital at a sentence start says nothing, nor does a shouted caption ("SOURDOUGH BASICS");
      // a short all-capitals word is likely an acronym and keeps its form.
      const shouted = t.surface.length > 4 && t.surface === t.surface.toUpperCase();
      const form = t.initial || shouted ? t.surface.toLowerCase() : t.surface;
      forms.set(form, (forms.get(form) ?? 0) + 1);
    }
  }

  of(stemKey: string): string {
    const forms = this.counts.get(stemKey);
    if (!forms) return stemKey;
    const byLower = new Map<string, number>();
    for (const [f, n] of forms) byLower.set(f.toLowerCase(), (byLower.get(f.toLowerCase()) ?? 0) + n);
    const word = [...byLower].sort((a, b) => b[1] - a[1] || a[0].length - b[0].length || a[0].localeCompare(b[0]))[0]![0];
    const total = byLower.get(word)!;
    const cased = [...forms].filter(([f]) => f.toLowerCase() === word && f !== word).sort((a, b) => b[1] - a[1])[0];
    return cased && cased[1] * 2 > total ? cased[0] : word;
  }
}

/** Runs of content words between stop words and punctuation, and their 1–3 word n-grams. */
function phrases(tokens: readonly Token[]): Token[][] {
  const out: Token[][] = [];
  let run: Token[] = [];
  const flush = () => {
    for (let n = 1; n <= 3; n++) for (let i = 0; i + n <= run.length; i++) out.push(run.slice(i, i + n));
    run = [];
  };
  for (const t of tokens) {
    if (t.content) run.push(t);
    else flush();
    if (t.breakAfter) flush();
  }
  flush();
  return out;
}

const keyOf = (p: readonly Token[]) => p.map((t) => t.stem).join(" ");

export interface Phrase {
  key: string;
  stems: string[];
  shown: string;
  score: number;
}

/**
 * Distinctive phrases of a text (`units`: its sentences and lines): a word weighs its spread `tf`
 * times its `idf`; a phrase sums its words' weights times how often the words occur as that phrase
 * (so "proofing basket" beats "basket" only if the two words keep coming together). A phrase of
 * several words must occur at least twice.
 */
export function rankPhrases(units: readonly Token[][], tf: ReadonlyMap<string, number>, idf: (stem: string) => number, forms: SurfaceForms): Phrase[] {
  const counts = new Map<string, { n: number; tokens: Token[] }>();
  for (const tokens of units) {
    for (const p of phrases(tokens)) {
      const key = keyOf(p);
      const c = counts.get(key) ?? { n: 0, tokens: p };
      c.n += 1;
      counts.set(key, c);
    }
  }
  const out: Phrase[] = [];
  for (const [key, { n, tokens }] of counts) {
    const stems = tokens.map((t) => t.stem);
    if (new Set(stems).size < stems.length) continue;
    if (stems.length > 1 && n < 2) continue;
    const maxTf = Math.max(...stems.map((s) => tf.get(s) ?? 0));
    const weight = stems.reduce((a, s) => a + (tf.get(s) ?? 0) * idf(s), 0);
    out.push({ key, stems, shown: stems.map((s) => forms.of(s)).join(" "), score: maxTf ? (weight * n) / maxTf : 0 });
  }
  return out.sort((a, b) => b.score - a.score || b.stems.length - a.stems.length || a.key.localeCompare(b.key));
}

/** The best phrases that share no word with a better one. */
export function pickTopics(ranked: readonly Phrase[], max: number): Phrase[] {
  const used = new Set<string>();
  const out: Phrase[] = [];
  for (const p of ranked) {
    if (out.length >= max) break;
    if (p.score <= 0 || p.stems.some((s) => used.has(s))) continue;
    p.stems.forEach((s) => used.add(s));
    out.push(p);
  }
  return out;
}


import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Result rows and the one table they end up in. Each *.eval.ts file runs in its own process, so a
 * group's rows travel through a JSON file in the run's temp directory (eval/global-setup.ts makes it)
 * to report.eval.ts, which runs last, writes the table, and only then checks the targets.
 */

export interface Target {
  op: ">=" | "<=" | "=";
  value: number;
}

export interface Row {
  /** Engine name and version, from the engine's own info. */
  engine: string;
  metric: string;
  /** A number, or a short text when the metric could not be measured (measuredOn says why). */
  value: number | string;
  measuredOn: string;
  /** e.g. "≥ 0.95"; only the issue's targets carry one. */
  target?: string;
  pass?: boolean;
}

export interface Group {
  name: string;
  rows: Row[];
  /** Plain sentences derived from this group's numbers. */
  weaknesses: string[];
  durationMs: number;
  /** A section of its own after the table, for what one row per metric cannot show. */
  section?: { title: string; lines: string[] };
}

const SYMBOL = { ">=": "≥", "<=": "≤", "=": "=" } as const;

/** A row; with a target, `pass` is decided here (a NaN value never passes). */
export function row(engine: string, metric: string, value: number | string, measuredOn: string, target?: Target): Row {
  const out: Row = { engine, metric, value, measuredOn };
  if (target) {
    out.target = `${SYMBOL[target.op]} ${target.value}`;
    const v = typeof value === "number" ? value : Number.NaN;
    out.pass = target.op === ">=" ? v >= target.value : target.op === "<=" ? v <= target.value : v === target.value;
  }
  return out;
}

export async function saveGroup(dir: string, group: Group): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${group.name}.json`), JSON.stringify(group, null, 1));
}

export async function loadGroups(dir: string): Promise<Group[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".json")).sort();
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), "utf8")) as Group));
}

/** Integers as they are, other numbers to 3 significant decimals (0.953, 12.4, 0.0312). */
export function formatValue(value: number | string): string {
  if (typeof value === "string") return value;
  if (Number.isNaN(value)) return "n/a";
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 0.1 ? value.toFixed(3) : value.toPrecision(3);
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The markdown table (also what is printed: it reads fine as plain text). */
export function markdownTable(rows: readonly Row[]): string {
  const head = ["engine", "metric", "value", "target", "pass", "measured on"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows) {
    const pass = r.pass === undefined ? "" : r.pass ? "yes" : "**NO**";
    lines.push(`| ${[r.engine, r.metric, formatValue(r.value), r.target ?? "", pass, r.measuredOn].map(cell).join(" | ")} |`);
  }
  return lines.join("\n");
}

export interface Machine {
  date: string;
  cores: number;
  cpu: string;
  node: string;
  wallMs: number;
}

const METHODS = [
  "Shot boundaries: precision, recall and F1 of detected shot starts (t = 0 excluded) against the true cuts, a hit within ±0.5 s, " +
    "one-to-one (maximum matching). A gradual transition's true time is its midpoint, so any detection inside a 1 s blend counts.",
  "Labels: per ground-truth photo shot, the union of labels on every frame the pipeline sampled inside it; a hit when the expected " +
    "COCO class is among them. The rocket has no COCO class: it is left out of the hit rate and checked for absurd labels instead.",
  "Word error rate: (substitutions + deletions + insertions) / reference words, each file aligned on its own (case and " +
    "punctuation ignored, the engines' own wordAccuracy), pooled over files by summing edits and words.",
  "Diarization error rate: time-based, NIST style with no forgiveness collar: (missed speech + false alarm + speaker confusion) / " +
    "reference speech, under the one-to-one speaker mapping with the most overlap. Speaker-count accuracy: share of files, silence " +
    "included (0 expected), whose distinct speaker count is exact.",
  "Voice activity: segment F1, a detected segment matches a true utterance when their IoU ≥ 0.5, one-to-one, pooled over files.",
  "Chapters: boundary F1 of detected chapter starts against the true topic changes, a hit within one scene (or the stated seconds on " +
    "generated media), one-to-one; Pk and WindowDiff over scenes. Tuned on one half of the synthetic topics, reported on the other half.",
  "Frames mode vs video jobs: each medium analysed twice by the same local models, once on a dense sampling (every 0.5 s, cuts " +
    "included: the video-job proxy) and once on frames mode's (a keyframe per shot, then every N s); both through core's result builders. " +
    "Distinct-label recall: share of label names in the dense labels document also in the sampled one, pooled over media. (label, 1 s) " +
    "recall: share of (label, second) pairs covered by the dense document's time ranges that the sampled document's ranges also cover. " +
    "Moderation categories: the same over nsfwjs segments from 10 % confidence up.",
  "Cost: real-time factor = processing time / media time, each engine timed alone; labels report the detector's own ms per frame " +
    "(decode included) and its one-time model load.",
];

export function resultsMarkdown(groups: readonly Group[], machine: Machine): string {
  const rows = groups.flatMap((g) => g.rows);
  const targets = rows.filter((r) => r.pass !== undefined);
  const missed = targets.filter((r) => !r.pass);
  const weaknesses = groups.flatMap((g) => g.weaknesses);
  return [
    "# Accuracy evaluation",
    "",
    "Generated by `npm run eval` (`vitest run --config vitest.eval.config.ts`); do not edit by hand.",
    "",
    `- date: ${machine.date}`,
    `- machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}`,
    `- eval wall time: ${(machine.wallMs / 1000).toFixed(0)} s (${groups.map((g) => `${g.name} ${(g.durationMs / 1000).toFixed(0)} s`).join(", ")})`,
    `- targets: ${targets.length - missed.length} of ${targets.length} met${missed.length ? ` — missed: ${missed.map((r) => `${r.metric} (${r.measuredOn})`).join("; ")}` : ""}`,
    "",
    "Media are generated with known ground truth (ffmpeg lavfi patterns, the python3-skimage photographs, espeak-ng voices); see eval/fixtures.ts. " +
      "Synthetic speech and slow-zoom stills are easier than real footage, so treat these numbers as upper bounds. " +
      "The speech files are re-synthesised every run (sox with -R, so byte for byte the same audio each time).",
    "",
    markdownTable(rows),
    "",
    ...groups.flatMap((g) => (g.section ? [`## ${g.section.title}`, "", ...g.section.lines, ""] : [])),
    "## How the numbers are computed (eval/metrics.ts)",
    "",
    ...METHODS.map((m) => `- ${m}`),
    "",
    "## Weaknesses, said plainly",
    "",
    ...(weaknesses.length ? weaknesses.map((w) => `- ${w}`) : ["- None showed up in these measurements (which does not mean there are none)."]),
    "",
  ].join("\n");
}

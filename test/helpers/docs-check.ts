import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/*
 * Checks that keep the README and docs/ true to the repository: no issue numbers, no broken relative
 * links or anchors, no accuracy figure that is not in the file the eval writes, no quoted repository
 * path that does not exist. Each check takes text and returns the problems it found (an empty list when
 * there is none), so the tests can show it failing on a bad sample as well as passing on the real docs.
 */

export interface Doc {
  /** Repository-relative path, with forward slashes. */
  file: string;
  text: string;
}

/** README.md and every Markdown file under docs/. */
export function readDocs(root: string): Doc[] {
  const files = ["README.md"];
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(root, dir)).sort()) {
      const rel = `${dir}/${name}`;
      if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
      else if (name.endsWith(".md")) files.push(rel);
    }
  };
  if (existsSync(path.join(root, "docs"))) walk("docs");
  return files.map((file) => ({ file, text: readFileSync(path.join(root, file), "utf8") }));
}

/** The text with fenced code blocks blanked out (line count kept), since links and headings there are code. */
export function withoutFences(text: string): string {
  let inFence = false;
  return text
    .split("\n")
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return "";
      }
      return inFence ? "" : line;
    })
    .join("\n");
}

const withoutInlineCode = (line: string) => line.replace(/`[^`]*`/g, "");

/** Mentions of an issue number ("issue 7", "Issue #12"): product docs describe the product, not its tracker. */
export function issueMentions(doc: Doc): string[] {
  return doc.text.split("\n").flatMap((line, i) => [...line.matchAll(/issues?\s*#?\d+/gi)].map((m) => `${doc.file}:${i + 1}: "${m[0]}"`));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen. */
export function slug(heading: string): string {
  return heading
    .replace(/`([^`]*)`/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_]{1,3}([^*_]+)[*_]{1,3}/g, "$1")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor the headings of a Markdown text define (a repeated heading gets -1, -2, …). */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of withoutFences(text).split("\n")) {
    const m = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative links (`[text](target)`) whose file is missing, or whose `#anchor` is no heading of that file. */
export function brokenLinks(doc: Doc, root: string, read: (file: string) => string | undefined): string[] {
  const problems: string[] = [];
  withoutFences(doc.text)
    .split("\n")
    .forEach((raw, i) => {
      for (const m of withoutInlineCode(raw).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
        const [file, anchor] = target.split("#") as [string, string | undefined];
        const rel = file === "" ? doc.file : path.posix.normalize(path.posix.join(path.posix.dirname(doc.file), file));
        const where = `${doc.file}:${i + 1}: (${target})`;
        if (file !== "" && (rel.startsWith("../") || !existsSync(path.join(root, rel)))) {
          problems.push(`${where} → ${rel} does not exist`);
          continue;
        }
        if (anchor === undefined || !rel.endsWith(".md")) continue;
        const text = file === "" ? doc.text : read(rel);
        if (text !== undefined && !anchors(text).has(anchor)) problems.push(`${where} → ${rel} has no heading #${anchor}`);
      }
    });
  return problems;
}

/** Every number in a text, as a value (so "1.00" and "1" are the same figure). */
export function numbersIn(text: string): Set<number> {
  return new Set([...text.matchAll(/(?<![\d.])\d+(?:\.\d+)?(?![\d])/g)].map((m) => Number(m[0])));
}

const METRIC = /\b(?:recall|precision|F1|diarization error rate)\b/i;
const DER = /\bDER\b/;
const isMetric = (s: string) => METRIC.test(s) || DER.test(s);
/** Decimals such as 0.917 or 1.00, but not a version such as 5.1.9. */
const decimals = (s: string) => [...s.matchAll(/(?<![\d.])\d+\.\d+(?![\d.])/g)].map((m) => m[0]);
/** A cell that is a bare figure, perhaps bold and followed by a remark in brackets: "1", "**0**", "1 (target ≥ 0.95)". */
const bareFigure = (cell: string) => /^\**(\d+(?:\.\d+)?)\**(?:\s*\(.*\))?$/.exec(cell.trim())?.[1];
const cells = (row: string) => row.trim().replace(/^\|/, "").replace(/\|$/, "").split("|");
const figuresIn = (cell: string) => [...new Set([...decimals(cell), ...[bareFigure(cell)].filter((f): f is string => f !== undefined)])];

/**
 * The figures written next to "recall", "precision", "F1" or "DER": in a table, every figure in a column
 * whose header names the metric and every figure in a row that names it; in prose, the figures in the
 * 40 characters that follow the metric's name.
 */
export function metricFigures(doc: Doc): { where: string; figure: string }[] {
  const found: { where: string; figure: string }[] = [];
  const lines = withoutFences(doc.text).split("\n");
  let header: string[] | undefined;
  let paragraph: { start: number; text: string } | undefined;
  const flush = () => {
    if (!paragraph) return;
    const text = withoutInlineCode(paragraph.text);
    for (const re of [new RegExp(METRIC.source, "gi"), new RegExp(DER.source, "g")]) {
      for (const m of text.matchAll(re)) {
        const after = text.slice(m.index + m[0].length, m.index + m[0].length + 40);
        for (const figure of decimals(after)) found.push({ where: `${doc.file}:${paragraph.start} (${m[0]} …${after.trim()})`, figure });
      }
    }
    paragraph = undefined;
  };
  lines.forEach((line, i) => {
    const at = `${doc.file}:${i + 1}`;
    if (!line.trim().startsWith("|")) {
      header = undefined;
      if (line.trim() === "" || line.startsWith("#")) flush();
      else paragraph = paragraph ? { ...paragraph, text: `${paragraph.text} ${line}` } : { start: i + 1, text: line };
      return;
    }
    flush();
    const row = cells(withoutInlineCode(line));
    if (!header) {
      header = row;
      return;
    }
    if (row.every((c) => /^\s*:?-+:?\s*$/.test(c))) return;
    const rowNamesMetric = row.some(isMetric);
    row.forEach((cell, col) => {
      if (rowNamesMetric || isMetric(header?.[col] ?? "")) for (const figure of figuresIn(cell)) found.push({ where: `${at} (${cell.trim()})`, figure });
    });
  });
  flush();
  return found;
}

/** Figures next to a metric's name that the eval's results do not hold: retyped, and drifted. */
export function driftedFigures(doc: Doc, evalResults: string): string[] {
  const known = numbersIn(evalResults);
  return metricFigures(doc)
    .filter(({ figure }) => !known.has(Number(figure)))
    .map(({ where, figure }) => `${where}: ${figure} is not in eval/RESULTS.md`);
}

const REPO_DIRS = ["packages", "stacks", "test", "eval", "scripts", "examples", "schemas", "samples", "docs", "bench"];

/** Repository paths quoted in inline code (`packages/core/src/…`) that do not exist. */
export function missingPaths(doc: Doc, root: string): string[] {
  const problems: string[] = [];
  withoutFences(doc.text)
    .split("\n")
    .forEach((line, i) => {
      for (const m of line.matchAll(/`([^`\s]+)`/g)) {
        const quoted = m[1].replace(/[:#].*$/, "");
        if (!REPO_DIRS.includes(quoted.split("/")[0]) || !quoted.includes("/") || /[<>*{}…]/.test(quoted)) continue;
        if (!existsSync(path.join(root, quoted))) problems.push(`${doc.file}:${i + 1}: \`${m[1]}\` does not exist`);
      }
    });
  return problems;
}

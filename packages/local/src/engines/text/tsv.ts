/**
 * Tesseract's TSV output (`tesseract list.txt stdout tsv`): one row per page, block, paragraph, line
 * and word, with the word's box in pixels and its confidence (0–100; -1 on the rows that are not
 * words). Given a list of images, `page_num` counts them from 1, so one process reads a whole batch.
 */

/** A word as Tesseract read it, in the pixels of the image it read. */
export interface TsvWord {
  text: string;
  confidence: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A line: its words left to right (Tesseract's block/paragraph/line numbering). */
export interface TsvLine {
  words: TsvWord[];
}

/** The lines of each page (image) of the list, by 0-based image index; pages without words are absent. */
export function parseTesseractTsv(tsv: string): Map<number, TsvLine[]> {
  const pages = new Map<number, Map<string, TsvLine>>();
  for (const row of tsv.split("\n")) {
    const cells = row.replace(/\r$/, "").split("\t");
    if (cells.length < 12 || cells[0] !== "5") continue;
    const text = cells.slice(11).join("\t").trim();
    const confidence = Number(cells[10]);
    if (!text || !(confidence >= 0)) continue;
    const page = Number(cells[1]) - 1;
    let lines = pages.get(page);
    if (!lines) pages.set(page, (lines = new Map()));
    const key = `${cells[2]}/${cells[3]}/${cells[4]}`;
    let line = lines.get(key);
    if (!line) lines.set(key, (line = { words: [] }));
    line.words.push({ text, confidence: Math.min(100, confidence), left: Number(cells[6]), top: Number(cells[7]), width: Number(cells[8]), height: Number(cells[9]) });
  }
  const out = new Map<number, TsvLine[]>();
  for (const [page, lines] of pages) out.set(page, [...lines.values()].map((l) => ({ words: l.words.sort((a, b) => a.left - b.left) })));
  return out;
}

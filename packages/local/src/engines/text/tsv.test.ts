import { describe, expect, it } from "vitest";
import { parseTesseractTsv } from "./tsv.js";

// As `tesseract list.txt stdout --psm 11 tsv` prints two images (5.3.0): page, block, paragraph and line rows
// carry conf -1; only level-5 rows are words.
const TSV = [
  "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
  "1\t1\t0\t0\t0\t0\t0\t0\t1280\t720\t-1\t",
  "2\t1\t1\t0\t0\t0\t120\t400\t300\t40\t-1\t",
  "4\t1\t1\t1\t1\t0\t120\t400\t300\t40\t-1\t",
  "5\t1\t1\t1\t1\t2\t260\t402\t160\t38\t95.5\tnews",
  "5\t1\t1\t1\t1\t1\t120\t400\t120\t40\t96.1\tBreaking",
  "5\t1\t2\t1\t1\t1\t900\t100\t30\t30\t12.0\t ",
  "5\t1\t3\t1\t1\t1\t900\t600\t60\t20\t41.0\tee",
  "1\t2\t0\t0\t0\t0\t0\t0\t640\t80\t-1\t",
  "5\t2\t1\t1\t1\t1\t10\t10\t90\t50\t88.25\tSale",
  "",
].join("\n");

describe("parseTesseractTsv", () => {
  it("groups the words of each listed image into its lines, left to right, skipping empty words", () => {
    const pages = parseTesseractTsv(TSV);
    expect([...pages.keys()]).toEqual([0, 1]);
    expect(pages.get(0)).toEqual([
      {
        words: [
          { text: "Breaking", confidence: 96.1, left: 120, top: 400, width: 120, height: 40 },
          { text: "news", confidence: 95.5, left: 260, top: 402, width: 160, height: 38 },
        ],
      },
      { words: [{ text: "ee", confidence: 41, left: 900, top: 600, width: 60, height: 20 }] },
    ]);
    expect(pages.get(1)?.[0].words[0]).toMatchObject({ text: "Sale", confidence: 88.25 });
  });

  it("reads Windows line ends and an empty output", () => {
    expect(parseTesseractTsv(TSV.replace(/\n/g, "\r\n")).get(1)?.[0].words[0].text).toBe("Sale");
    expect(parseTesseractTsv("").size).toBe(0);
  });
});

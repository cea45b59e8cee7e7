import { existsSync } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { parseSync } from "subtitle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import webvtt from "webvtt-parser";
import entities from "webvtt-parser/html-entities.json";
import { buildCaptionCues, toSrt, toWebVtt, type CaptionCue, type TranscriptDocument } from "@media-pipeline/core";
import { tempDir } from "./helpers/flow.js";
import { makeCutVideo } from "./helpers/media.js";

/*
 * The caption files core writes, read by what reads them: the W3C validator's WebVTT parser and an
 * SRT parser over generated transcripts (core's own tests import nothing but zod and vitest), then a
 * real browser: Chromium loads the WebVTT as the <track> of a video served on loopback and must see
 * the same cues, times, voices and text that core built.
 */

const CHROMIUM = "/usr/bin/chromium";

/** Two speakers; the text carries what WebVTT must escape (&, <, >) and a "-->" that must not end the timing line. */
const TRANSCRIPT: TranscriptDocument = {
  language: "en-US",
  hasWords: true,
  notes: [],
  speakers: [
    { id: "spk_0", label: "Speaker 1", speechMs: 3000 },
    { id: "spk_1", label: "Q&A host", speechMs: 2000 },
  ],
  segments: [
    segment("spk_0", 200, "Welcome back. Tonight we look at fish & chips, <really> the best --> and nothing else, for the whole evening."),
    segment("spk_1", 6300, "Really? Go on."),
    segment("spk_0", 8000, "Yes."),
  ],
  speech: [],
  speakerLabels: { speakers: 2, segments: [] },
  engine: { name: "test", version: "0" },
  engines: [],
};

/** Words 60 ms a character, back to back, from `startMs`. */
function segment(speaker: string, startMs: number, text: string): TranscriptDocument["segments"][number] {
  let at = startMs;
  const words = text.split(" ").map((word) => {
    const w = { text: word, startMs: at, endMs: at + word.length * 60, confidence: 95, speaker };
    at = w.endMs;
    return w;
  });
  return { speaker, startMs, endMs: at, text, words };
}

/** Transcripts of the shapes captions must survive, made from a seeded generator so every run sees the same ones. */
function generated(): Record<string, TranscriptDocument> {
  let seed = 11;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const vocabulary = "so the budget for next year should grow slowly because revenue was flat in spring but recovered over summer".split(" ");
  const words = (count: number, punctuate: boolean) =>
    Array.from({ length: count }, () => {
      const word = vocabulary[Math.floor(rand() * vocabulary.length)];
      const r = rand();
      return punctuate && r < 0.1 ? `${word}.` : punctuate && r < 0.16 ? `${word},` : word;
    });
  /** A turn: its speaker, its words, and the gap before each word; every word takes 60 ms a letter. */
  type Turn = [speaker: string, words: string[], gap: () => number];
  const transcript = (turns: Turn[], withWords = true): TranscriptDocument => {
    let at = 0;
    const segments = turns.map(([speaker, texts, gap]) => {
      const timed = texts.map((text) => {
        at += gap();
        const w = { text, startMs: at, endMs: at + Math.max(80, text.length * 60), confidence: 90, speaker };
        at = w.endMs;
        return w;
      });
      return { speaker, startMs: timed[0].startMs, endMs: at, text: texts.join(" "), ...(withWords ? { words: timed } : {}) };
    });
    const ids = [...new Set(turns.map(([speaker]) => speaker))];
    return { ...TRANSCRIPT, speakers: ids.map((id, i) => ({ id, label: `Speaker ${i + 1}`, speechMs: 1000 })), segments };
  };
  const none = () => 0;
  const LONG = "Donaudampfschifffahrtsgesellschaftskapitän".slice(0, 40);
  return {
    "a long monologue with no pauses": transcript([["spk_0", words(600, false), none]]),
    "rapid speaker changes": transcript(Array.from({ length: 60 }, (_, i): Turn => [`spk_${i % 3}`, words(1 + Math.floor(rand() * 3), true), () => Math.floor(rand() * 150)])),
    "words with long pauses": transcript([["spk_0", words(150, true), () => [0, 100, 400, 900, 2000, 8000][Math.floor(rand() * 6)]]]),
    "a 40-character word": transcript([["spk_0", ["so", "the", "captain", "of", "the", LONG, "said", "hello", "to", "everyone."], none]]),
    "segments without words": transcript(Array.from({ length: 10 }, (_, i): Turn => [`spk_${i % 2}`, words(5 + Math.floor(rand() * 30), true), () => 300]), false),
    "escapes and odd speakers": {
      ...transcript([["spk_0", "fish & chips <b>bold</b> --> a > b".split(" "), none], ["spk_1", ["fine."], () => 500]]),
      speakers: [
        { id: "spk_0", label: "Q&A host", speechMs: 1 },
        { id: "spk_1", label: "Guest <1>", speechMs: 1 },
      ],
    },
  };
}

/** webvtt-parser is the W3C validator's parser: it reports every deviation from the WebVTT syntax. It decodes the full HTML entity set only when given it. */
const parseVtt = (vtt: string) => new webvtt.WebVTTParser(entities as Record<`&${string}`, string>).parse(vtt, "captions");

describe("caption files as parsers read them", () => {
  for (const [name, transcript] of Object.entries(generated())) {
    it(`${name}: the WebVTT validates with no error and the SRT parses, cue for cue`, () => {
      const cues = buildCaptionCues(transcript);
      expect(cues.length).toBeGreaterThan(0);

      const vtt = parseVtt(toWebVtt(cues));
      expect(vtt.errors).toEqual([]);
      // The validator keeps a voice's annotation as written (character references undecoded): compare it so.
      const annotation = (speaker: string) => speaker.replace(/&/g, "&amp;").replace(/>/g, "&gt;");
      expect(vtt.cues.map((c) => ({ id: c.id, startMs: Math.round(c.startTime * 1000), endMs: Math.round(c.endTime * 1000), tree: c.tree.children }))).toEqual(
        cues.map((cue, i) => ({
          id: String(i + 1),
          startMs: cue.startMs,
          endMs: cue.endMs,
          tree: [{ type: "object", name: "v", classes: [], value: annotation(cue.speaker!), children: [{ type: "text", value: cue.lines.join("\n") }] }],
        })),
      );

      const srt = parseSync(toSrt(cues));
      expect(srt.map((node) => node.type)).toEqual(cues.map(() => "cue"));
      expect(srt.map((node) => node.data)).toEqual(
        cues.map((cue, i) => ({ start: cue.startMs, end: cue.endMs, text: (cue.speaker !== cues[i - 1]?.speaker ? `${cue.speaker}: ` : "") + cue.lines.join("\n") })),
      );
    });
  }
});

/** What the page reads off each TextTrackCue (test/ compiles without the DOM lib, so the page's side is typed here). */
interface SeenCue {
  id: string;
  startMs: number;
  endMs: number;
  text: string;
  voice: string | null;
  shown: string;
}

describe("captions in Chromium", () => {
  let dir: string;
  let server: Server;
  let origin: string;
  let browser: Browser;
  let cues: CaptionCue[];
  let vtt: string;

  beforeAll(async () => {
    // A missing browser is a broken machine, not a reason to pass: .ci/run installs Debian chromium.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
    dir = await tempDir("captions-chromium");
    const video = await makeCutVideo(dir, { segments: [5, 5], audio: "sine" });
    cues = buildCaptionCues(TRANSCRIPT, { mediaDurationMs: video.durationMs });
    vtt = toWebVtt(cues);
    const files: Record<string, { type: string; body: () => Promise<Buffer | string> }> = {
      "/": { type: "text/html; charset=utf-8", body: async () => '<!doctype html><link rel="icon" href="data:,"><video id="player" src="/video.mp4" preload="auto" muted><track kind="captions" src="/captions.vtt" srclang="en" label="English" default></video>' },
      "/video.mp4": { type: "video/mp4", body: () => readFile(video.path) },
      "/captions.vtt": { type: "text/vtt; charset=utf-8", body: async () => vtt },
    };
    server = createServer((req, res) => {
      const file = files[new URL(req.url ?? "/", "http://x").pathname];
      if (!file) return void res.writeHead(404).end();
      file.body().then(
        (body) => {
          const bytes = Buffer.from(body);
          // The browser seeks a video only where the server answers byte ranges.
          const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
          if (!range) return void res.writeHead(200, { "content-type": file.type, "content-length": bytes.length, "accept-ranges": "bytes" }).end(bytes);
          const start = range[1] ? Number(range[1]) : bytes.length - Number(range[2]);
          const end = range[1] && range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
          const headers = { "content-type": file.type, "content-length": end - start + 1, "content-range": `bytes ${start}-${end}/${bytes.length}`, "accept-ranges": "bytes" };
          res.writeHead(206, headers).end(bytes.subarray(start, end + 1));
        },
        (error) => res.writeHead(500).end(String(error)),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await stat(video.path)).size).toBeGreaterThan(0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loads the WebVTT track with every cue, time, voice and text that core built", async () => {
    expect(cues.length).toBeGreaterThanOrEqual(4);
    expect(new Set(cues.map((c) => c.speaker))).toEqual(new Set(["Speaker 1", "Q&A host"]));
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(`${origin}/`);

    const seen = await page.locator("#player").evaluate(async (el): Promise<SeenCue[]> => {
      type Cue = { id: string; startTime: number; endTime: number; text: string; getCueAsHTML(): { querySelector(s: string): { title: string } | null; textContent: string } };
      type Track = { readyState: number; track: { cues: ArrayLike<Cue> | null }; addEventListener(type: string, listener: () => void): void };
      const track = (el as unknown as { querySelector(s: string): Track }).querySelector("track");
      // HTMLTrackElement.LOADED is 2, ERROR 3: wait for either.
      if (track.readyState < 2) await new Promise<void>((resolve) => {
        track.addEventListener("load", resolve);
        track.addEventListener("error", resolve);
      });
      if (track.readyState !== 2) throw new Error(`track did not load: readyState ${track.readyState}`);
      return Array.from(track.track.cues ?? []).map((cue) => {
        const html = cue.getCueAsHTML();
        return {
          id: cue.id,
          startMs: Math.round(cue.startTime * 1000),
          endMs: Math.round(cue.endTime * 1000),
          text: cue.text,
          voice: html.querySelector("span[title]")?.title ?? null,
          shown: html.textContent,
        };
      });
    });

    expect(seen).toHaveLength(cues.length);
    const escaped = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    expect(seen).toEqual(
      cues.map((cue, i) => ({
        id: String(i + 1),
        startMs: cue.startMs,
        endMs: cue.endMs,
        text: `<v ${cue.speaker!.replace(/&/g, "&amp;")}>${cue.lines.map(escaped).join("\n")}`,
        voice: cue.speaker,
        shown: cue.lines.join("\n"),
      })),
    );
    // The text that needed escaping came through as written.
    expect(seen.map((c) => c.shown.replace(/\n/g, " ")).join(" ")).toContain("fish & chips, <really> the best -->");

    // Played at a cue's middle, the browser shows that cue and only it.
    const middle = cues[1];
    const active = await page.locator("#player").evaluate(async (el, at): Promise<string[]> => {
      type Video = { currentTime: number; textTracks: ArrayLike<{ activeCues: ArrayLike<{ id: string }> | null }>; addEventListener(type: string, listener: () => void, options?: { once: boolean }): void };
      const video = el as unknown as Video;
      await new Promise<void>((resolve) => {
        video.addEventListener("seeked", () => resolve(), { once: true });
        video.currentTime = at;
      });
      // Active cues are updated by the "time marches on" steps just after the seek settles.
      await new Promise((resolve) => setTimeout(resolve, 250));
      return Array.from(video.textTracks[0].activeCues ?? []).map((c) => c.id);
    }, (middle.startMs + middle.endMs) / 2000);
    expect(active).toEqual(["2"]);

    expect(errors).toEqual([]);
    expect(requests.every((url) => url.startsWith(`${origin}/`))).toBe(true);
    await page.close();
  });
});

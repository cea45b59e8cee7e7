import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  CHAPTER_JSON_SCHEMA, CHAPTER_SYSTEM_PROMPT, MEDIA_JSON_SCHEMA, MediaSummaryDocument, summarizeMediaExtractively, type MediaSummarizer,
  type MediaSummaryInput,
} from "@media-pipeline/core";
import { ConfigError } from "../../runtime/config.js";
import { createLlmMediaSummarizer } from "./media-llm.js";

interface Recorded {
  url: string;
  headers: IncomingHttpHeaders;
  body: {
    model: string;
    temperature: number;
    messages: Array<{ role: string; content: string }>;
    response_format: { type: string; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } };
  };
}

type Reply = { content: string } | { status: number; body: string } | "hang";

/** A tiny OpenAI-compatible server on 127.0.0.1 answering in the documented Chat Completions shape. */
async function fakeServer(reply: (req: Recorded, n: number) => Reply) {
  const requests: Recorded[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const rec: Recorded = { url: req.url!, headers: req.headers, body: JSON.parse(raw) };
      requests.push(rec);
      const r = reply(rec, requests.length);
      if (r === "hang") return void hanging.push(res);
      if ("status" in r) return void res.writeHead(r.status, { "content-type": "application/json" }).end(r.body);
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`, object: "chat.completion", created: 1_700_000_000, model: `${rec.body.model}:8b-q4`,
          choices: [{ index: 0, message: { role: "assistant", content: r.content }, finish_reason: "stop" }],
          usage: { prompt_tokens: 200, completion_tokens: 40, total_tokens: 240 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  closers.push(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { requests, base: `http://127.0.0.1:${port}/v1` };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const line = (text: string, startMs: number) => ({ speaker: "spk_0", text, startMs, endMs: startMs + 3000 });
const INPUT: MediaSummaryInput = {
  durationMs: 40_000,
  scenes: [
    { index: 0, startMs: 0, endMs: 10_000, summary: "", transcript: [line("Lava comes out of the volcano.", 0)], labels: ["Mountain"], text: [] },
    { index: 1, startMs: 10_000, endMs: 20_000, summary: "", transcript: [line("The ash cloud grounds planes.", 10_000)], labels: [], text: ["Volcanoes"] },
    { index: 2, startMs: 20_000, endMs: 30_000, summary: "", transcript: [line("The moon pulls the tides.", 20_000)], labels: ["Sea"], text: [] },
    { index: 3, startMs: 30_000, endMs: 40_000, summary: "", transcript: [], labels: [], text: [] },
  ],
};

/** The extractive stand-in: three fixed chapters, the last one silent. */
const EXTRACTIVE: MediaSummaryDocument = {
  summary: "Lava comes out of the volcano. The moon pulls the tides.",
  topics: ["volcano", "tides"],
  chapters: [
    { index: 0, startMs: 0, endMs: 20_000, title: "Volcano and lava", summary: "Lava comes out of the volcano.", sceneIndexes: [0, 1], topics: ["volcano", "lava"] },
    { index: 1, startMs: 20_000, endMs: 30_000, title: "Moon and tides", summary: "The moon pulls the tides.", sceneIndexes: [2], topics: ["moon", "tides"] },
    { index: 2, startMs: 30_000, endMs: 40_000, title: "Part at 0:30", summary: "Nothing was said or shown here that could be summarised.", sceneIndexes: [3], topics: [] },
  ],
  method: "extractive",
  engine: { name: "extractive-chapters", version: "1.0.0" },
};
const extractive: MediaSummarizer = { summarize: async () => structuredClone(EXTRACTIVE) };

const userOf = (req: Recorded) => JSON.parse(req.body.messages.find((m) => m.role === "user")!.content) as Record<string, unknown>;
const isMedia = (req: Recorded) => req.body.response_format.json_schema.name === "media_summary";
const good = (req: Recorded): Reply =>
  isMedia(req)
    ? { content: JSON.stringify({ summary: "A talk about volcanoes and tides.", topics: ["volcanoes", "tides"] }) }
    : { content: JSON.stringify({ title: `Model title ${userOf(req).chapter}`, summary: `Model summary ${userOf(req).chapter}.` }) };

describe("LLM media summarizer (OpenAI-compatible)", () => {
  it("asks the model for each chapter's title and summary, then the whole media's, keeping the extractive chapters", async () => {
    const srv = await fakeServer(good);
    const doc = MediaSummaryDocument.parse(
      await createLlmMediaSummarizer({ endpoint: srv.base, model: "llama3.1", apiKey: "sk-secret-key-1", extractive }).summarize(INPUT),
    );
    expect(doc.method).toBe("llm");
    expect(doc.chapters.map((c) => [c.title, c.summary, c.sceneIndexes, c.startMs])).toEqual([
      ["Model title 0", "Model summary 0.", [0, 1], 0],
      ["Model title 1", "Model summary 1.", [2], 20_000],
      ["Part at 0:30", EXTRACTIVE.chapters[2]!.summary, [3], 30_000],
    ]);
    expect(doc).toMatchObject({ summary: "A talk about volcanoes and tides.", topics: ["volcanoes", "tides"] });
    expect(doc.engine).toMatchObject({
      name: "openai-compatible", version: "llama3.1:8b-q4",
      settings: { endpoint: srv.base, model: "llama3.1", fallbacks: 2, chapters: "extractive-chapters 1.0.0", usage: { calls: 3, promptTokens: 600, completionTokens: 120 } },
    });
    expect(doc.engine.note).toBe("2 of 8 parts kept the extractive text (taken from the media, not written by a model) — chapter 2 title, chapter 2 summary: nothing said or shown to summarise.");

    // Two chapter calls (the silent chapter is not worth one), then the media call with the model's chapters.
    expect(srv.requests).toHaveLength(3);
    const [first, , last] = srv.requests;
    expect(first!.url).toBe("/v1/chat/completions");
    expect(first!.headers.authorization).toBe("Bearer sk-secret-key-1");
    expect(first!.body).toMatchObject({
      model: "llama3.1", temperature: 0,
      messages: [{ role: "system", content: CHAPTER_SYSTEM_PROMPT }, { role: "user" }],
      response_format: { type: "json_schema", json_schema: { name: "chapter_summary", strict: true, schema: CHAPTER_JSON_SCHEMA } },
    });
    expect(userOf(first!)).toEqual({
      chapter: 0, startSeconds: 0, endSeconds: 20,
      transcript: [{ speaker: "spk_0", text: "Lava comes out of the volcano." }, { speaker: "spk_0", text: "The ash cloud grounds planes." }],
      labels: [{ name: "Mountain" }], onScreenText: ["Volcanoes"],
    });
    expect(last!.body.response_format.json_schema).toMatchObject({ name: "media_summary", schema: MEDIA_JSON_SCHEMA });
    expect(userOf(last!)).toMatchObject({ durationSeconds: 40, chapters: [{ title: "Model title 0", summary: "Model summary 0." }, { title: "Model title 1" }, { title: "Part at 0:30" }] });
  });

  it("asks again once when an answer is not JSON, then keeps that chapter's extractive text and says why", async () => {
    const srv = await fakeServer((req) => (!isMedia(req) && userOf(req).chapter === 1 ? { content: "Sure! Here is a summary: the tides." } : good(req)));
    const doc = await createLlmMediaSummarizer({ endpoint: srv.base, model: "m", extractive, retryDelayMs: 0 }).summarize(INPUT);
    expect(doc.method).toBe("llm");
    expect(doc.chapters[1]).toMatchObject({ title: "Moon and tides", summary: "The moon pulls the tides." });
    expect(doc.chapters[0]!.title).toBe("Model title 0");
    expect(srv.requests.filter((r) => !isMedia(r) && userOf(r).chapter === 1)).toHaveLength(2);
    expect(doc.engine.note).toContain("chapter 1 title, chapter 1 summary: model content is not valid JSON (after 1 retry)");
  });

  it("keeps the fields a model got right: a good summary with a missing title, and a summary with topics that are not a list", async () => {
    const srv = await fakeServer((req) =>
      isMedia(req)
        ? { content: "```json\n{\"summary\": \"Volcanoes, then tides.\", \"topics\": \"volcanoes, tides\"}\n```" }
        : { content: JSON.stringify({ summary: `Only a summary ${userOf(req).chapter}.` }) },
    );
    const doc = await createLlmMediaSummarizer({ endpoint: srv.base, model: "m", extractive, retryDelayMs: 0 }).summarize(INPUT);
    expect(doc.chapters.slice(0, 2).map((c) => [c.title, c.summary])).toEqual([
      ["Volcano and lava", "Only a summary 0."],
      ["Moon and tides", "Only a summary 1."],
    ]);
    expect(doc.summary).toBe("Volcanoes, then tides.");
    expect(doc.topics).toEqual(EXTRACTIVE.topics);
    expect(doc.engine.note).toMatch(/chapter 0 title, chapter 1 title: title is missing/);
    expect(doc.engine.note).toMatch(/media topics: topics is not a list/);
    // Each part was asked twice (a missing field may come right the second time), the media part too.
    expect(srv.requests).toHaveLength(6);
  });

  it("stops after a 401: every part keeps the extractive text, the method says so, and the key appears nowhere", async () => {
    const srv = await fakeServer(() => ({ status: 401, body: JSON.stringify({ error: { message: "bad key sk-secret-key-1" } }) }));
    const doc = await createLlmMediaSummarizer({ endpoint: srv.base, model: "m", apiKey: "sk-secret-key-1", extractive }).summarize(INPUT);
    expect(srv.requests).toHaveLength(1);
    expect(doc.method).toBe("extractive");
    expect({ ...doc, engine: undefined }).toEqual({ ...EXTRACTIVE, engine: undefined });
    expect(doc.engine.note).toMatch(/^8 of 8 parts kept the extractive text/);
    expect(doc.engine.note).toContain("HTTP 401");
    expect(JSON.stringify(doc)).not.toContain("sk-secret-key-1");
  });

  it("falls back when the server does not answer in time", async () => {
    const srv = await fakeServer((req) => (isMedia(req) ? good(req) : "hang"));
    const doc = await createLlmMediaSummarizer({ endpoint: srv.base, model: "m", extractive, timeoutMs: 200, retryDelayMs: 0 }).summarize(INPUT);
    expect(doc.chapters.map((c) => c.title)).toEqual(EXTRACTIVE.chapters.map((c) => c.title));
    expect(doc.summary).toBe("A talk about volcanoes and tides.");
    expect(doc.engine.note).toContain("no answer from");
  });

  it("gives up, rather than falling back, when the stage aborts", async () => {
    const srv = await fakeServer(() => "hang");
    const controller = new AbortController();
    const run = createLlmMediaSummarizer({ endpoint: srv.base, model: "m", extractive }).summarize(INPUT, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stage timeout")), 100);
    await expect(run).rejects.toThrow("stage timeout");
  });

  it("uses core's extractive chapters by default and makes no call for media without scenes", async () => {
    const srv = await fakeServer(good);
    const summarizer = createLlmMediaSummarizer({ endpoint: srv.base, model: "m" });
    const empty = await summarizer.summarize({ durationMs: 1000, scenes: [] });
    expect(srv.requests).toHaveLength(0);
    expect(empty).toMatchObject({ chapters: [], method: "extractive", summary: "" });
    const doc = MediaSummaryDocument.parse(await summarizer.summarize(INPUT));
    expect(doc.chapters.map((c) => c.sceneIndexes)).toEqual(summarizeMediaExtractively(INPUT).chapters.map((c) => c.sceneIndexes));
    expect(doc.engine.settings).toMatchObject({ chapters: expect.stringMatching(/^extractive-chapters /) });
  });

  it("refuses bad options loudly", () => {
    expect(() => createLlmMediaSummarizer({ endpoint: "http://127.0.0.1:1/v1", model: " " })).toThrow(ConfigError);
    expect(() => createLlmMediaSummarizer({ endpoint: "ftp://x", model: "m" })).toThrow(/http\(s\)/);
    expect(() => createLlmMediaSummarizer({ endpoint: "http://127.0.0.1:1/v1", model: "m", concurency: 2 } as never)).toThrow(/concurency/);
    expect(() => createLlmMediaSummarizer({ endpoint: "http://127.0.0.1:1/v1", model: "m", timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Report, type ScenesDocument } from "@media-pipeline/core";
import { loadConfig, openLocalRuntime, type LocalRuntime } from "../packages/local/src/index.js";
import { makeTalkingVideo, tempDir, typesOf } from "./helpers/flow.js";
import { makeCutVideo } from "./helpers/media.js";
import { cli } from "./helpers/cli.js";

/**
 * The whole local pipeline with scene summaries from a language model: a tiny OpenAI-compatible
 * server on 127.0.0.1 stands in for Ollama / llama-server / vLLM and answers in the documented
 * Chat Completions shape. Test patterns over a sine tone give the real engines nothing to label or
 * transcribe, and such scenes are not worth a model call; so the main case is `makeTalkingVideo`
 * (`makeCutVideo`'s cuts plus two espeak voices), and the plain cut video checks the no-call path.
 */

interface Recorded {
  url: string;
  authorization?: string;
  body: { model: string; temperature: number; response_format: { type: string }; messages: Array<{ role: string; content: string }> };
}

let dir: string;
let runtime: LocalRuntime | undefined;
let close: () => Promise<void>;
let endpoint: string;
const requests: Recorded[] = [];

beforeAll(async () => {
  dir = await tempDir("llm");
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const body = JSON.parse(raw) as Recorded["body"];
      const scene = JSON.parse(body.messages.find((m) => m.role === "user")!.content) as { scene?: number; labels?: Array<{ name: string }> };
      if (scene.scene === undefined) {
        // The media summary's chapter and whole-media requests (summarize-media, same endpoint): not
        // what this file checks; answered with nothing usable, so that stage keeps its extractive text.
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: "{}" }, finish_reason: "stop" }] }));
        return;
      }
      requests.push({ url: req.url!, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      const seen = (scene.labels ?? []).map((l) => l.name.toLowerCase()).join(" and ") || "speech";
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: "fake-llm-1b",
          choices: [{ index: 0, message: { role: "assistant", content: JSON.stringify({ summary: `Scene ${scene.scene} shows ${seen}.` }) }, finish_reason: "stop" }],
          usage: { prompt_tokens: 100, completion_tokens: 12, total_tokens: 112 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  close = () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
  runtime = await openLocalRuntime(
    loadConfig({ dataDir: path.join(dir, "data"), llmEndpoint: endpoint, llmModel: "fake-llm" }, { MEDIA_PIPELINE_LLM_API_KEY: "sk-flow-key" }, dir),
  );
});

async function analyze(file: string) {
  const mediaId = await runtime!.ingest(file);
  const outcome = await runtime!.outcome(mediaId);
  expect(outcome.kind).toBe("completed");
  const events = runtime!.bus.eventsOf(mediaId);
  expect(typesOf(events)).not.toContain("Stage Failed");
  const summarized = events.find((e) => e["detail-type"] === "Scenes Summarized")!;
  const detail = summarized.detail as { engine: { name: string; version: string; note?: string; settings?: Record<string, unknown> }; scenes: { bucket: string; key: string } };
  const scenes = await runtime!.objects.getJson<ScenesDocument>(detail.scenes);
  const report = Report.parse(await runtime!.objects.getJson((outcome as { event: { detail: { report: { bucket: string; key: string } } } }).event.detail.report));
  return { events, engine: detail.engine, scenes, report };
}

afterAll(async () => {
  await runtime?.close();
  await close?.();
});

describe("scene summaries by a language model", () => {
  it("summarises a video's scenes through an OpenAI-compatible endpoint and marks them llm in the report", async () => {
    const video = await makeTalkingVideo(dir, "llm-talk.mp4");
    const before = requests.length;
    const { events, engine, scenes, report } = await analyze(video.path);

    expect(engine).toMatchObject({ name: "openai-compatible", version: "fake-llm-1b", settings: { endpoint, model: "fake-llm", fallbacks: 0 } });
    expect(engine.note).toBeUndefined();
    expect(JSON.stringify(events)).not.toContain("sk-flow-key");
    expect(report.scenes.length).toBeGreaterThan(0);
    for (const s of report.scenes) expect(s).toMatchObject({ summarizer: "llm", summary: expect.stringMatching(/^Scene \d+ shows /) });
    expect(report.stages["summarize-scenes"]?.engine).toMatchObject({ name: "openai-compatible" });

    const sent = requests.slice(before);
    expect(sent).toHaveLength(scenes.scenes.length);
    for (const r of sent) {
      expect(r).toMatchObject({ url: "/v1/chat/completions", authorization: "Bearer sk-flow-key", body: { model: "fake-llm", temperature: 0, response_format: { type: "json_schema" } } });
    }
    // The model was given the transcript the real speech engine produced (a turn over a scene boundary goes to both).
    const given = new Set(sent.flatMap((r) => (JSON.parse(r.body.messages.find((m) => m.role === "user")!.content) as { transcript: Array<{ text: string }> }).transcript.map((t) => t.text)));
    const spoken = new Set(report.transcript.segments.map((t) => t.text).filter((t) => t.trim()));
    expect(given.size).toBeGreaterThan(0);
    expect(given).toEqual(spoken);
  });

  it("makes no model call for a cut video with nothing to label or transcribe, and says so in the engine note", async () => {
    const video = await makeCutVideo(dir, { name: "llm-cuts.mp4", segments: [3, 3, 3] });
    const before = requests.length;
    const { engine, report } = await analyze(video.path);
    expect(requests.length).toBe(before);
    expect(engine).toMatchObject({ name: "openai-compatible", version: "fake-llm" });
    expect(engine.note).toMatch(/no transcript or labels to summarise/);
    for (const s of report.scenes) expect(s.summarizer).toBe("extractive");
  });

  it.each(["analyze", "resume"])("%s refuses --llm-endpoint without --llm-model, and a non-http endpoint", async (command) => {
    const file = await makeCutVideo(dir, { name: `flags-${command}.mp4`, segments: [1] });
    const args = (...extra: string[]) => [command, ...(command === "analyze" ? [file.path] : []), "--data-dir", path.join(dir, `flags-${command}`), "--quiet", ...extra];
    const env = { MEDIA_PIPELINE_LLM_MODEL: "", MEDIA_PIPELINE_LLM_ENDPOINT: "" };
    const noModel = await cli(args("--llm-endpoint", endpoint), { cwd: dir, env });
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/ConfigError: .*--llm-model <name>.*MEDIA_PIPELINE_LLM_MODEL/);
    const notHttp = await cli(args("--llm-endpoint", "ftp://127.0.0.1/v1", "--llm-model", "m"), { cwd: dir, env });
    expect(notHttp.code).toBe(1);
    expect(notHttp.stderr).toMatch(/ConfigError: llmEndpoint: must be an http\(s\) URL/);
  });
});

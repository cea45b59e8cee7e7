import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isRetryable, type SceneInput } from "@media-pipeline/core";
import { ConfigError, loadConfig } from "../../runtime/config.js";
import { createExtractiveSummarizer } from "@media-pipeline/core";
import { createLlmSummarizer, LlmSummaryError } from "./llm.js";

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: {
    model: string;
    temperature: number;
    messages: Array<{ role: string; content: string }>;
    response_format: { type: string; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } };
  };
}

/** What the fake answers one request with. */
type Reply = { content: string; model?: string } | { status: number; body: string } | "hang";

/** A tiny OpenAI-compatible server on 127.0.0.1 that records requests and answers as `reply` says. */
async function fakeServer(reply: (req: Recorded, n: number) => Reply) {
  const requests: Recorded[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const rec: Recorded = { method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(raw) };
      requests.push(rec);
      const r = reply(rec, requests.length);
      if (r === "hang") return void hanging.push(res);
      if ("status" in r) return void res.writeHead(r.status, { "content-type": "application/json" }).end(r.body);
      // The documented Chat Completions response shape.
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: r.model ?? rec.body.model,
          choices: [{ index: 0, message: { role: "assistant", content: r.content }, finish_reason: "stop" }],
          usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  servers.push(close);
  return { requests, base: `http://127.0.0.1:${port}/v1`, close };
}

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

/** The scene's payload as the model saw it. */
function sceneOf(req: Recorded): { scene: number; transcript: Array<{ speaker: string; text: string }>; labels: Array<{ name: string }>; moderation: string[] } {
  return JSON.parse(req.body.messages.find((m) => m.role === "user")!.content);
}

const SCENES: SceneInput[] = [
  {
    index: 0, startMs: 0, endMs: 4000, shotIndexes: [0],
    transcript: [{ speaker: "spk_0", text: "Welcome to the harbour tour. The boats leave at nine.", startMs: 200, endMs: 3500 }],
    labels: [{ name: "Boat", confidence: 91.2 }, { name: "Person", confidence: 80 }],
    moderation: [],
  },
  {
    index: 1, startMs: 4000, endMs: 9000, shotIndexes: [1, 2],
    transcript: [{ speaker: "spk_1", text: "Mind the ropes on the pier.", startMs: 4200, endMs: 6000 }],
    labels: [{ name: "Dog", confidence: 77 }],
    moderation: ["Violence: Weapons"],
  },
  {
    index: 2, startMs: 9000, endMs: 12_000, shotIndexes: [3],
    transcript: [],
    labels: [{ name: "Bicycle", confidence: 64 }],
    moderation: [],
  },
];

const ok = (req: Recorded) => ({ content: JSON.stringify({ summary: `Scene ${sceneOf(req).scene}: a factual summary.` }) });

describe("LLM scene summarizer", () => {
  it("writes each summary with the model, marked llm, sending the scene, temperature 0, the JSON schema and the key", async () => {
    const srv = await fakeServer((req) => ({ ...ok(req), model: "llama3.2:3b-instruct-q4_K_M" }));
    const summarizer = createLlmSummarizer({
      endpoint: `${srv.base}//`, model: "llama3.2", apiKey: "sk-test-secret-123", fallback: createExtractiveSummarizer(),
    });
    const doc = await summarizer.summarize(SCENES);

    expect(doc.scenes.map((s) => [s.index, s.summarizer, s.summary])).toEqual([
      [0, "llm", "Scene 0: a factual summary."],
      [1, "llm", "Scene 1: a factual summary."],
      [2, "llm", "Scene 2: a factual summary."],
    ]);
    expect(doc.scenes[1]).toMatchObject({ startMs: 4000, endMs: 9000, shotIndexes: [1, 2], labels: ["Dog"], moderation: ["Violence: Weapons"], speakers: ["spk_1"] });
    expect(doc.engine).toEqual({
      name: "openai-compatible",
      version: "llama3.2:3b-instruct-q4_K_M",
      settings: { endpoint: srv.base, model: "llama3.2", fallbacks: 0, timeoutMs: 60_000 },
    });

    expect(srv.requests).toHaveLength(3);
    const [first] = srv.requests;
    expect(first).toMatchObject({ method: "POST", url: "/v1/chat/completions" });
    expect(first!.headers.authorization).toBe("Bearer sk-test-secret-123");
    expect(first!.headers["content-type"]).toBe("application/json");
    expect(first!.body).toMatchObject({
      model: "llama3.2",
      temperature: 0,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "scene_summary",
          strict: true,
          schema: { type: "object", properties: { summary: { type: "string" } }, required: ["summary"], additionalProperties: false },
        },
      },
    });
    expect(first!.body.messages[0]).toMatchObject({ role: "system" });
    expect(first!.body.messages[0]!.content).toMatch(/never invent/i);
    expect(sceneOf(srv.requests[0]!)).toMatchObject({
      scene: 0,
      transcript: [{ speaker: "spk_0", text: "Welcome to the harbour tour. The boats leave at nine." }],
      labels: [{ name: "Boat", confidence: 91 }, { name: "Person", confidence: 80 }],
    });
    expect(sceneOf(srv.requests[1]!).moderation).toEqual(["Violence: Weapons"]);
    expect(JSON.stringify(doc)).not.toContain("sk-test-secret-123");
  });

  it("retries content that is not valid JSON once, then gives that scene the extractive summary and says why; the others stay llm", async () => {
    const srv = await fakeServer((req) => (sceneOf(req).scene === 1 ? { content: "Sure! Here is a summary of the scene." } : ok(req)));
    const doc = await createLlmSummarizer({ endpoint: srv.base, model: "m", fallback: createExtractiveSummarizer(), retryDelayMs: 10 }).summarize(SCENES);

    expect(doc.scenes.map((s) => s.summarizer)).toEqual(["llm", "extractive", "llm"]);
    expect(doc.scenes[1]!.summary).toContain("Mind the ropes on the pier.");
    expect(srv.requests.filter((r) => sceneOf(r).scene === 1)).toHaveLength(2);
    expect(doc.engine.settings).toMatchObject({ fallbacks: 1 });
    expect(doc.engine.note).toMatch(/1 of 3 scenes fell back to the extractive-summarizer summary/);
    expect(doc.engine.note).toMatch(/scene 1: model content is not valid JSON \(after 1 retry\)/);
  });

  it.each([
    ["a missing summary", { text: "A scene." }],
    ["an empty summary", { summary: "   " }],
    ["a summary over 600 characters", { summary: "word ".repeat(200) }],
  ])("treats content with %s as failing the schema: one retry, then the fallback", async (_name, content) => {
    const srv = await fakeServer((req) => (sceneOf(req).scene === 0 ? { content: JSON.stringify(content) } : ok(req)));
    const doc = await createLlmSummarizer({ endpoint: srv.base, model: "m", fallback: createExtractiveSummarizer(), retryDelayMs: 10 }).summarize(SCENES);
    expect(doc.scenes.map((s) => s.summarizer)).toEqual(["extractive", "llm", "llm"]);
    expect(srv.requests).toHaveLength(4);
    expect(doc.engine.note).toMatch(/scene 0: model content does not match \{"summary": string, ≤ 600 chars\}.*\(after 1 retry\)/);
  });

  it("accepts JSON wrapped in a Markdown code fence, as servers that ignore response_format send it", async () => {
    const srv = await fakeServer(() => ({ content: '```json\n{"summary": "A boat tour begins."}\n```' }));
    const doc = await createLlmSummarizer({ endpoint: srv.base, model: "m", fallback: createExtractiveSummarizer() }).summarize(SCENES.slice(0, 1));
    expect(doc.scenes[0]).toMatchObject({ summary: "A boat tour begins.", summarizer: "llm" });
  });

  it("retries once after an HTTP 500 and uses the answer that follows", async () => {
    const srv = await fakeServer((req, n) => (n === 1 ? { status: 500, body: '{"error":{"message":"model is loading"}}' } : ok(req)));
    const doc = await createLlmSummarizer({ endpoint: srv.base, model: "m", fallback: createExtractiveSummarizer(), retryDelayMs: 10 }).summarize(SCENES.slice(0, 1));
    expect(srv.requests).toHaveLength(2);
    expect(doc.scenes[0]).toMatchObject({ summarizer: "llm", summary: "Scene 0: a factual summary." });
    expect(doc.engine.settings).toMatchObject({ fallbacks: 0 });
    expect(doc.engine.note).toBeUndefined();
  });

  it("falls back when the server never answers: each attempt times out, one retry, then the extractive summary", async () => {
    const srv = await fakeServer(() => "hang");
    const started = Date.now();
    const doc = await createLlmSummarizer({ endpoint: srv.base, model: "m", fallback: createExtractiveSummarizer(), timeoutMs: 150, retryDelayMs: 10 }).summarize(SCENES.slice(0, 1));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(srv.requests).toHaveLength(2);
    expect(doc.scenes[0]!.summarizer).toBe("extractive");
    expect(doc.engine.note).toMatch(/scene 0: no answer from http:\/\/127\.0\.0\.1:\d+\/v1 within 150 ms \(after 1 retry\)/);
  });

  it("does not retry a 401 and stops calling for the remaining scenes; the key never reaches the note", async () => {
    const srv = await fakeServer(() => ({ status: 401, body: '{"error":{"message":"Incorrect API key provided: sk-bad-key-999"}}' }));
    const doc = await createLlmSummarizer({ endpoint: srv.base, model: "m", apiKey: "sk-bad-key-999", fallback: createExtractiveSummarizer(), retryDelayMs: 10 }).summarize(SCENES);
    expect(srv.requests).toHaveLength(1);
    expect(doc.scenes.map((s) => s.summarizer)).toEqual(["extractive", "extractive", "extractive"]);
    expect(doc.engine.settings).toMatchObject({ fallbacks: 3 });
    expect(doc.engine.note).toMatch(/scenes 0, 1, 2: HTTP 401 from .*Incorrect API key provided: \*\*\*/);
    expect(JSON.stringify(doc)).not.toContain("sk-bad-key-999");
  });

  it("stops after a 404 and says the endpoint should be the API's base URL", async () => {
    const srv = await fakeServer(() => ({ status: 404, body: "404 page not found" }));
    const doc = await createLlmSummarizer({ endpoint: srv.base.replace(/\/v1$/, ""), model: "m", fallback: createExtractiveSummarizer() }).summarize(SCENES);
    expect(srv.requests.map((r) => r.url)).toEqual(["/chat/completions"]);
    expect(doc.engine.note).toMatch(/scenes 0, 1, 2: HTTP 404 from http:\/\/127\.0\.0\.1:\d+: 404 page not found \(the endpoint should be the API's base URL, usually ending in \/v1\)/);
  });

  it("falls back at once when nothing listens at the endpoint", async () => {
    const srv = await fakeServer(ok);
    await srv.close();
    const doc = await createLlmSummarizer({ endpoint: srv.base, model: "m", fallback: createExtractiveSummarizer(), retryDelayMs: 10 }).summarize(SCENES);
    expect(doc.scenes.map((s) => s.summarizer)).toEqual(["extractive", "extractive", "extractive"]);
    expect(doc.engine.note).toMatch(/scenes 0, 1, 2: could not reach .*ECONNREFUSED \(after 1 retry\)/);
  });

  it("makes no call for a scene with neither transcript nor labels", async () => {
    const srv = await fakeServer(ok);
    const empty: SceneInput = { index: 0, startMs: 0, endMs: 3000, shotIndexes: [0], transcript: [], labels: [], moderation: [] };
    const doc = await createLlmSummarizer({ endpoint: srv.base, model: "m", fallback: createExtractiveSummarizer() }).summarize([empty]);
    expect(srv.requests).toHaveLength(0);
    expect(doc.scenes[0]).toMatchObject({ summarizer: "extractive", summary: "Nothing recognised in this scene." });
    expect(doc.engine).toMatchObject({ name: "openai-compatible", version: "m", settings: { fallbacks: 1 } });
    expect(doc.engine.note).toMatch(/scene 0: no transcript or labels to summarise/);
  });

  it("sends user:password in the endpoint as basic auth and shows the endpoint without them", async () => {
    const srv = await fakeServer(ok);
    const endpoint = srv.base.replace("http://", "http://proxy-user:proxy-pass@");
    const doc = await createLlmSummarizer({ endpoint, model: "m", fallback: createExtractiveSummarizer() }).summarize(SCENES.slice(0, 1));
    expect(srv.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("proxy-user:proxy-pass").toString("base64")}`);
    expect(doc.engine.settings).toMatchObject({ endpoint: srv.base });
    expect(JSON.stringify(doc)).not.toContain("proxy-pass");
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const scenes = Array.from({ length: 6 }, (_, i) => ({ ...SCENES[0]!, index: i }));
    const doc = await createLlmSummarizer({
      endpoint: "http://127.0.0.1:9/v1", model: "m", fallback: createExtractiveSummarizer(), concurrency: 2,
      fetch: async (_url, init) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        const index = JSON.parse(JSON.parse(String(init!.body)).messages[1].content).scene;
        return new Response(JSON.stringify({ model: "m", choices: [{ index: 0, message: { role: "assistant", content: `{"summary":"S${index}."}` }, finish_reason: "stop" }] }));
      },
    }).summarize(scenes);
    expect(most).toBe(2);
    expect(doc.scenes.map((s) => s.summary)).toEqual(["S0.", "S1.", "S2.", "S3.", "S4.", "S5."]);
  });

  it("classifies its errors: timeouts and 5xx are retryable, a 4xx is not", () => {
    expect(isRetryable(new LlmSummaryError("HTTP 503", { retryable: true, status: 503 }))).toBe(true);
    expect(isRetryable(new LlmSummaryError("HTTP 400", { retryable: false, status: 400 }))).toBe(false);
    expect(new LlmSummaryError("x", { retryable: true, cause: new Error("y") }).cause).toBeInstanceOf(Error);
  });

  it("refuses bad options loudly", () => {
    const fallback = createExtractiveSummarizer();
    expect(() => createLlmSummarizer({ endpoint: "ftp://127.0.0.1/v1", model: "m", fallback })).toThrow(/http\(s\) URL/);
    expect(() => createLlmSummarizer({ endpoint: "localhost:11434", model: "m", fallback })).toThrow(ConfigError);
    expect(() => createLlmSummarizer({ endpoint: "http://127.0.0.1/v1", model: " ", fallback })).toThrow(/model name/);
    expect(() => createLlmSummarizer({ endpoint: "http://127.0.0.1/v1", model: "m", fallback, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => createLlmSummarizer({ endpoint: "http://127.0.0.1/v1", model: "m", fallback, concurrency: 1.5 })).toThrow(/concurrency/);
    expect(() => createLlmSummarizer({ endpoint: "http://127.0.0.1/v1", model: "m", fallback, timeout: 5 } as never)).toThrow(/Unknown .*timeout/);
  });
});

describe("LLM summarizer configuration", () => {
  const cwd = "/nonexistent-dir-for-config-tests";

  it("refuses an endpoint without a model, naming the flag and the variable", () => {
    expect(() => loadConfig({ llmEndpoint: "http://127.0.0.1:11434/v1" }, {}, cwd)).toThrow(ConfigError);
    expect(() => loadConfig({ llmEndpoint: "http://127.0.0.1:11434/v1" }, {}, cwd)).toThrow(/--llm-model .*MEDIA_PIPELINE_LLM_MODEL/);
  });

  it("refuses an endpoint that is not an http(s) URL", () => {
    expect(() => loadConfig({ llmEndpoint: "file:///etc/passwd", llmModel: "m" }, {}, cwd)).toThrow(/llmEndpoint: must be an http\(s\) URL/);
    expect(() => loadConfig({ llmEndpoint: "127.0.0.1:11434", llmModel: "m" }, {}, cwd)).toThrow(/llmEndpoint: must be an http\(s\) URL/);
  });

  it("takes endpoint and model from flags or environment, and the key from the environment only", () => {
    const env = { MEDIA_PIPELINE_LLM_ENDPOINT: "https://llm.example/v1", MEDIA_PIPELINE_LLM_MODEL: "qwen2.5", MEDIA_PIPELINE_LLM_API_KEY: "sk-env" };
    expect(loadConfig({}, env, cwd)).toMatchObject({ llmEndpoint: "https://llm.example/v1", llmModel: "qwen2.5", llmApiKey: "sk-env" });
    expect(loadConfig({ llmEndpoint: "http://127.0.0.1:8080/v1", llmModel: "local" }, env, cwd)).toMatchObject({ llmEndpoint: "http://127.0.0.1:8080/v1", llmModel: "local" });
    expect(loadConfig({}, {}, cwd).llmApiKey).toBeUndefined();
    expect(() => loadConfig({ llmApiKey: "sk-flag" } as never, {}, cwd)).toThrow(ConfigError);
  });
});

import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexed, publishMedia, textOf, transcriptOf } from "../../test-support/search-fixtures.js";
import { loadConfig } from "../runtime/config.js";
import { openLocalRuntime, type LocalRuntime } from "../runtime/runtime.js";
import { startServer, type RunningServer } from "../server/server.js";

let runtime: LocalRuntime;
let server: RunningServer;
let mediaId: string;
const TOKEN = "search-test-token-0123456789";

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mp-search-http-"));
  runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data") }, {}, dir), { routes: [] });
  server = await startServer({ runtime, token: TOKEN });
  mediaId = await publishMedia(runtime, {
    filename: "<b>launch</b>.mp4",
    transcript: transcriptOf([{ startMs: 3000, text: "the launch is planned for <friday> & saturday" }]),
    text: textOf([{ text: "LAUNCH DAY", startMs: 8000, endMs: 9500 }]),
  });
  await indexed(runtime);
});
afterAll(async () => {
  await server?.close();
});

const get = (query: string, token: string | undefined = TOKEN) =>
  fetch(`${server.url}/search${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("GET /search", () => {
  it("answers the hits best first, with absolute links into each report at the moment, and HTML-safe snippets", async () => {
    const res = await get("?q=launch");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as { query: string; total: number; terms: unknown[]; hits: Array<Record<string, unknown>> };
    expect(body).toMatchObject({ query: "launch", total: 2, terms: [{ text: "launch", phrase: false, prefix: false }] });
    expect(body.hits.map((h) => [h.kind, h.atMs, h.link])).toEqual(expect.arrayContaining([
      ["transcript", 3400, `${server.url}/media/${mediaId}/report.html#t=3.4`],
      ["text", 8000, `${server.url}/media/${mediaId}/report.html#t=8`],
    ]));
    const spoken = body.hits.find((h) => h.kind === "transcript")!;
    expect(spoken).toMatchObject({
      mediaId, filename: "<b>launch</b>.mp4", text: "the launch is planned for <friday> & saturday",
      snippet: "the <mark>launch</mark> is planned for &lt;friday&gt; &amp; saturday",
    });
  });

  it("takes a limit, and answers hostile queries as words, never as an FTS5 error", async () => {
    const one = (await (await get("?q=launch&limit=1")).json()) as { total: number; hits: unknown[] };
    expect(one).toMatchObject({ total: 2, hits: [expect.anything()] });
    for (const q of ['"', "NEAR(launch", "*", "launch OR x", "full_text:launch", "(((", "'--"]) {
      const res = await get(`?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
    }
    expect(((await (await get(`?q=${encodeURIComponent("launch*")}`)).json()) as { total: number }).total).toBe(2);
  });

  it("refuses a missing query, a bad limit and a query too long with 400, and no token with 401", async () => {
    expect((await get("")).status).toBe(400);
    expect((await get("?q=%20%20")).status).toBe(400);
    for (const limit of ["0", "101", "2.5", "x"]) expect((await get(`?q=launch&limit=${limit}`)).status, limit).toBe(400);
    const long = await get(`?q=${"a".repeat(501)}`);
    expect(long.status).toBe(400);
    expect(await long.json()).toMatchObject({ error: { code: "invalid_query" } });
    expect((await get("?q=launch", "")).status).toBe(401);
    expect((await get("?q=launch", "wrong-token-0123456789")).status).toBe(401);
  });
});

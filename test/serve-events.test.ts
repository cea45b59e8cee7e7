import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, cli, ROOT } from "./helpers/cli.js";
import { tempDir } from "./helpers/flow.js";
import { makeCutVideo } from "./helpers/media.js";

const TOKEN = "test-token-0123456789abcdef";
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGTERM");
});

/** Starts `media-pipeline serve` on a free port and waits for it to say where it listens. */
function serve(dataDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--data-dir", dataDir], {
      cwd: ROOT, env: { ...process.env, MEDIA_PIPELINE_TOKEN: TOKEN }, stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
  });
}

describe("serve + events CLI", () => {
  it("follows a flow's events filtered by a pattern while a video is uploaded through the API", async () => {
    const dir = await tempDir("serve");
    const url = await serve(path.join(dir, "data"));
    const pattern = JSON.stringify({ source: ["media-pipeline"], "detail-type": ["Media Received", "Media Probed", "Shots Detected"] });
    // From the start of the log (`--after 0`): a follower that connects after the upload's first events,
    // as a slow start on a loaded machine can, must still see them, as a consumer resuming would.
    const following = cli(["events", "--server", url, "--pattern", pattern, "--json", "--limit", "3", "--after", "0"], { env: { MEDIA_PIPELINE_TOKEN: TOKEN }, timeoutMs: 120_000 });

    const video = await makeCutVideo(dir, { name: "clip.mp4", segments: [2, 2], audio: false });
    const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    const body = readFileSync(video.path);
    const created = await fetch(`${url}/uploads`, { method: "POST", headers: auth, body: JSON.stringify({ filename: "clip.mp4", contentType: "video/mp4", size: body.length }) });
    expect(created.status).toBe(201);
    const { mediaId, upload } = (await created.json()) as { mediaId: string; upload: { url: string; method: string; headers: Record<string, string> } };
    expect((await fetch(upload.url, { method: upload.method, headers: upload.headers, body })).status).toBe(200);

    const r = await following;
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { id: string; event: { "detail-type": string; detail: { mediaId: string } } });
    expect(lines.map((l) => l.event["detail-type"])).toEqual(["Media Received", "Media Probed", "Shots Detected"]);
    for (const l of lines) expect(l.event.detail.mediaId).toBe(mediaId);
    expect(Number(lines[2]!.id)).toBeGreaterThan(Number(lines[0]!.id));
  });

  it("refuses an invalid pattern before connecting, and a missing token", async () => {
    const bad = await cli(["events", "--pattern", '{"detail":{"x":[{"numeric":[">"]}]}}'], { env: { MEDIA_PIPELINE_TOKEN: TOKEN } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/numeric/);
    const noToken = await cli(["events"], { env: { MEDIA_PIPELINE_TOKEN: "" } });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain("MEDIA_PIPELINE_TOKEN");
  });
});

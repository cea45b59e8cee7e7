import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync, createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser, type Frame, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildReviewTask, reviewTaskId, type ModerationDocument } from "@media-pipeline/core";
import { buildTaskInput } from "../packages/functions/src/adapters/a2i/task-input.js";
import { TASK_TEMPLATE_PATH } from "../stacks/review.js";
import { tempDir } from "./helpers/flow.js";
import { renderLiquid } from "./helpers/liquid.js";

/*
 * The A2I task page as a reviewer's browser sees it: the Liquid template rendered with a real task
 * input (A2I's `grant_read_access` replaced by a presigned-looking URL), shown in a sandboxed iframe
 * of a "portal" page on one loopback origin, with the media served from ANOTHER loopback origin that,
 * like a bucket whose CORS rule names a different origin, sends no CORS headers.
 */

const run = promisify(execFile);
const CHROMIUM = "/usr/bin/chromium";
const ROOT = path.resolve(import.meta.dirname, "..");
const BUCKET = "media-bucket";
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";

let dir: string;
let video: string;
let media: Server;
let portal: Server;
let browser: Browser;
let portalOrigin: string;
/** Every request the media origin saw: what a bucket would see. */
const mediaRequests: Array<{ url: string; range?: string; origin?: string }> = [];

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

/** An object server like S3 without a CORS rule for the caller: byte ranges, and no CORS headers at all. */
function mediaServer(file: string): Server {
  return createServer((req, res) => {
    mediaRequests.push({ url: req.url ?? "", range: req.headers.range, origin: req.headers.origin });
    if (!req.url?.startsWith(`/${BUCKET}/media/${mediaId}/clip.mp4?`)) {
      res.writeHead(404, { "content-type": "application/xml" }).end("<Error><Code>NoSuchKey</Code></Error>");
      return;
    }
    const size = statSync(file).size;
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
    const headers = { "content-type": "video/mp4", "accept-ranges": "bytes" };
    if (!range) {
      res.writeHead(200, { ...headers, "content-length": size });
      createReadStream(file).pipe(res);
      return;
    }
    const start = range[1] ? Number(range[1]) : size - Number(range[2]);
    const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    res.writeHead(206, { ...headers, "content-length": end - start + 1, "content-range": `bytes ${start}-${end}/${size}` });
    createReadStream(file, { start, end }).pipe(res);
  });
}

/** The task page as A2I would render it for this input, `grant_read_access` presigning into the media origin. */
function renderTask(mediaOrigin: string): string {
  const moderation = JSON.parse(
    readFileSync(path.join(ROOT, "packages/functions/src/adapters/a2i/fixtures/moderation-document.json"), "utf8"),
  ) as ModerationDocument;
  const source = { bucket: BUCKET, key: `media/${mediaId}/clip.mp4` };
  const task = buildReviewTask({
    taskId: reviewTaskId(mediaId), mediaId, source, moderationRef: { bucket: BUCKET, key: `derived/${mediaId}/moderation.json` },
    moderation, createdAt: new Date("2026-11-20T10:29:58Z"),
  });
  const presign = (uri: unknown) => {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(String(uri));
    if (!m) throw new Error(`grant_read_access on ${String(uri)}`);
    return `${mediaOrigin}/${m[1]}/${m[2]}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=0123abcd`;
  };
  const { input } = buildTaskInput({ task, mediaUrl: presign(`s3://${BUCKET}/${source.key}`), keyframeUrls: new Map() });
  return renderLiquid(readFileSync(path.join(ROOT, TASK_TEMPLATE_PATH), "utf8"), { task: { input } }, { grant_read_access: presign });
}

beforeAll(async () => {
  // A missing browser is a broken machine, not a reason to pass: .ci/run installs Debian chromium.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
  dir = await tempDir("a2i-page");
  video = path.join(dir, "clip.mp4");
  // 75 s (the fixture's segments reach 72 s), a keyframe every second so a seek lands near its target.
  await run("ffmpeg", [
    "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=10:duration=75",
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "10", "-movflags", "+faststart", video,
  ]);
  media = mediaServer(video);
  const mediaOrigin = await listen(media);
  const page = renderTask(mediaOrigin);
  portal = createServer((req, res) => {
    if (req.url === "/task") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
    // The worker portal shows the task in a sandboxed iframe: scripts and forms, but an opaque origin.
    else res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><iframe id="task" sandbox="allow-scripts allow-forms" src="/task" width="1200" height="800"></iframe>');
  });
  portalOrigin = await listen(portal);
  expect(new URL(portalOrigin).origin).not.toBe(new URL(mediaOrigin).origin);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => media?.close(r));
  await new Promise((r) => portal?.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function openTask(): Promise<{ page: Page; frame: Frame }> {
  const page = await browser.newPage();
  // The crowd elements come from a CDN in the portal; a stand-in `crowd-form` keeps the page offline.
  await page.route("https://assets.crowd.aws/**", (route) =>
    route.fulfill({ contentType: "text/javascript", body: "customElements.define('crowd-form', class extends HTMLElement {});" }),
  );
  await page.goto(portalOrigin);
  const handle = await page.waitForSelector("#task");
  const frame = (await handle.contentFrame())!;
  await frame.waitForSelector("#player");
  return { page, frame };
}

interface PlayerState { readyState: number; currentTime: number; error: number | null; seeking: boolean }
const state = (frame: Frame) =>
  frame.locator("#player").evaluate((el) => {
    const v = el as unknown as { readyState: number; currentTime: number; error: { code: number } | null; seeking: boolean };
    return { readyState: v.readyState, currentTime: v.currentTime, error: v.error?.code ?? null, seeking: v.seeking } as PlayerState;
  });

/** Waits until the player has a frame to show (HAVE_CURRENT_DATA) or has failed, and says which. */
async function settle(frame: Frame, until: (s: PlayerState) => boolean): Promise<PlayerState> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = await state(frame);
    if (s.error !== null || until(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("A2I task page in a sandboxed iframe, media on another origin without CORS", () => {
  it("plays the presigned media: the video reaches HAVE_CURRENT_DATA and fires canplay", async () => {
    const { page, frame } = await openTask();
    try {
      const canplay = frame.locator("#player").evaluate(
        (el) => new Promise<string>((resolve) => {
          const v = el as unknown as { readyState: number; addEventListener(t: string, f: () => void): void };
          if (v.readyState >= 3) resolve("canplay");
          v.addEventListener("canplay", () => resolve("canplay"));
          v.addEventListener("error", () => resolve("error"));
        }),
      ).catch(() => "page closed");
      // preload="metadata" may stop at HAVE_METADATA: asking for playback is what a reviewer does.
      await frame.locator("#player").evaluate((el) => (el as unknown as { play(): Promise<void> }).play().catch(() => undefined));
      const s = await settle(frame, (p) => p.readyState >= 2);
      expect(s.error, "the video element failed (MediaError code)").toBeNull();
      expect(s.readyState).toBeGreaterThanOrEqual(2);
      expect(await canplay).toBe("canplay");
      // The bucket was asked for byte ranges, as S3 serves a presigned GET.
      expect(mediaRequests.some((r) => r.url.includes("clip.mp4") && r.range)).toBe(true);
    } finally {
      await page.close();
    }
  });

  it("seeks to a flagged segment with its Jump to button", async () => {
    const { page, frame } = await openTask();
    try {
      const segment = frame.locator('li.segment[data-start-ms="40000"]');
      // Where the seek landed, held there: the button also starts playback, which would move on.
      const seeked = frame.locator("#player").evaluate(
        (el) => new Promise<number>((resolve) => {
          const v = el as unknown as { currentTime: number; error: unknown; pause(): void; addEventListener(t: string, f: () => void, o?: unknown): void };
          if (v.error) resolve(Number.NaN);
          v.addEventListener("seeked", () => {
            v.pause();
            resolve(v.currentTime);
          }, { once: true });
          v.addEventListener("error", () => resolve(Number.NaN));
        }),
      ).catch(() => Number.NaN);
      await segment.locator("button.jump").click();
      const landed = await Promise.race([seeked, new Promise<number>((r) => setTimeout(() => r(-1), 60_000))]);
      const s = await settle(frame, (p) => !p.seeking && p.readyState >= 2);
      expect(s.error, "the video element failed (MediaError code)").toBeNull();
      expect(landed).toBeGreaterThanOrEqual(40);
      expect(landed).toBeLessThan(41);
      expect(s.readyState).toBeGreaterThanOrEqual(2);
      // The page highlights the segment under the playhead.
      await expect.poll(() => segment.getAttribute("class")).toContain("active");
    } finally {
      await page.close();
    }
  });
});

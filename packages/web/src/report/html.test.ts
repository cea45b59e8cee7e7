import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Report } from "@media-pipeline/core";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audioReport, hostileReport, PWNED, reviewedReport, silentVideoReport, videoReport } from "../../test-support/reports.js";
import { renderReportHtml } from "./html.js";

const CHROMIUM = "/usr/bin/chromium";

describe("renderReportHtml (source)", () => {
  it("escapes user text instead of emitting markup", () => {
    const html = renderReportHtml(hostileReport(), { embedImage: () => undefined });
    expect(html).not.toContain(PWNED);
    expect(html).toContain("&lt;script&gt;window.__pwned=1&lt;/script&gt;");
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<svg");
  });

  it("drops keyframe URIs that are not data: URIs so the page never fetches", () => {
    const html = renderReportHtml(videoReport(), { embedImage: (p) => `https://example.com/${p}` });
    expect(html).not.toContain("https://example.com");
    expect(html).toContain("No keyframe");
  });

  it("shows the reviewer's verdict, when and why, each segment's answer and the final decision beside the model's", () => {
    const html = renderReportHtml(reviewedReport(), { embedImage: () => undefined });
    expect(html).toContain("Review: Approved by alice");
    expect(html).toContain("2025-11-23 18:30 UTC");
    expect(html).toContain("Swimwear at the harbour, nothing explicit.");
    expect(html).toContain("Decision: Clean (reviewer)");
    expect(html).toContain("Model: Review");
    expect(html).toContain("Wrong category: Suggestive");
    expect(html).toContain("<th>Reviewer</th>");
  });

  it("leaves the reviewer column out when no review was asked for", () => {
    const html = renderReportHtml(silentVideoReport(), { embedImage: () => undefined });
    expect(html).not.toContain("<th>Reviewer</th>");
    expect(html).toContain("Decision: Clean (model)");
    expect(html).not.toContain("data-review=");
  });

  it("keeps every section for an audio-only report", () => {
    const html = renderReportHtml(audioReport(), { embedImage: () => undefined });
    for (const id of ["timeline", "shots", "labels", "moderation", "transcript", "scenes", "stages"]) {
      expect(html).toContain(`<section id="${id}"`);
    }
  });
});

describe("renderReportHtml (in Chromium)", () => {
  let dir: string;
  let context: BrowserContext;
  let embedImage: (path: string) => string | undefined;

  beforeAll(async () => {
    // A missing browser is a broken machine, not a reason to pass: .ci/run installs Debian chromium.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
    dir = mkdtempSync(join(tmpdir(), "report-html-"));
    const sources = ["testsrc2=s=160x90", "smptebars=s=160x90", "mandelbrot=s=160x90"];
    execFileSync("mkdir", ["-p", join(dir, "keyframes")]);
    sources.forEach((src, i) => {
      execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", src, "-frames:v", "1", join(dir, "keyframes", `shot-${i}.jpg`)]);
    });
    embedImage = (path) => {
      const file = join(dir, path);
      return existsSync(file) ? `data:image/jpeg;base64,${readFileSync(file).toString("base64")}` : undefined;
    };
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
  });

  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  interface Opened {
    page: Page;
    requests: string[];
    errors: string[];
  }

  async function open(report: Report, name: string, width = 1280): Promise<Opened> {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, renderReportHtml(report, { embedImage }));
    const page = await context.newPage();
    await page.setViewportSize({ width, height: 900 });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    return { page, requests, errors };
  }

  function expectQuiet({ requests, errors }: Opened): void {
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !u.startsWith("file:") && !u.startsWith("data:"))).toEqual([]);
    expect(errors).toEqual([]);
  }

  it("shows every section of a video report with the right counts", async () => {
    const opened = await open(videoReport(), "video");
    const { page } = opened;
    expect(await page.locator("h1").textContent()).toBe("harbour-walk_interview.mp4");
    expect(await page.locator("[data-status]").textContent()).toBe("Completed");
    expect(await page.locator(".hero .badges").textContent()).toContain("Moderation: Review");
    expect(await page.locator(".hero .badges").textContent()).toContain("Review: Pending");
    expect(await page.locator(".hero [data-final-decision]").textContent()).toBe("Decision: Review (model)");
    expect(await page.locator('#moderation [data-review="pending"]').textContent()).toContain("review-01jd8xk2m4");
    expect(await page.locator("#moderation .review-cell").textContent()).toBe("Pending");

    expect(await page.locator(".tl-shot").count()).toBe(3);
    expect(await page.locator(".tl-shot img").count()).toBe(3);
    expect(await page.locator(".tl-band.review").count()).toBe(1);
    expect(await page.locator(".tl-turn").count()).toBe(5);
    expect(await page.locator("[data-shot]").count()).toBe(3);
    expect(await page.locator("[data-label]").count()).toBe(4);
    expect(await page.locator("[data-mod]").count()).toBe(1);
    expect(await page.locator("#moderation .thresholds").textContent()).toContain("50%");
    expect(await page.locator("[data-scene]").count()).toBe(2);
    expect(await page.locator('[data-scene][data-summarizer="extractive"] .badge').textContent()).toBe("Extractive summary");
    expect(await page.locator('[data-scene][data-summarizer="llm"] .badge').textContent()).toBe("LLM summary");
    expect(await page.locator("[data-stage]").count()).toBe(9);
    expect(await page.locator('[data-stage="detect-labels"] .engine-note').textContent()).toContain("Local open-source COCO model");
    expect(await page.locator("[data-na]").count()).toBe(0);
    // Keyframes actually decoded, not just referenced.
    const widths = await page.locator("[data-shot] img").evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(widths).toEqual([160, 160, 160]);
    expectQuiet(opened);
    await page.screenshot({ path: "/tmp/report-video-1280.png", fullPage: true });
  });

  it("colours transcript segments by speaker, matching the legend", async () => {
    const { page } = await open(videoReport(), "video-speakers");
    const colour = (sel: string, prop: string) =>
      page.locator(sel).evaluateAll((els, p) => els.map((e) => getComputedStyle(e).getPropertyValue(p)), prop);
    expect(await page.locator("#transcript .seg").count()).toBe(5);
    const a = await colour('.seg[data-speaker="spk_0"]', "border-left-color");
    const b = await colour('.seg[data-speaker="spk_1"]', "border-left-color");
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(2);
    expect(new Set(a).size).toBe(1);
    expect(new Set(b).size).toBe(1);
    expect(a[0]).not.toBe(b[0]);
    expect(await colour('[data-speaker-legend="spk_0"] .sw', "background-color")).toEqual([a[0]]);
    expect(await colour('[data-speaker-legend="spk_1"] .sw', "background-color")).toEqual([b[0]]);
    expect(await page.locator('[data-speaker-legend="spk_0"]').textContent()).toContain("17 s");
  });

  it("scrolls to and highlights what is clicked on the timeline and reads out the time under the pointer", async () => {
    const { page, errors } = await open(videoReport(), "video-click");
    await page.locator(".tl-shot").nth(2).click();
    await expect.poll(() => page.locator("#shot-2").getAttribute("class")).toContain("flash");
    await expect.poll(() => page.locator("#shot-2").isVisible()).toBe(true);
    const inView = () =>
      page.locator("#shot-2").evaluate((el) => {
        const r = el.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight;
      });
    await expect.poll(inView).toBe(true);

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator(".tl-band.review").click();
    await expect.poll(() => page.locator("#mod-0").getAttribute("class")).toContain("flash");
    expect(await page.locator("#shot-2").getAttribute("class")).not.toContain("flash");

    await page.evaluate(() => window.scrollTo(0, 0));
    const track = await page.locator(".tl-track").first().boundingBox();
    if (!track) throw new Error("timeline track not laid out");
    await page.mouse.move(track.x + track.width / 2, track.y + track.height / 2);
    await expect.poll(() => page.locator(".tl-cursor span").textContent()).toBe("00:21");
    expect(errors).toEqual([]);
  });

  it("shows the review outcome: who approved it and when, the comment, each segment's answer and the final decision", async () => {
    const opened = await open(reviewedReport(), "reviewed");
    const { page } = opened;
    const badges = await page.locator(".hero .badges").textContent();
    expect(badges).toContain("Moderation: Review");
    expect(badges).toContain("Review: Approved by alice");
    expect(await page.locator(".hero [data-final-decision]").textContent()).toBe("Decision: Clean (reviewer)");
    expect(await page.locator(".hero [data-final-decision]").getAttribute("data-by")).toBe("reviewer");

    const box = page.locator('#moderation [data-review="approved"]');
    expect(await box.locator("strong").first().textContent()).toBe("Review: Approved by alice");
    expect(await box.locator("time").textContent()).toBe("2025-11-23 18:30 UTC");
    expect(await box.locator("[data-review-comment]").textContent()).toBe("Swimwear at the harbour, nothing explicit.\nSecond line kept.");
    expect(await box.textContent()).toContain("the model said review.");
    expect(await page.locator("#moderation [data-decision]").textContent()).toBe("Model: Review");

    const answers = await page.locator("[data-mod] .review-cell").allTextContents();
    expect(answers).toEqual(["False positive", "Wrong category: Suggestive", "—"]);
    expect(await page.locator('[data-mod] [data-review-outcome="false-positive"]').count()).toBe(1);
    // The false positive is faded on the timeline, and says so when hovered.
    expect(await page.locator(".tl-band.fp").count()).toBe(1);
    expect(await page.locator(".tl-band.fp").getAttribute("title")).toContain("reviewer: false positive");
    expectQuiet(opened);
    await page.locator("#moderation").screenshot({ path: "/tmp/report-reviewed-moderation.png" });
  });

  it("shows not-applicable lines for shots, labels and moderation in an audio-only report", async () => {
    const opened = await open(audioReport(), "audio");
    const { page } = opened;
    for (const id of ["shots", "labels", "moderation"]) {
      expect(await page.locator(`#${id} [data-na]`).textContent()).toContain("Not applicable");
    }
    expect(await page.locator("#transcript [data-na]").count()).toBe(0);
    expect(await page.locator(".tl-shot").count()).toBe(0);
    expect(await page.locator("#transcript .notes").textContent()).toContain("No speech recognition model is installed");
    expect(await page.locator("#transcript .notes").isVisible()).toBe(true);
    expect(await page.locator("#transcript .seg").count()).toBe(3);
    expect(await page.locator("[data-scene]").count()).toBe(1);
    expect(await page.locator("[data-stage]").count()).toBe(9);
    expectQuiet(opened);
    await page.screenshot({ path: "/tmp/report-audio-1280.png", fullPage: true });
  });

  it("shows a not-applicable transcript for a video without audio and names the failed stage", async () => {
    const opened = await open(silentVideoReport(), "silent");
    const { page } = opened;
    expect(await page.locator("#transcript [data-na]").textContent()).toContain("no audio");
    expect(await page.locator("[data-na]").count()).toBe(1);
    expect(await page.locator("[data-shot]").count()).toBe(3);
    expect(await page.locator("[data-status]").textContent()).toBe("Completed with failures");
    expect(await page.locator('[data-stage="detect-labels"] .error').textContent()).toContain("Model file not found");
    expect(await page.locator("#labels [data-failed]").textContent()).toContain("Model file not found");
    expect(await page.locator("#labels").textContent()).not.toContain("No labels were detected");
    expectQuiet(opened);
    await page.screenshot({ path: "/tmp/report-noaudio-1280.png", fullPage: true });
  });

  it("shows script tags from user data as text and never runs them", async () => {
    const opened = await open(hostileReport(), "hostile");
    const { page } = opened;
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("#seg-1 .seg-text").textContent()).toBe(`He said ${PWNED} and left.`);
    expect(await page.locator("h1").textContent()).toBe(`<img src=x onerror="window.__pwned=2">.mp4`);
    expect(await page.locator("[data-label] strong").first().textContent()).toBe(`"><svg onload=window.__pwned=3>`);
    expect(await page.locator("[data-review-comment]").textContent()).toBe(`Rejected: ${PWNED}`);
    expect(await page.locator("[data-mod] .review-cell").first().textContent()).toBe(`Wrong category: <img src=x onerror="window.__pwned=4">`);
    expect(await page.locator("script").count()).toBe(1);
    expectQuiet(opened);
  });

  it("fits a phone-width screen without horizontal scrolling", async () => {
    const opened = await open(videoReport(), "video-phone", 390);
    const { page } = opened;
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expectQuiet(opened);
    await page.screenshot({ path: "/tmp/report-video-phone.png", fullPage: true });
  });
});

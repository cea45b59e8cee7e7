import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Report } from "@media-pipeline/core";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderReportHtml } from "./html.js";

const CHROMIUM = "/usr/bin/chromium";
const PWNED = "<script>window.__pwned=1</script>";

const engine = (name: string, version: string, note?: string) => ({ name, version, ...(note ? { note } : {}) });

function videoReport(): Report {
  return Report.parse({
    mediaId: "01JD8XK2M4Q9R7T5V3W1Y0Z2AB",
    filename: "harbour-walk_interview.mp4",
    generatedAt: "2025-11-23T17:57:00.000Z",
    status: "completed",
    media: {
      kind: "video",
      durationMs: 42_000,
      sizeBytes: 18_734_112,
      container: "mov,mp4,m4a,3gp,3g2,mj2",
      streams: [
        { index: 0, type: "video", codec: "h264", width: 1280, height: 720, fps: 25, durationMs: 42_000 },
        { index: 1, type: "audio", codec: "aac", sampleRate: 48_000, channels: 2, durationMs: 42_000 },
      ],
    },
    shots: [
      { index: 0, startMs: 0, endMs: 12_000, keyframe: "keyframes/shot-0.jpg" },
      { index: 1, startMs: 12_000, endMs: 27_500, keyframe: "keyframes/shot-1.jpg" },
      { index: 2, startMs: 27_500, endMs: 42_000, keyframe: "keyframes/shot-2.jpg" },
    ],
    labels: [
      { name: "Person", confidence: 97.2, meanConfidence: 88.4, count: 31, parents: [], occurrences: [{ startMs: 0, endMs: 26_000, confidence: 97.2 }, { startMs: 30_000, endMs: 41_000, confidence: 90 }] },
      { name: "Car", confidence: 81.5, meanConfidence: 70.2, count: 9, parents: ["Vehicle", "Transportation"], occurrences: [{ startMs: 12_500, endMs: 21_000, confidence: 81.5 }] },
      { name: "Dog", confidence: 64, meanConfidence: 58.9, count: 4, parents: ["Animal", "Pet"], occurrences: [{ startMs: 28_000, endMs: 30_500, confidence: 64 }, { startMs: 36_000, endMs: 38_000, confidence: 55 }] },
      { name: "Boat", confidence: 58.3, meanConfidence: 52.1, count: 3, parents: ["Vehicle"], occurrences: [{ startMs: 2_000, endMs: 6_000, confidence: 58.3 }] },
    ],
    faces: [{ timestampMs: 1_000, count: 1 }],
    moderation: {
      decision: "review",
      thresholds: { reviewMin: 50, flagMin: 85 },
      labels: [{ name: "Revealing Clothes", parent: "Suggestive", confidence: 62.4, startMs: 14_000, endMs: 19_000, decision: "review" }],
    },
    transcript: {
      language: "en-US",
      hasWords: true,
      notes: [],
      speakers: [
        { id: "spk_0", label: "Speaker 1", speechMs: 17_000 },
        { id: "spk_1", label: "Speaker 2", speechMs: 12_500 },
      ],
      segments: [
        { speaker: "spk_0", startMs: 500, endMs: 6_500, text: "Welcome back. Today we are walking along the old harbour." },
        { speaker: "spk_1", startMs: 7_000, endMs: 13_000, text: "It has changed a lot since the ferries stopped running here." },
        { speaker: "spk_0", startMs: 13_500, endMs: 19_500, text: "Tell me about the boats you remember from when you were young." },
        { speaker: "spk_1", startMs: 20_000, endMs: 26_500, text: "Fishing boats mostly, and on Sundays the big white steamer." },
        { speaker: "spk_0", startMs: 29_000, endMs: 34_000, text: "And this is where the dog always waits for us." },
      ],
    },
    scenes: [
      { index: 0, startMs: 0, endMs: 27_500, summary: "Two people walk along the harbour and talk about the boats that used to moor there.", labels: ["Person", "Car", "Boat"], moderation: ["Revealing Clothes"], speakers: ["spk_0", "spk_1"], summarizer: "extractive" },
      { index: 1, startMs: 27_500, endMs: 42_000, summary: "At the end of the pier a dog waits; the host closes the walk.", labels: ["Person", "Dog"], moderation: [], speakers: ["spk_0"], summarizer: "llm" },
    ],
    review: { status: "pending", taskId: "review-01jd8xk2m4" },
    decision: { value: "review", by: "model" },
    stages: {
      "complete-analysis": { status: "done", durationMs: 40, engine: null },
      probe: { status: "done", durationMs: 120, engine: engine("ffprobe", "5.1.6") },
      "extract-audio": { status: "done", durationMs: 810, engine: engine("ffmpeg", "5.1.6") },
      "detect-shots": { status: "done", durationMs: 4_300, engine: { ...engine("ffmpeg scene detection", "5.1.6"), settings: { sceneThreshold: 0.3, keyframes: "jpeg" } } },
      "detect-labels": { status: "done", durationMs: 9_800, engine: engine("@vladmandic/human (COCO)", "3.3.6", "Local open-source COCO model: 80 object classes, fewer and coarser than Rekognition labels.") },
      moderate: { status: "done", durationMs: 3_100, engine: engine("nsfwjs MobileNetV2", "4.4.0", "Local open-source NSFW classifier with 5 classes, not Rekognition's moderation taxonomy.") },
      transcribe: { status: "done", durationMs: 6_400, engine: engine("pocketsphinx + silero-vad", "5.0.0") },
      "summarize-scenes": { status: "done", durationMs: 2_200, engine: engine("openai-compatible", "llama3.1:8b", "User-configured endpoint at 127.0.0.1; scene 1 fell back to the extractive summarizer.") },
      "request-review": { status: "done", durationMs: 15, engine: engine("local review page", "0.1.0") },
    },
  });
}

function audioReport(): Report {
  return Report.parse({
    mediaId: "01JD8XM0AUDIO0000000000000",
    filename: "voice memo – 23 Nov.m4a",
    generatedAt: "2025-11-23T18:02:00.000Z",
    status: "completed",
    media: { kind: "audio", durationMs: 95_000, sizeBytes: 1_520_000, container: "mov,mp4,m4a", streams: [{ index: 0, type: "audio", codec: "aac", sampleRate: 44_100, channels: 1 }] },
    shots: [],
    labels: [],
    faces: [],
    moderation: { decision: null, thresholds: null, labels: [] },
    transcript: {
      language: null,
      hasWords: false,
      notes: ["No speech recognition model is installed, so speech is found and attributed to speakers but not transcribed into words."],
      speakers: [{ id: "spk_0", label: "Speaker 1", speechMs: 52_000 }, { id: "spk_1", label: "Speaker 2", speechMs: 21_000 }],
      segments: [
        { speaker: "spk_0", startMs: 1_000, endMs: 30_000, text: "" },
        { speaker: "spk_1", startMs: 31_000, endMs: 52_000, text: "" },
        { speaker: "spk_0", startMs: 53_000, endMs: 76_000, text: "" },
      ],
    },
    scenes: [{ index: 0, startMs: 0, endMs: 95_000, summary: "Two speakers; Speaker 1 talks for most of the recording.", labels: [], moderation: [], speakers: ["spk_0", "spk_1"], summarizer: "extractive" }],
    review: { status: "not-required" },
    decision: { value: null, by: "model" },
    stages: {
      probe: { status: "done", durationMs: 90, engine: engine("ffprobe", "5.1.6") },
      "extract-audio": { status: "done", durationMs: 400, engine: engine("ffmpeg", "5.1.6") },
      "detect-shots": { status: "skipped", durationMs: null, engine: null },
      "detect-labels": { status: "skipped", durationMs: null, engine: null },
      moderate: { status: "skipped", durationMs: null, engine: null },
      transcribe: { status: "done", durationMs: 3_900, engine: engine("silero-vad + MFCC clustering", "1.13.8", "Voice activity and speaker turns only: no local speech-to-text model ships offline.") },
      "summarize-scenes": { status: "done", durationMs: 30, engine: engine("extractive", "0.1.0") },
      "request-review": { status: "skipped", durationMs: null, engine: null },
      "complete-analysis": { status: "done", durationMs: 20, engine: null },
    },
  });
}

function silentVideoReport(): Report {
  const base = videoReport();
  return Report.parse({
    ...base,
    mediaId: "01JD8XN0SILENT000000000000",
    filename: "drone-footage-silent.mov",
    status: "completed-with-failures",
    media: { ...base.media, streams: base.media.streams.filter((s) => s.type === "video") },
    labels: [],
    moderation: { decision: "clean", thresholds: { reviewMin: 50, flagMin: 85 }, labels: [] },
    transcript: { language: null, hasWords: false, notes: [], speakers: [], segments: [] },
    scenes: base.scenes.map((s) => ({ ...s, speakers: [], moderation: [], summarizer: "extractive" as const })),
    review: { status: "not-required" },
    decision: { value: "clean", by: "model" },
    stages: {
      ...base.stages,
      "extract-audio": { status: "skipped", durationMs: null, engine: null },
      transcribe: { status: "skipped", durationMs: null, engine: null },
      "detect-labels": { status: "failed", durationMs: 1_200, engine: engine("@vladmandic/human (COCO)", "3.3.6"), error: "Model file not found: models/centernet.json" },
      "request-review": { status: "skipped", durationMs: null, engine: null },
    },
  });
}

/** The video report after alice's verdict: two segments answered, the media approved. */
function reviewedReport(): Report {
  const base = videoReport();
  const [first] = base.moderation.labels;
  return Report.parse({
    ...base,
    moderation: {
      ...base.moderation,
      labels: [
        { ...first, review: { outcome: "false-positive" } },
        { name: "Explicit Nudity", parent: "Explicit", confidence: 41.5, startMs: 30_000, endMs: 33_000, decision: "review", review: { outcome: "wrong-category", category: "Suggestive" } },
        { name: "Graphic Violence", parent: "Violence", confidence: 22, startMs: 36_000, endMs: 37_000, decision: "review" },
      ],
    },
    review: {
      status: "approved", taskId: "review-01jd8xk2m4", reviewer: "alice", decidedAt: "2025-11-23T18:30:00.000Z",
      comment: "Swimwear at the harbour, nothing explicit.\nSecond line kept.",
    },
    decision: { value: "clean", by: "reviewer" },
  });
}

/** The video report with hostile user data where a careless renderer would interpret it. */
function hostileReport(): Report {
  const base = videoReport();
  return Report.parse({
    ...base,
    filename: `<img src=x onerror="window.__pwned=2">.mp4`,
    transcript: {
      ...base.transcript,
      segments: base.transcript.segments.map((s, i) => (i === 1 ? { ...s, text: `He said ${PWNED} and left.` } : s)),
    },
    labels: base.labels.map((l, i) => (i === 0 ? { ...l, name: `"><svg onload=window.__pwned=3>` } : l)),
    moderation: {
      ...base.moderation,
      labels: base.moderation.labels.map((l) => ({ ...l, review: { outcome: "wrong-category" as const, category: `<img src=x onerror="window.__pwned=4">` } })),
    },
    review: { status: "rejected", taskId: "review-01jd8xk2m4", reviewer: "mallory", decidedAt: "2025-11-23T18:30:00.000Z", comment: `Rejected: ${PWNED}` },
    decision: { value: "flagged", by: "reviewer" },
  });
}

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

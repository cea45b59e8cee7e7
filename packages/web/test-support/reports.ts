import { Report } from "@media-pipeline/core";

/*
 * Reports for the renderer's tests: a video with every section filled, an audio-only file, a video
 * without audio whose label stage failed, the video after a reviewer's verdict, and one carrying
 * hostile user data where a careless renderer would interpret it.
 */

export const PWNED = "<script>window.__pwned=1</script>";

const engine = (name: string, version: string, note?: string) => ({ name, version, ...(note ? { note } : {}) });

export function videoReport(): Report {
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

export function audioReport(): Report {
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

export function silentVideoReport(): Report {
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
export function reviewedReport(): Report {
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
export function hostileReport(): Report {
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

import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { GetTranscriptionJobCommand, StartTranscriptionJobCommand, TranscribeClient } from "@aws-sdk/client-transcribe";
import type { TranscriptDocument } from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectTranscript } from "../../../packages/functions/src/adapters/transcribe/collect.js";
import { startTranscription, transcriptionJobName, transcriptionJobNameFilter } from "../../../packages/functions/src/adapters/transcribe/job.js";
import { parseTranscribeStateChange } from "../../../packages/functions/src/adapters/transcribe/state-change.js";
import { createLocalEngines } from "../../../packages/local/src/engines/index.js";
import { loadConfig } from "../../../packages/local/src/runtime/config.js";
import { LocalObjectStore } from "../../../packages/local/src/runtime/object-store.js";
import { FEMALE, MALE, speak, type SpeechFixture } from "../../helpers/speech.js";
import { createBucket, s3sdk, startEmulatorFixture, upload, type EmulatorFixture } from "./fixture.js";

/** Transcribe batch jobs on the local speech engines, through our transcribe adapters. */
let f: EmulatorFixture;
let events: { url: string };
let speech: SpeechFixture;
const bucket = "media";

beforeAll(async () => {
  f = await startEmulatorFixture("transcribe");
  await createBucket(f, bucket);
  // The forwarding rule's own filter on job names, so the test also proves moto matches it.
  events = await f.defaultBusRuleToQueue("transcribe-state", {
    source: ["aws.transcribe"], "detail-type": ["Transcribe Job State Change"], detail: { TranscriptionJobName: transcriptionJobNameFilter() },
  });
  speech = await speak(f.workDir, "dialog", [MALE, FEMALE], [
    "good morning everyone and welcome to the show",
    "thank you it is great to be here today",
    "the weather has been very cold in the north",
  ]);
});
afterAll(async () => {
  await f?.stop();
});

const mediaId = (n: number) => `01jd8x7k2m4n6p8q0r2s4t6v${n.toString().padStart(2, "0")}`;

async function stateChange() {
  const [body] = await f.receive(events.url, 1);
  expect(body, "a Transcribe Job State Change on the default bus").toBeDefined();
  // moto leaves `account` out of events it delivers to SQS targets; EventBridge always sets it.
  return parseTranscribeStateChange({ account: f.moto.account, ...JSON.parse(body!) });
}

/** What the local runtime's engines make of the same file (its defaults, its own work dir). */
async function localTranscript(file: string): Promise<TranscriptDocument> {
  const dataDir = path.join(f.workDir, "local");
  const store = new LocalObjectStore(dataDir);
  const engines = createLocalEngines(loadConfig({ dataDir }, {}, f.workDir), store.pathOf);
  const source = { bucket: "media", key: "media/local/dialog.wav" };
  await mkdir(path.dirname(store.pathOf(source)), { recursive: true });
  await copyFile(file, store.pathOf(source));
  const audio = { bucket: "media", key: "derived/local/audio.wav" };
  const extracted = await engines.extractor.extract(source, audio);
  return engines.transcriber.transcribe({ mediaId: "local", audio, durationMs: extracted.durationMs, maxSpeakers: 4, language: "en-US" });
}

/** Speakers renamed in order of first appearance, so two documents compare whatever ids they use. */
function words(doc: TranscriptDocument) {
  const ids = new Map<string, string>();
  return doc.segments.flatMap((s) => (s.words ?? []).map((w) => {
    if (!ids.has(s.speaker)) ids.set(s.speaker, `S${ids.size}`);
    return { text: w.text, startMs: w.startMs, endMs: w.endMs, confidence: w.confidence, speaker: ids.get(s.speaker) };
  }));
}

describe("Transcribe emulator", () => {
  it("transcribes with speaker labels, writes the transcript, announces it on the default bus, and matches the local engines", async () => {
    const id = mediaId(1);
    const audio = { bucket, key: `derived/${id}/audio.wav` };
    await upload(f, bucket, audio.key, await readFile(speech.path));
    const transcribe = new TranscribeClient({});
    const input = { mediaId: id, audio, maxSpeakers: 4, language: "en-US", outputBucket: bucket };
    await expect(startTranscription(transcribe, input)).resolves.toEqual({ jobName: `${id}-transcript`, duplicate: false });
    // A duplicate delivery starts nothing: ConflictException, which the adapter takes as "already started".
    await expect(startTranscription(transcribe, input)).resolves.toEqual({ jobName: `${id}-transcript`, duplicate: true });
    await expect(collectTranscript({ transcribe, s3: f.s3 }, `${id}-transcript`, { outputBucket: bucket })).resolves.toMatchObject({ status: "in-progress" });

    await f.emulators.idle();
    await expect(stateChange()).resolves.toEqual({ jobName: `${id}-transcript`, mediaId: id, status: "COMPLETED" });
    const job = await transcribe.send(new GetTranscriptionJobCommand({ TranscriptionJobName: `${id}-transcript` }));
    expect(job.TranscriptionJob).toMatchObject({
      TranscriptionJobStatus: "COMPLETED", LanguageCode: "en-US", MediaSampleRateHertz: 16000,
      Settings: { ShowSpeakerLabels: true, MaxSpeakerLabels: 4 },
      Transcript: { TranscriptFileUri: `https://s3.us-east-1.amazonaws.com/${bucket}/derived/${id}/transcribe/${id}-transcript.json` },
    });
    expect(job.TranscriptionJob!.CompletionTime).toBeInstanceOf(Date);

    const collected = await collectTranscript({ transcribe, s3: f.s3 }, `${id}-transcript`, { outputBucket: bucket, maxSpeakers: 4 });
    if (collected.status !== "completed") throw new Error(`expected a completed transcript, got ${collected.status}`);
    const doc = collected.document;
    expect(doc.speakers).toHaveLength(2);
    expect(doc.segments.length).toBeGreaterThanOrEqual(3);
    expect(doc.hasWords).toBe(true);

    // The raw output has Transcribe's documented fields.
    const raw = JSON.parse(await (await f.s3.send(new s3sdk.GetObjectCommand({ Bucket: bucket, Key: collected.transcript.key }))).Body!.transformToString());
    expect(raw).toMatchObject({ jobName: `${id}-transcript`, accountId: f.moto.account, results: { transcripts: [{ transcript: expect.any(String) }] } });
    expect(raw.results.items[0]).toMatchObject({ type: "pronunciation", start_time: expect.stringMatching(/^\d+\.\d{3}$/), speaker_label: expect.stringMatching(/^spk_\d$/) });
    expect(raw.results.items[0].alternatives[0]).toMatchObject({ content: expect.any(String), confidence: expect.stringMatching(/^[01]\.\d+$/) });
    expect(raw.results.speaker_labels.speakers).toBe(2);
    expect(raw.results.audio_segments.length).toBe(raw.results.speaker_labels.segments.length);

    // Same words, times, confidences and speaker turns as the local runtime's engines give.
    const local = words(await localTranscript(speech.path));
    expect(local.length).toBeGreaterThan(8);
    expect(new Set(local.map((w) => w.speaker)).size).toBe(2);
    expect(words(doc)).toEqual(local);
  });

  it("ends a job on audio the engine cannot read FAILED, with a FailureReason, in GetTranscriptionJob and the event", async () => {
    const id = mediaId(2);
    const audio = { bucket, key: `derived/${id}/audio.wav` };
    await upload(f, bucket, audio.key, randomBytes(48_000));
    const transcribe = new TranscribeClient({});
    await startTranscription(transcribe, { mediaId: id, audio, maxSpeakers: 2, language: "en-US", outputBucket: bucket });
    await f.emulators.idle();
    const event = await stateChange();
    expect(event).toMatchObject({ status: "FAILED", failureReason: expect.stringMatching(/media format/i) });
    await expect(collectTranscript({ transcribe, s3: f.s3 }, `${id}-transcript`, { outputBucket: bucket })).resolves.toEqual({ status: "failed", reason: event.failureReason });
  });

  it("refuses what Transcribe refuses: a missing media object, an unknown job, speaker labels without a bound", async () => {
    const transcribe = new TranscribeClient({});
    const start = (over: Record<string, unknown>) =>
      transcribe.send(new StartTranscriptionJobCommand({
        TranscriptionJobName: transcriptionJobName(mediaId(3)), Media: { MediaFileUri: `s3://${bucket}/derived/${mediaId(1)}/audio.wav` },
        LanguageCode: "en-US", OutputBucketName: bucket, ...over,
      }));
    await expect(start({ Media: { MediaFileUri: `s3://${bucket}/derived/none/audio.wav` } })).rejects.toMatchObject({ name: "BadRequestException", message: expect.stringContaining("doesn't point to an S3 object") });
    await expect(start({ Settings: { ShowSpeakerLabels: true } })).rejects.toMatchObject({ name: "BadRequestException" });
    await expect(start({ LanguageCode: undefined })).rejects.toMatchObject({ name: "BadRequestException" });
    await expect(start({ OutputBucketName: "no-such-bucket" })).rejects.toMatchObject({ name: "BadRequestException" });
    await expect(transcribe.send(new GetTranscriptionJobCommand({ TranscriptionJobName: "never-started" }))).rejects.toMatchObject({ name: "BadRequestException" });
  });
});

import { readFileSync } from "node:fs";
import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { GetTranscriptionJobCommand, LimitExceededException, NotFoundException, TranscribeClient } from "@aws-sdk/client-transcribe";
import { isRetryable, TranscriptDocument } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { collectTranscript, transcriptRef } from "./collect.js";
import { TranscribeUnavailableError, TranscriptionJobNotFoundError, TranscriptUnreadableError } from "./errors.js";

const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8"));

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const jobName = `${mediaId}-transcript`;
const transcriptKey = `derived/${mediaId}/transcribe/${jobName}.json`;

const transcribeMock = mockClient(TranscribeClient);
const s3Mock = mockClient(S3Client);
const clients = { transcribe: new TranscribeClient({ region: "us-east-1" }), s3: new S3Client({ region: "us-east-1" }) };
const options = { outputBucket: "media-bucket", maxSpeakers: 4 };

/** GetTranscriptionJob answering with the recorded job, optionally changed. */
function jobIs(change: (job: Record<string, any>) => void = () => {}) {
  const recorded = fixture("get-transcription-job-completed");
  change(recorded.TranscriptionJob);
  transcribeMock.on(GetTranscriptionJobCommand).resolves(recorded as never);
}

/** S3 answering GetObject with this text, as the SDK's stream body would. */
function objectIs(text: string) {
  s3Mock.on(GetObjectCommand).resolves({ Body: { transformToString: async () => text } } as never);
}

beforeEach(() => {
  transcribeMock.reset();
  s3Mock.reset();
});

describe("collectTranscript", () => {
  it("reads a completed job's transcript from our bucket into a valid document", async () => {
    jobIs();
    objectIs(JSON.stringify(fixture("transcript-two-speakers")));

    const result = await collectTranscript(clients, jobName, options);

    expect(transcribeMock).toHaveReceivedCommandWith(GetTranscriptionJobCommand, { TranscriptionJobName: jobName });
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: "media-bucket", Key: transcriptKey });
    if (result.status !== "completed") throw new Error(`expected completed, got ${result.status}`);
    expect(result.transcript).toEqual({ bucket: "media-bucket", key: transcriptKey });
    const doc = TranscriptDocument.parse(result.document);
    expect(doc.language).toBe("en-US");
    expect(doc.hasWords).toBe(true);
    expect(doc.notes).toEqual([]);
    expect(doc.engine).toEqual({
      name: "amazon-transcribe",
      version: "batch",
      settings: { jobName, maxSpeakers: 4, languageCode: "en-US" },
    });
    expect(doc.engines).toEqual([doc.engine]);
    expect(doc.speakers).toEqual([
      { id: "spk_0", label: "spk_0", speechMs: 1320 + 1760 + 750 },
      { id: "spk_1", label: "spk_1", speechMs: 1720 },
    ]);
    expect(doc.segments.map(({ speaker, startMs, endMs, text }) => ({ speaker, startMs, endMs, text }))).toEqual([
      { speaker: "spk_0", startMs: 540, endMs: 1860, text: "Welcome back to the show." },
      { speaker: "spk_0", startMs: 2210, endMs: 3970, text: "Today we talk about rivers." },
      { speaker: "spk_1", startMs: 5300, endMs: 7020, text: "Thanks, it's great to be here." },
      { speaker: "spk_0", startMs: 7450, endMs: 8200, text: "Let's start." },
    ]);
    expect(doc.segments.flatMap((s) => s.words ?? [])).toHaveLength(18);
    expect(doc.segments[1]!.words).toEqual([
      { text: "Today", startMs: 2210, endMs: 2600, confidence: 99.6, speaker: "spk_0" },
      { text: "we", startMs: 2600, endMs: 2740, confidence: 99.9, speaker: "spk_0" },
      { text: "talk", startMs: 2740, endMs: 3050, confidence: 99.3, speaker: "spk_0" },
      { text: "about", startMs: 3050, endMs: 3380, confidence: 90.2, speaker: "spk_0" },
      { text: "rivers.", startMs: 3380, endMs: 3970, confidence: 87.1, speaker: "spk_0" },
    ]);
    expect(doc.speech).toEqual([
      { startMs: 540, endMs: 1860 },
      { startMs: 2210, endMs: 3970 },
      { startMs: 5300, endMs: 7020 },
      { startMs: 7450, endMs: 8200 },
    ]);
    const { channel_label: _channel, ...labels } = fixture("transcript-two-speakers").results.speaker_labels;
    expect(doc.speakerLabels).toEqual(labels);
  });

  it.each(["QUEUED", "IN_PROGRESS"] as const)("reports %s as in progress without reading S3", async (status) => {
    jobIs((job) => {
      job.TranscriptionJobStatus = status;
      delete job.Transcript;
      delete job.CompletionTime;
    });

    await expect(collectTranscript(clients, jobName, options)).resolves.toEqual({ status: "in-progress", jobStatus: status });
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it("reports a failed job with Transcribe's reason", async () => {
    jobIs((job) => {
      job.TranscriptionJobStatus = "FAILED";
      job.FailureReason = "Your audio file must have a speech segment long enough in duration to perform automatic language identification.";
      delete job.Transcript;
    });

    await expect(collectTranscript(clients, jobName, options)).resolves.toEqual({
      status: "failed",
      reason: expect.stringContaining("speech segment"),
    });
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it("notes more speakers than asked for when one was requested", async () => {
    jobIs((job) => (job.Settings.MaxSpeakerLabels = 2));
    objectIs(JSON.stringify(fixture("transcript-two-speakers")));

    const result = await collectTranscript(clients, jobName, { ...options, maxSpeakers: 1 });
    if (result.status !== "completed") throw new Error(result.status);
    expect(result.document.notes).toEqual([expect.stringContaining("at most 1 speaker")]);
    expect(result.document.engine.settings).toMatchObject({ maxSpeakers: 2 });
  });

  it("refuses an unknown job without retrying", async () => {
    transcribeMock.on(GetTranscriptionJobCommand).rejects(new NotFoundException({ message: "not found", $metadata: {} }));
    await expect(collectTranscript(clients, jobName, options)).rejects.toBeInstanceOf(TranscriptionJobNotFoundError);
  });

  it("retries when Transcribe or S3 is throttling", async () => {
    transcribeMock.on(GetTranscriptionJobCommand).rejects(new LimitExceededException({ message: "slow down", $metadata: {} }));
    const fromTranscribe = await collectTranscript(clients, jobName, options).catch((e: unknown) => e);
    expect(fromTranscribe).toBeInstanceOf(TranscribeUnavailableError);

    jobIs();
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error("Please reduce your request rate."), { name: "SlowDown", $fault: "server" }));
    const fromS3 = await collectTranscript(clients, jobName, options).catch((e: unknown) => e);
    expect(isRetryable(fromS3)).toBe(true);
  });

  it("refuses a transcript outside our bucket, a missing one, and one that is not JSON", async () => {
    jobIs((job) => (job.Transcript.TranscriptFileUri = "https://s3.us-east-1.amazonaws.com/aws-transcribe-us-east-1-prod/x.json"));
    await expect(collectTranscript(clients, jobName, options)).rejects.toBeInstanceOf(TranscriptUnreadableError);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);

    jobIs();
    s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }));
    await expect(collectTranscript(clients, jobName, options)).rejects.toBeInstanceOf(TranscriptUnreadableError);

    objectIs("<html>");
    await expect(collectTranscript(clients, jobName, options)).rejects.toBeInstanceOf(TranscriptUnreadableError);
    objectIs(JSON.stringify({ results: { items: "none" } }));
    await expect(collectTranscript(clients, jobName, options)).rejects.toBeInstanceOf(TranscriptUnreadableError);
  });
});

describe("transcriptRef", () => {
  it("reads path-style, virtual-hosted and s3:// transcript URIs", () => {
    const ref = { bucket: "media-bucket", key: transcriptKey };
    expect(transcriptRef(`https://s3.us-east-1.amazonaws.com/media-bucket/${transcriptKey}`)).toEqual(ref);
    expect(transcriptRef(`https://s3.amazonaws.com/media-bucket/${transcriptKey}`)).toEqual(ref);
    expect(transcriptRef(`https://media-bucket.s3.us-east-1.amazonaws.com/${transcriptKey}`)).toEqual(ref);
    expect(transcriptRef(`s3://media-bucket/${transcriptKey}`)).toEqual(ref);
    expect(transcriptRef("https://s3.us-east-1.amazonaws.com/a/b%20c.json")).toEqual({ bucket: "a", key: "b c.json" });
  });

  it("gives nothing for other URLs", () => {
    for (const uri of ["not a url", "https://example.com/a/b.json", "https://s3.us-east-1.amazonaws.com/bucket-only", "ftp://x/y"]) {
      expect(transcriptRef(uri)).toBeUndefined();
    }
  });
});

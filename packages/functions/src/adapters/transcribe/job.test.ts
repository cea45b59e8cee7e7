import {
  BadRequestException,
  ConflictException,
  InternalFailureException,
  LimitExceededException,
  StartTranscriptionJobCommand,
  TranscribeClient,
} from "@aws-sdk/client-transcribe";
import { isRetryable, NonRetryableError, RetryableError } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { TranscribeRequestError, TranscribeUnavailableError } from "./errors.js";
import {
  parseTranscriptionJobName,
  speakerLabelsFor,
  startTranscription,
  transcriptionJobName,
  transcriptionJobNameFilter,
  transcriptionJobPrefix,
  type StartTranscriptionInput,
} from "./job.js";

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const transcribe = mockClient(TranscribeClient);
const client = new TranscribeClient({ region: "us-east-1" });

const input: StartTranscriptionInput = {
  mediaId,
  audio: { bucket: "media-bucket", key: `derived/${mediaId}/audio.wav` },
  maxSpeakers: 4,
  language: "en-US",
  outputBucket: "media-bucket",
};

const meta = { $metadata: { httpStatusCode: 400 } };

beforeEach(() => transcribe.reset());

describe("startTranscription", () => {
  it("starts a diarized job named after the mediaId that writes into our bucket", async () => {
    transcribe.on(StartTranscriptionJobCommand).resolves({ TranscriptionJob: { TranscriptionJobStatus: "IN_PROGRESS" } });

    const result = await startTranscription(client, input);

    expect(result).toEqual({ jobName: `${mediaId}-transcript`, duplicate: false });
    const expected = {
      TranscriptionJobName: `${mediaId}-transcript`,
      Media: { MediaFileUri: `s3://media-bucket/derived/${mediaId}/audio.wav` },
      MediaFormat: "wav" as const,
      LanguageCode: "en-US" as const,
      Settings: { ShowSpeakerLabels: true, MaxSpeakerLabels: 4 },
      OutputBucketName: "media-bucket",
      OutputKey: `derived/${mediaId}/transcribe/`,
    };
    expect(transcribe).toHaveReceivedCommandWith(StartTranscriptionJobCommand, expected);
    // Exactly this request, nothing more (toHaveReceivedCommandWith matches a subset).
    expect(transcribe.commandCalls(StartTranscriptionJobCommand)[0]!.args[0].input).toEqual(expected);
  });

  it("identifies the language for auto, with the configured candidate languages", async () => {
    transcribe.on(StartTranscriptionJobCommand).resolves({});

    await startTranscription(client, { ...input, language: "auto", languageOptions: ["en-US", "de-DE", "fr-FR"] });
    await startTranscription(client, { ...input, language: undefined });

    const [withOptions, bare] = transcribe.commandCalls(StartTranscriptionJobCommand).map((c) => c.args[0].input);
    expect(withOptions).toMatchObject({ IdentifyLanguage: true, LanguageOptions: ["en-US", "de-DE", "fr-FR"] });
    expect(withOptions).not.toHaveProperty("LanguageCode");
    expect(bare).toMatchObject({ IdentifyLanguage: true });
    expect(bare).not.toHaveProperty("LanguageOptions");
  });

  it("uses a single candidate language as the LanguageCode (Transcribe wants two or more options)", async () => {
    transcribe.on(StartTranscriptionJobCommand).resolves({});
    await startTranscription(client, { ...input, language: "auto", languageOptions: ["es-US"] });
    const sent = transcribe.commandCalls(StartTranscriptionJobCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({ LanguageCode: "es-US" });
    expect(sent).not.toHaveProperty("IdentifyLanguage");
  });

  it("asks for 2 speakers when 1 is requested and caps at 30", async () => {
    transcribe.on(StartTranscriptionJobCommand).resolves({});
    await startTranscription(client, { ...input, maxSpeakers: 1 });
    await startTranscription(client, { ...input, maxSpeakers: 99 });
    const sent = transcribe.commandCalls(StartTranscriptionJobCommand).map((c) => c.args[0].input.Settings);
    expect(sent).toEqual([
      { ShowSpeakerLabels: true, MaxSpeakerLabels: 2 },
      { ShowSpeakerLabels: true, MaxSpeakerLabels: 30 },
    ]);
    expect([0, 1, 2, 4.7, 30, 31, Number.NaN].map(speakerLabelsFor)).toEqual([2, 2, 2, 4, 30, 30, 30]);
  });

  it("honours a custom output folder and leaves MediaFormat out for an unknown extension", async () => {
    transcribe.on(StartTranscriptionJobCommand).resolves({});
    await startTranscription(client, { ...input, audio: { bucket: "b", key: "a/audio" }, outputKeyPrefix: "out/x/" });
    const sent = transcribe.commandCalls(StartTranscriptionJobCommand)[0]!.args[0].input;
    expect(sent.OutputKey).toBe("out/x/");
    expect(sent).not.toHaveProperty("MediaFormat");
  });

  it("returns the same name for a duplicate delivery (ConflictException)", async () => {
    transcribe
      .on(StartTranscriptionJobCommand)
      .rejects(new ConflictException({ message: "The requested job name already exists. Use a different job name.", ...meta }));

    await expect(startTranscription(client, input)).resolves.toEqual({ jobName: `${mediaId}-transcript`, duplicate: true });
  });

  it.each([
    ["LimitExceededException", () => new LimitExceededException({ message: "You have exceeded your request limit.", ...meta })],
    ["InternalFailureException", () => new InternalFailureException({ message: "internal", $metadata: { httpStatusCode: 500 } })],
    [
      "ThrottlingException",
      () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $fault: "client", ...meta }),
    ],
    ["a network error", () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
  ])("throws a retryable error on %s", async (_name, make) => {
    transcribe.on(StartTranscriptionJobCommand).rejects(make());

    const error = await startTranscription(client, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TranscribeUnavailableError);
    expect(error).toBeInstanceOf(RetryableError);
    expect(isRetryable(error)).toBe(true);
    expect((error as Error).cause).toBeDefined();
  });

  it("throws a non-retryable error on BadRequestException", async () => {
    transcribe
      .on(StartTranscriptionJobCommand)
      .rejects(new BadRequestException({ message: "The S3 URI that you provided can't be accessed.", ...meta }));

    const error = await startTranscription(client, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TranscribeRequestError);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as Error).message).toContain("BadRequestException");
  });

  it("refuses an unknown language code, a bad mediaId or a folder without a slash before calling AWS", async () => {
    await expect(startTranscription(client, { ...input, language: "english" })).rejects.toBeInstanceOf(TranscribeRequestError);
    await expect(startTranscription(client, { ...input, mediaId: "../etc" })).rejects.toBeInstanceOf(TranscribeRequestError);
    await expect(startTranscription(client, { ...input, outputKeyPrefix: "derived/x" })).rejects.toBeInstanceOf(TranscribeRequestError);
    expect(transcribe.commandCalls(StartTranscriptionJobCommand)).toHaveLength(0);
  });
});

describe("job names", () => {
  it("round-trips a mediaId, with and without a deployment prefix", () => {
    expect(transcriptionJobName(mediaId)).toBe(`${mediaId}-transcript`);
    expect(parseTranscriptionJobName(`${mediaId}-transcript`)).toBe(mediaId);
    expect(transcriptionJobName(mediaId, "mp-prod-")).toBe(`mp-prod-${mediaId}-transcript`);
    expect(parseTranscriptionJobName(`mp-prod-${mediaId}-transcript`, "mp-prod-")).toBe(mediaId);
  });

  it("stays within Transcribe's name rules", () => {
    const name = transcriptionJobName(mediaId, "a".repeat(163));
    expect(name.length).toBeLessThanOrEqual(200);
    expect(name).toMatch(/^[0-9a-zA-Z._-]+$/);
    expect(() => transcriptionJobName(mediaId, "a".repeat(164))).toThrow(TranscribeRequestError);
    expect(() => transcriptionJobName(mediaId, "bad prefix/")).toThrow(TranscribeRequestError);
  });

  it("recognises no other names", () => {
    for (const name of ["my-first-transcription-job", `${mediaId}-labels`, "01JD8X7K2M4N6P8Q0R2S4T6V8W-transcript", `x${mediaId}-transcript`]) {
      expect(parseTranscriptionJobName(name)).toBeUndefined();
    }
    expect(parseTranscriptionJobName(`${mediaId}-transcript`, "mp-prod-")).toBeUndefined();
  });

  it("prefixes a deployment's names with its app and stage, in Transcribe's alphabet, apart from every other stage", () => {
    const prefix = transcriptionJobPrefix("media-pipeline", "prod");
    expect(prefix).toBe("media-pipeline.prod.");
    const name = transcriptionJobName(mediaId, prefix);
    expect(name).toBe(`media-pipeline.prod.${mediaId}-transcript`);
    expect(name).toMatch(/^[0-9a-zA-Z._-]{1,200}$/);
    expect(parseTranscriptionJobName(name, prefix)).toBe(mediaId);
    // Another stage's job, even one whose stage name starts with ours, is not ours.
    for (const stage of ["dev", "prod-eu", "pro"]) {
      expect(parseTranscriptionJobName(transcriptionJobName(mediaId, transcriptionJobPrefix("media-pipeline", stage)), prefix), stage).toBeUndefined();
    }
    expect(parseTranscriptionJobName(`${mediaId}-transcript`, prefix)).toBeUndefined();
    // Deterministic, and sanitized rather than refused.
    expect(transcriptionJobPrefix("media-pipeline", "prod")).toBe(prefix);
    expect(transcriptionJobPrefix("my app", "feature/x_1")).toBe("my-app.feature-x-1.");
  });

  it("refuses app and stage names too long for a 200-character job name", () => {
    expect(transcriptionJobPrefix("a".repeat(80), "b".repeat(81)).length).toBe(163);
    expect(() => transcriptionJobPrefix("a".repeat(80), "b".repeat(82))).toThrow(/shorter stage name/);
    expect(() => transcriptionJobPrefix("media-pipeline", " ")).toThrow(TranscribeRequestError);
  });

  it("gives the stacks an EventBridge filter for our names", () => {
    expect(transcriptionJobNameFilter()).toEqual([{ suffix: "-transcript" }]);
    expect(transcriptionJobNameFilter("mp-prod-")).toEqual([{ wildcard: "mp-prod-*-transcript" }]);
    expect(transcriptionJobNameFilter("media-pipeline.prod.")).toEqual([{ wildcard: "media-pipeline.prod.*-transcript" }]);
  });
});

import { readFileSync } from "node:fs";
import path from "node:path";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { S3Client } from "@aws-sdk/client-s3";
import { TranscribeClient } from "@aws-sdk/client-transcribe";
import { MemoryStateStore } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createCloud, type Cloud } from "./cloud.js";
import { createTranscribeCompletion } from "./completions.js";
import { ConfigurationError } from "./errors.js";

const s3 = mockClient(S3Client);
const events = mockClient(EventBridgeClient);
const transcribe = mockClient(TranscribeClient);
const prefix = "media-pipeline.prod.";
const env = { EVENT_BUS_NAME: "media-bus", MEDIA_BUCKET: "media-bucket", STATE_TABLE: "state", TRANSCRIBE_JOB_PREFIX: prefix };
const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const stateChange = (jobName: string) => {
  const event = JSON.parse(readFileSync(path.join(import.meta.dirname, "adapters/transcribe/fixtures/state-change-completed.json"), "utf8"));
  event.detail.TranscriptionJobName = jobName;
  return event;
};

function cloud(extra: Record<string, string> = {}): Cloud {
  const c = createCloud({ ...env, ...extra }, { s3: new S3Client({}), events: new EventBridgeClient({}), transcribe: new TranscribeClient({}) });
  return { ...c, state: new MemoryStateStore() };
}

beforeEach(() => [s3, events, transcribe].forEach((m) => m.reset()));
afterEach(() => vi.restoreAllMocks());

describe("transcribe-complete: this deployment's jobs only", () => {
  it.each([
    ["another stage of the same app", `media-pipeline.dev.${mediaId}-transcript`],
    ["a stage whose name starts with ours", `media-pipeline.prod-eu.${mediaId}-transcript`],
    ["no prefix", `${mediaId}-transcript`],
    ["another application", "my-first-transcription-job"],
  ])("logs and drops the completion of a job of %s: no lookup, no event, no retry", async (_, jobName) => {
    const c = cloud();
    await c.state.begin(mediaId, "transcribe", 60_000);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await expect(createTranscribeCompletion(c)(stateChange(jobName))).resolves.toBeUndefined();
    expect([...s3.calls(), ...events.calls(), ...transcribe.calls()]).toEqual([]);
    expect(warn.mock.calls.map((args) => JSON.parse(String(args[0])))).toEqual([
      { message: "transcription job of another deployment ignored", jobName, jobNamePrefix: prefix },
    ]);
    expect((await c.state.list(mediaId))[0]).toMatchObject({ status: "running" });
  });

  it("still refuses a malformed event (a validation error, not a silent drop)", async () => {
    const event = stateChange(`${prefix}${mediaId}-transcript`);
    event.detail.TranscriptionJobStatus = "IN_PROGRESS";
    await expect(createTranscribeCompletion(cloud())(event)).rejects.toThrow(/TranscriptionJobStatus/);
  });

  it("fails at cold start without the prefix, or with one Transcribe cannot take", () => {
    expect(() => createTranscribeCompletion(cloud({ TRANSCRIBE_JOB_PREFIX: "" }))).toThrow(ConfigurationError);
    expect(() => createTranscribeCompletion(cloud({ TRANSCRIBE_JOB_PREFIX: "media pipeline/prod" }))).toThrow(/TRANSCRIBE_JOB_PREFIX/);
  });
});

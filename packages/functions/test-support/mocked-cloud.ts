import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerA2IRuntimeClient } from "@aws-sdk/client-sagemaker-a2i-runtime";
import { SQSClient } from "@aws-sdk/client-sqs";
import { TranscribeClient } from "@aws-sdk/client-transcribe";
import { catalog, makeEvent, MemoryStateStore, parseEvent, type AnyPipelineEvent, type DetailType, type ObjectRef } from "@media-pipeline/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { createS3Workspace } from "../src/adapters/s3-workspace.js";
import { createCloud, type Cloud } from "../src/cloud.js";
import { installObjects, s3ClientConfig, type AwsStubLike, type StoredObjects } from "./media-bucket.js";
import { startObjectServer, type ObjectServer } from "./object-server.js";

/*
 * The cloud's handlers on mocked AWS clients, set up once for every test file that runs them: every
 * client mocked, an in-memory bucket behind S3 (optionally served over HTTP for ffmpeg's presigned
 * URLs), PutEvents accepted, an empty Rekognition backlog, state in memory and a workspace of the
 * file's own (test files run in parallel and a workspace's clear() removes its whole root).
 */

export const BUCKET = "media-bucket";
export const MEDIA_ID = "01jd8x7k2m4n6p8q0r2s4t6v8w";
/** An EventBridge envelope's fields for `makeEvent`. */
export const ENVELOPE = { id: "e1", time: new Date("2026-11-20T10:00:00Z"), account: "111122223333", region: "us-east-1" };

/** The configuration each part of the cloud reads, as the stacks set it; compose what a test needs. */
export const ENV = {
  base: { EVENT_BUS_NAME: "media-bus", MEDIA_BUCKET: BUCKET, STATE_TABLE: "state" },
  rekognition: {
    REKOGNITION_TOPIC_ARN: "arn:aws:sns:us-east-1:111122223333:AmazonRekognitionMediaPipeline",
    REKOGNITION_ROLE_ARN: "arn:aws:iam::111122223333:role/rekognition-publish",
  },
  a2i: { REVIEW_BACKEND: "a2i", FLOW_DEFINITION_ARN: "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/media-review" },
  transcribe: {
    TRANSCRIBE_CHECK_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/111122223333/transcribe-checks",
    TRANSCRIBE_JOB_PREFIX: "media-pipeline.prod.",
  },
};

/** Dummy credentials and a region: the SDK signs locally, and the mock answers before anything is sent. */
const CLIENT_CONFIG = { region: "us-east-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" } };

export interface MockedCloudOptions {
  /** The functions' environment (see `ENV`). */
  env: Record<string, string>;
  /** Serve the bucket over HTTP, for the presigned URLs ffmpeg and ffprobe read. */
  objectServer?: boolean;
}

/**
 * Mocks every AWS client and registers the hooks that reset them before each test. Call once at the
 * top of a test file; its own `beforeEach` runs after this one, so it can add to the defaults.
 * @example
 * const aws = useMockedCloud({ env: { ...ENV.base, ...ENV.rekognition }, objectServer: true });
 * const { s3, events, rekognition } = aws;
 * await createStageHandler(aws.cloud(), "detect-shots")(event);
 * expect(aws.published().map((e) => e["detail-type"])).toEqual(["Shots Detected"]);
 */
export function useMockedCloud(options: MockedCloudOptions) {
  const mocks = {
    s3: mockClient(S3Client),
    events: mockClient(EventBridgeClient),
    rekognition: mockClient(RekognitionClient),
    transcribe: mockClient(TranscribeClient),
    bedrock: mockClient(BedrockRuntimeClient),
    a2i: mockClient(SageMakerA2IRuntimeClient),
    sqs: mockClient(SQSClient),
    dynamo: mockClient(DynamoDBClient),
  };
  const objects: StoredObjects = new Map();
  /** S3 writes (`put <key>`) and bus publishes (`publish <detail-type>`) in the order they happened. */
  const writes: string[] = [];
  let workdir = "";
  let server: ObjectServer | undefined;

  beforeAll(async () => {
    workdir = mkdtempSync(path.join(os.tmpdir(), "mocked-cloud-"));
    if (options.objectServer) server = await startObjectServer(objects);
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    for (const m of Object.values(mocks)) m.reset();
    objects.clear();
    writes.length = 0;
    installObjects(mocks.s3 as unknown as AwsStubLike, objects, (key) => writes.push(`put ${key}`));
    mocks.events.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => {
      writes.push(...(input.Entries ?? []).map((e) => `publish ${e.DetailType}`));
      return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `event-${i + 1}` })) };
    });
    mocks.dynamo.on(QueryCommand).resolves({ Items: [] }); // an empty Rekognition backlog
  });

  const key = (at: ObjectRef) => `${at.bucket}/${at.key}`;
  const entries = () => mocks.events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);

  return {
    ...mocks,
    /** The bucket behind the S3 mock, by `bucket/key`. */
    objects,
    writes,
    /** The object server (with `objectServer: true`), once the file's `beforeAll` has run. */
    get server(): ObjectServer {
      if (!server) throw new Error("useMockedCloud: no object server (pass objectServer: true)");
      return server;
    },
    /** A folder of this file's own under the OS temp directory. */
    get workdir(): string {
      return workdir;
    },
    /**
     * The cloud on the mocked clients, with state in memory (on a clock the test may move) and a
     * workspace of its own. `env` adds to or overrides the file's environment.
     */
    cloud(env: Record<string, string> = {}, extra: { now?: () => number } = {}): Cloud {
      const c = createCloud({ ...options.env, ...env }, {
        s3: new S3Client(server ? s3ClientConfig(server) : CLIENT_CONFIG), events: new EventBridgeClient(CLIENT_CONFIG),
        rekognition: new RekognitionClient(CLIENT_CONFIG), transcribe: new TranscribeClient(CLIENT_CONFIG),
        bedrock: new BedrockRuntimeClient(CLIENT_CONFIG), a2i: new SageMakerA2IRuntimeClient(CLIENT_CONFIG),
        sqs: new SQSClient(CLIENT_CONFIG), dynamo: new DynamoDBClient(CLIENT_CONFIG),
      });
      const workspace = createS3Workspace({ s3: c.clients.s3, root: mkdtempSync(path.join(workdir, "ws-")) });
      return { ...c, state: new MemoryStateStore(extra.now), workspace };
    },
    /** Stores a JSON document in the bucket. */
    store(at: ObjectRef, value: unknown): void {
      objects.set(key(at), { body: Buffer.from(JSON.stringify(value)), contentType: "application/json" });
    },
    /** A JSON document from the bucket, or undefined. */
    stored(at: ObjectRef): unknown {
      const found = objects.get(key(at));
      return found ? JSON.parse(found.body.toString()) : undefined;
    },
    /** What was put on the bus: detail-type and detail as sent (the envelope is EventBridge's to make). */
    sent(): Array<{ type: string; detail: unknown }> {
      return entries().map((e) => ({ type: e.DetailType!, detail: JSON.parse(e.Detail!) }));
    },
    /** The events put on the bus, on the media bus from our source, validated against the catalog. */
    published(): AnyPipelineEvent[] {
      return entries().map((e) => {
        expect(e).toMatchObject({ EventBusName: "media-bus", Source: "media-pipeline" });
        return parseEvent({
          version: "0", id: "x", "detail-type": e.DetailType, source: e.Source, account: "1", time: "2026-11-20T10:00:00Z", region: "r",
          resources: [], detail: JSON.parse(e.Detail!),
        });
      });
    },
  };
}

export type MockedCloud = ReturnType<typeof useMockedCloud>;

/** An event of `type`: its catalog example for `MEDIA_ID`, with `detail` over it. */
export function exampleEvent<T extends DetailType>(type: T, detail: Record<string, unknown> = {}, envelope: Partial<typeof ENVELOPE> = {}) {
  return makeEvent(type, { ...catalog[type].example, mediaId: MEDIA_ID, correlationId: MEDIA_ID, ...detail }, { ...ENVELOPE, ...envelope });
}

import { routes } from "@media-pipeline/core";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { HANDLERS } from "../../stacks/handlers.js";
import { SIZES, visionFramesDiskSize } from "../../stacks/sizing.js";
import { appTemplates, SYNTHESIS_TIMEOUT_MS, resourcesOf, targetFunction, statementsOfFunction, actionsOf } from "../helpers/stack-templates.js";

/*
 * The pipeline with the vision stages on sampled frames (MEDIA_VISION_MODE=frames, a frame every 3 s):
 * the same wiring, image APIs instead of video jobs, sized for a download and a decode pass.
 */

let pipeline: Template;

beforeAll(async () => {
  ({ Pipeline: pipeline } = await appTemplates());
}, SYNTHESIS_TIMEOUT_MS);

describe("pipeline: frames mode (MEDIA_VISION_MODE=frames)", () => {
  // The same app synthesized with the mode set, beside the default (video) mode's.
  let frames: Template;
  beforeAll(async () => {
    frames = (await appTemplates("alternatives")).Pipeline;
  }, SYNTHESIS_TIMEOUT_MS);

  const routeFunction = (t: Template, name: string) =>
    targetFunction(t, resourcesOf(t, "AWS::Events::Rule").find((r) => String(r.Name).endsWith(`-${name}`))!);
  const mb = (size: string) => Number.parseInt(size, 10);
  const seconds = (t: string) => Number.parseInt(t, 10) * (t.includes("minute") ? 60 : 1);
  const service = (a: string) => !/^(s3|dynamodb|events|sqs|xray):/.test(a);

  it("keeps the route table as the only wiring: the same rules and patterns as in video mode", () => {
    const patterns = (t: Template) => resourcesOf(t, "AWS::Events::Rule").map((r) => JSON.stringify(r.EventPattern)).sort();
    expect(patterns(frames)).toEqual(patterns(pipeline));
    expect(resourcesOf(frames, "AWS::Events::Rule")).toHaveLength(routes.length);
  });

  it.each([
    ["detect-labels", "rekognition:DetectLabels"],
    ["moderate-content", "rekognition:DetectModerationLabels"],
  ])("lets %s call only %s, on the upload it reads itself, with no video job, role or topic", (name, action) => {
    const fn = routeFunction(frames, name);
    const statements = statementsOfFunction(frames, fn);
    expect(actionsOf(statements).filter(service)).toEqual([action]);
    expect(statements.find((s) => s.Action === action).Resource).toBe("*");
    const vars = fn.Properties.Environment.Variables;
    expect(vars).toMatchObject({ VISION_MODE: "frames", FRAME_SAMPLE_SECONDS: "3", MEDIA_PIPELINE_FFMPEG: "/opt/bin/ffmpeg", MEDIA_PIPELINE_FFPROBE: "/opt/bin/ffprobe" });
    expect(Object.keys(vars)).not.toContain("REKOGNITION_TOPIC_ARN");
    // It downloads the upload and writes its document under derived/.
    const reads = statements.find((s) => s.Action === "s3:GetObject");
    expect(JSON.stringify(reads.Resource)).toContain("/media/*");
  });

  it("sizes detect-labels and moderate for a download, a decode pass and the image calls, on the ffmpeg layer", () => {
    for (const name of ["detect-labels", "moderate-content"]) {
      expect(routeFunction(frames, name).Properties, name).toMatchObject({
        MemorySize: mb(SIZES.visionFrames.memorySize),
        // Sized for this deployment's interval (3 s): the frames beside the largest upload.
        EphemeralStorage: { Size: mb(visionFramesDiskSize(3)) },
        Timeout: seconds(SIZES.visionFrames.timeout),
        Architectures: ["x86_64"],
        Layers: [expect.anything()],
      });
    }
  });

  it("leaves video mode's functions small, without the layer or the image APIs", () => {
    for (const name of ["detect-labels", "moderate-content"]) {
      const fn = routeFunction(pipeline, name);
      expect(fn.Properties.MemorySize, name).toBe(mb(SIZES.startJob.memorySize));
      expect(fn.Properties.Layers, name).toBeUndefined();
      expect(fn.Properties.Environment.Variables.VISION_MODE, name).toBeUndefined();
      expect(actionsOf(statementsOfFunction(pipeline, fn)), name).not.toContain("rekognition:DetectLabels");
      expect(actionsOf(statementsOfFunction(pipeline, fn)), name).not.toContain("rekognition:DetectModerationLabels");
    }
  });

  it("keeps the video-job collector, so jobs started before a switch of mode still complete", () => {
    expect(Object.keys(frames.findResources("AWS::SNS::Topic")).some((id) => id.startsWith("RekognitionJobsTopic"))).toBe(true);
    const fns = resourcesOf(frames, "AWS::Lambda::Function");
    expect(fns.some((f) => f.Handler === HANDLERS.rekognitionComplete)).toBe(true);
  });

  it("grants resource * only to actions without resource-level permissions, and no wildcard action", () => {
    const statements = [...resourcesOf(frames, "AWS::IAM::Policy"), ...resourcesOf(frames, "AWS::IAM::Role")].flatMap((r) => [
      ...(r.PolicyDocument?.Statement ?? []),
      ...(r.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement),
    ]);
    const anyResource = new Set([
      "rekognition:DetectLabels", "rekognition:DetectModerationLabels", "rekognition:DetectText",
      "rekognition:StartTextDetection", "rekognition:GetTextDetection",
      "rekognition:StartLabelDetection", "rekognition:GetLabelDetection", "rekognition:StartContentModeration", "rekognition:GetContentModeration",
      "rekognition:StartSegmentDetection", "rekognition:GetSegmentDetection",
      "transcribe:StartTranscriptionJob", "transcribe:GetTranscriptionJob",
      "xray:PutTraceSegments", "xray:PutTelemetryRecords", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
    ]);
    for (const st of statements.filter((x) => [x.Resource].flat().includes("*"))) {
      for (const action of [st.Action].flat()) expect(anyResource, action).toContain(action);
    }
    expect(statements.flatMap((x) => [x.Action].flat()).filter((a: string) => a?.includes("*"))).toEqual([]);
  });

  it("changes nothing else: every other stage has the same permissions as in video mode", () => {
    // request-review differs by the review backend, which this variant also switches (below).
    for (const name of ["probe-received-media", "extract-audio", "detect-shots", "transcribe-audio", "summarize-scenes", "complete-analysis", "finalize-analysis"]) {
      const actions = (t: Template) => actionsOf(statementsOfFunction(t, routeFunction(t, name))).sort();
      expect(actions(frames), name).toEqual(actions(pipeline));
    }
  });
});

describe("pipeline: the A2I review backend (MEDIA_REVIEW_BACKEND=a2i)", () => {
  it("lets request-review start human loops on this app's flow definition only, and nothing of the built-in table", async () => {
    const a2i = (await appTemplates("alternatives")).Pipeline;
    const rule = resourcesOf(a2i, "AWS::Events::Rule").find((r) => String(r.Name).endsWith("-request-review"))!;
    const fn = targetFunction(a2i, rule);
    const statements = statementsOfFunction(a2i, fn);
    const loop = statements.find((s) => s.Action === "sagemaker:StartHumanLoop");
    expect(JSON.stringify(loop.Resource)).toMatch(/:sagemaker:us-east-1:123456789012:flow-definition\/test-media-pipeline-review-flow-[0-9a-f]{10}"/);
    expect(fn.Properties.Environment.Variables).toMatchObject({ REVIEW_BACKEND: "a2i", FLOW_DEFINITION_ARN: loop.Resource });
    expect(fn.Properties.Environment.Variables).not.toHaveProperty("REVIEW_TABLE");
    expect(JSON.stringify(statements)).not.toContain("ReviewTasks");
  }, SYNTHESIS_TIMEOUT_MS);
});

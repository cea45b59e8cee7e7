import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { compilePattern, LAMBDA_TMP_MAX_MB, MAX_UPLOAD_BYTES, MIB, TMP_USE, type TmpUse } from "@media-pipeline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transcriptionJobName } from "../packages/functions/src/adapters/transcribe/job-name.js";
import { findBadModes } from "../stacks/asset-modes.js";
import { Bus } from "../stacks/bus.js";
import { HANDLERS, stageHandler } from "../stacks/handlers.js";
import { Pipeline } from "../stacks/pipeline.js";
import { synthesizeApp, type Synthesized } from "./helpers/synth.js";

// One synthesis for the whole file, to a cloud assembly on disk: the staged assets are what
// cdk-assets zips (modes included) and uploads.
let app: Synthesized;
beforeAll(async () => {
  app = await synthesizeApp();
});
afterAll(() => app?.remove());

type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOf = (type: string, t = app.template(Pipeline)): Array<Record<string, any> & { id: string }> =>
  Object.entries(t.findResources(type) as Record<string, Resource>).map(([id, r]) => ({ id, ...r.Properties }));

describe("synthesized assets", () => {
  it("runs every executable of every function and layer asset as Lambda's non-root user: 0755, all files readable", () => {
    const assets = app.assetDirs();
    // Every function bundle and the ffmpeg layer, at least.
    expect(assets.length).toBeGreaterThan(20);
    const bad = assets.flatMap(({ dir }) => findBadModes(dir).map((b) => ({ ...b, asset: path.basename(dir) })));
    expect(bad).toEqual([]);
  });

  it("stages the ffmpeg layer with ffmpeg and ffprobe as 0755 executables", () => {
    const [layer] = resourcesOf("AWS::Lambda::LayerVersion");
    const key: string = layer!.Content.S3Key;
    const asset = app.assetDirs().find((a) => key.startsWith(a.id));
    expect(asset, `the layer's asset (${key})`).toBeDefined();
    expect(readdirSync(path.join(asset!.dir, "bin")).sort()).toEqual(["ffmpeg", "ffprobe"]);
    for (const bin of ["ffmpeg", "ffprobe"]) {
      expect((statSync(path.join(asset!.dir, "bin", bin)).mode & 0o7777).toString(8), bin).toBe("755");
    }
  });
});

describe("Transcribe jobs of this app and stage only", () => {
  const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
  const jobEvent = (jobName: string) => ({
    version: "0", id: "7f1c", "detail-type": "Transcribe Job State Change", source: "aws.transcribe",
    account: "123456789012", time: "2026-11-20T10:05:00Z", region: "us-east-1", resources: [],
    detail: { TranscriptionJobName: jobName, TranscriptionJobStatus: "COMPLETED" },
  });
  const transcribeRule = () => resourcesOf("AWS::Events::Rule", app.template(Bus)).find((r) => r.EventPattern.source[0] === "aws.transcribe")!;
  const prefixOf = (fn: Record<string, any>) => fn.Environment.Variables.TRANSCRIBE_JOB_PREFIX;

  it("forwards the completion of a job this stage started and none of another stage of the same app", () => {
    const rule = compilePattern(transcribeRule().EventPattern);
    expect(rule.match(jobEvent(`media-pipeline.test.${mediaId}-transcript`))).toBe(true);
    for (const other of [
      `media-pipeline.prod.${mediaId}-transcript`,
      // A stage whose name starts with ours ("test-b"): with `<app>-<stage>-` names this one matched too.
      `media-pipeline.test-b.${mediaId}-transcript`,
      `media-pipeline-test-${mediaId}-transcript`,
      `${mediaId}-transcript`, // unprefixed, as every deployment named its jobs before
      `other-app.test.${mediaId}-transcript`,
    ]) {
      expect(rule.match(jobEvent(other)), other).toBe(false);
    }
  });

  it("gives the stage, the completion and the check the prefix the rule filters on", () => {
    const target = (rule: Record<string, any>, t = app.template(Pipeline)) => t.toJSON().Resources[rule.Targets[0].Arn["Fn::GetAtt"][0]].Properties;
    const stage = target(resourcesOf("AWS::Events::Rule").find((r) => String(r.Name).endsWith("-transcribe-audio"))!);
    const completion = target(transcribeRule(), app.template(Bus));
    const check = resourcesOf("AWS::Lambda::Function").find((f) => f.Handler === HANDLERS.transcribeCheck)!;
    expect(completion.Handler).toBe(HANDLERS.transcribeComplete);
    expect(stage.Handler).toBe("packages/functions/src/handlers/transcribe.handler");
    for (const fn of [stage, completion, check]) expect(prefixOf(fn), fn.Handler).toBe("media-pipeline.test.");
    // The name the stage gives a job is one the rule forwards.
    expect(compilePattern(transcribeRule().EventPattern).match(jobEvent(transcriptionJobName(mediaId, prefixOf(stage))))).toBe(true);
  });
});

describe("/tmp of the functions that run ffmpeg on the upload", () => {
  // What each keeps in /tmp, from core's budget by handler (not from stacks/sizing.ts, which derives
  // the sizes from it): a new function that runs ffmpeg on the upload needs an entry there.
  const useOf = (handler: string): TmpUse => {
    const name = /^packages\/functions\/src\/handlers\/([a-z-]+)\.handler$/.exec(handler)?.[1] ?? handler;
    const use = TMP_USE[name];
    if (!use) throw new Error(`${name} runs ffmpeg on the upload but core's TMP_USE (policy/limits.ts) has no /tmp budget for it`);
    return use;
  };
  /** Functions that read the upload under media/ and have the ffmpeg layer. */
  const ffmpegOnUpload = () => {
    const policies = resourcesOf("AWS::IAM::Policy");
    return resourcesOf("AWS::Lambda::Function").filter((fn) => {
      if (!fn.Environment?.Variables?.MEDIA_PIPELINE_FFMPEG) return false;
      const statements = policies.filter((p) => p.Roles.some((r: any) => r.Ref === fn.Role["Fn::GetAtt"][0])).flatMap((p) => p.PolicyDocument.Statement);
      return statements.some((st: any) => [st.Action].flat().includes("s3:GetObject") && JSON.stringify(st.Resource).includes("/media/*"));
    });
  };

  it("gives each its outputs, plus the largest upload where it keeps a copy, within Lambda's 10,240 MB", () => {
    const found = ffmpegOnUpload();
    expect(found.map((f) => f.Handler)).toEqual(expect.arrayContaining((["probe", "extract-audio"] as const).map(stageHandler)));
    for (const fn of found) {
      const use = useOf(fn.Handler);
      const size = (fn.EphemeralStorage?.Size as number | undefined) ?? 512;
      expect(size * MIB, fn.Handler).toBeGreaterThanOrEqual((use.holdsUpload ? MAX_UPLOAD_BYTES : 0) + use.outputBytes);
      expect(size, fn.Handler).toBeLessThanOrEqual(LAMBDA_TMP_MAX_MB);
    }
    // extract-audio: 6 h of 16 kHz mono WAV (32,000 B/s).
    const extract = found.find((f) => f.Handler === stageHandler("extract-audio"))!;
    expect(extract.EphemeralStorage.Size * MIB).toBeGreaterThanOrEqual(6 * 3600 * 32_000);
  });
});

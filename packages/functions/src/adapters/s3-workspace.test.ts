import { mkdirSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { sdkStreamMixin } from "@smithy/util-stream";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { createS3Workspace, UnsafeWorkspaceKeyError, WorkspaceTransferError } from "./s3-workspace.js";

const s3 = mockClient(S3Client);

describe("S3 workspace for the ffmpeg stages", () => {
  it("streams an object to its mirrored path under the workspace root", async () => {
    s3.reset();
    s3.on(GetObjectCommand, { Bucket: "media-bucket", Key: "media/01jd/clip.mp4" })
      .resolves({ Body: sdkStreamMixin(Readable.from([Buffer.from("not really "), Buffer.from("video")])) } as never);
    const ws = createS3Workspace({ s3: new S3Client({}), root: mkdtempSync(path.join(os.tmpdir(), "ws-")) });
    const file = await ws.fetch({ bucket: "media-bucket", key: "media/01jd/clip.mp4" });
    expect(file).toBe(path.join(ws.root, "media-bucket", "media", "01jd", "clip.mp4"));
    expect(readFileSync(file, "utf8")).toBe("not really video");
  });

  it("pushes every output under a prefix back to the same keys, with content types and lengths", async () => {
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
    const ws = createS3Workspace({ s3: new S3Client({}), root: mkdtempSync(path.join(os.tmpdir(), "ws-")) });
    const dir = ws.pathOf({ bucket: "media-bucket", key: "frames/01jd" });
    mkdirSync(path.join(dir, "sub"), { recursive: true });
    writeFileSync(path.join(dir, "000001.jpg"), "jpeg");
    writeFileSync(path.join(dir, "sub", "manifest.json"), "{}");
    const pushed = await ws.pushTree({ bucket: "media-bucket", key: "frames/01jd" });
    expect(pushed.map((r) => r.key).sort()).toEqual(["frames/01jd/000001.jpg", "frames/01jd/sub/manifest.json"]);
    const calls = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(calls.find((c) => c.Key === "frames/01jd/000001.jpg")).toMatchObject({ Bucket: "media-bucket", ContentType: "image/jpeg", ContentLength: 4 });
  });

  it("refuses keys that would escape the workspace, and reports S3 failures as retryable", async () => {
    s3.reset();
    s3.on(GetObjectCommand).rejects(new Error("SlowDown"));
    const ws = createS3Workspace({ s3: new S3Client({}), root: mkdtempSync(path.join(os.tmpdir(), "ws-")) });
    expect(() => ws.pathOf({ bucket: "media-bucket", key: "../../etc/passwd" })).toThrow(UnsafeWorkspaceKeyError);
    await expect(ws.fetch({ bucket: "media-bucket", key: "media/x.mp4" })).rejects.toBeInstanceOf(WorkspaceTransferError);
  });
});

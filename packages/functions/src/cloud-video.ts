import { rm } from "node:fs/promises";
import {
  derivedRef, forEachLimited, primaryVideo, ShotsDocument, type ObjectRef, type PreparedVideo, type ProbeResult, type VideoPreparer,
} from "@media-pipeline/core";
import { chooseKeyframeStrategy, extractKeyframes, makeRendition } from "@media-pipeline/media";
import { getShotSegments } from "./adapters/rekognition/index.js";
import { mediaUrl, putFile } from "./adapters/s3-media.js";
import type { Cloud } from "./cloud.js";

/*
 * The cloud's video work around Rekognition: the rendition prepare-video makes of a video Rekognition
 * cannot read, and the keyframes of the shots Rekognition's segment detection finds. Both read the
 * video where it is stored (a presigned URL), so neither copies the upload to /tmp.
 */

/** Keyframes live under derived/, which the lifecycle rule expires: derived/frames/<mediaId>/shot-NNNNNN.jpg. */
export const FRAMES_PREFIX = "derived/frames";

/**
 * prepare-video in the cloud: ffmpeg reads the upload from its presigned URL and writes the rendition
 * (policy/rekognition-input.ts says which: a remux for H.264 in another container, else a transcode)
 * to /tmp, which then goes to derived/<mediaId>/rendition.mp4. The probe refused any transcode that
 * would not fit this function's time; the stage's deadline stops ffmpeg if one still runs long.
 * @example createPrepareVideo({ state, publish, preparer: cloudVideoPreparer(cloud) })
 */
export function cloudVideoPreparer(cloud: Cloud): VideoPreparer {
  return {
    async prepare({ source, readiness, target, durationMs, streamIndex }, options = {}): Promise<PreparedVideo> {
      const name = source.key.split("/").pop() ?? source.key;
      if (readiness.rendition === "none") {
        // A video Rekognition reads as uploaded is not routed here; an old event may be.
        return { input: "upload", video: source, reason: readiness.reason, engine: { name: "pass-through", version: "1" } };
      }
      const output = cloud.workspace.pathOf(target);
      const { engine, offsetMs } = await makeRendition(
        { input: await mediaUrl(cloud.clients.s3, source), output, mode: readiness.rendition, name, durationMs, ...(streamIndex !== undefined ? { streamIndex } : {}) },
        { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
      );
      await putFile(cloud.clients.s3, output, target, "video/mp4");
      return { input: "rendition", video: target, reason: readiness.reason, engine, ...(offsetMs ? { offsetMs } : {}) };
    },
  };
}

/** Seeks in flight at once: they mostly wait on S3. */
const KEYFRAME_CONCURRENCY = 4;
/** Keyframe uploads in flight at once. */
const UPLOAD_CONCURRENCY = 8;

/**
 * A finished segment detection job as core's shots document: the SHOT segments (adapters/rekognition/
 * segments.ts), a keyframe per shot taken from the analysed video by seeking (or, for many shots in a
 * long video, by one key-frame pass: packages/media/src/keyframes.ts), stored under derived/frames/. The
 * duration and frame size are the probe's, as the local detector's are, so both runtimes' documents
 * agree for the same file; `frames` holds the keyframes only (the local pass also keeps samples).
 * @example const doc = await shotsFromSegmentJob(cloud, { mediaId, jobId, video }, { signal, budgetMs })
 */
export async function shotsFromSegmentJob(
  cloud: Cloud,
  job: { mediaId: string; jobId: string; video: ObjectRef },
  options: { signal?: AbortSignal; budgetMs: number },
): Promise<ShotsDocument> {
  const segments = await getShotSegments(cloud.clients.rekognition, job.jobId);
  const probe = await cloud.blobs.getJson<ProbeResult>(derivedRef(job.video, job.mediaId, "probe.json")).catch(() => undefined);
  const stream = probe && primaryVideo(probe);
  const lastStart = segments.shots.at(-1)?.startMs ?? 0;
  const durationMs = Math.max(probe?.durationMs || segments.video?.durationMs || 0, lastStart);
  const sizeBytes = (await cloud.blobs.size(job.video)) ?? 0;
  const strategy = chooseKeyframeStrategy({
    shots: segments.shots.length, durationMs, sizeBytes, budgetMs: options.budgetMs, concurrency: KEYFRAME_CONCURRENCY,
  });
  const dirKey = `${FRAMES_PREFIX}/${job.mediaId}`;
  const outDir = cloud.workspace.pathOf({ bucket: job.video.bucket, key: dirKey });
  const refOf = (index: number): ObjectRef => ({ bucket: job.video.bucket, key: `${dirKey}/shot-${String(index).padStart(6, "0")}.jpg` });
  let keyframes: Awaited<ReturnType<typeof extractKeyframes>>;
  try {
    keyframes = await extractKeyframes(segments.shots, {
      input: await mediaUrl(cloud.clients.s3, job.video), outDir, strategy, concurrency: KEYFRAME_CONCURRENCY,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await forEachLimited(keyframes.frames, UPLOAD_CONCURRENCY, (f) => putFile(cloud.clients.s3, f.file, refOf(f.index), "image/jpeg"));
  } finally {
    // The completion's function stays warm with its /tmp: keep nothing.
    await rm(outDir, { recursive: true, force: true });
  }
  const at = new Map(keyframes.frames.map((f) => [f.index, f.timestampMs]));
  return ShotsDocument.parse({
    durationMs,
    width: stream?.width ?? segments.video?.width ?? 1,
    height: stream?.height ?? segments.video?.height ?? 1,
    shots: segments.shots.map((s) => ({ ...s, keyframe: refOf(s.index) })),
    frames: segments.shots.map((s) => ({ timestampMs: at.get(s.index) ?? s.startMs, shotIndex: s.index, frame: refOf(s.index), keyframe: true })),
    engine: {
      ...segments.engine,
      settings: { ...segments.engine.settings, keyframes: { engine: `ffmpeg ${keyframes.engine.version}`, ...keyframes.engine.settings } },
      ...(segments.engine.note || keyframes.engine.note ? { note: [segments.engine.note, keyframes.engine.note].filter(Boolean).join(" ") } : {}),
    },
  });
}

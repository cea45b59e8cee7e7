import { MediaRejectedError } from "../errors.js";
import type { MediaLimits } from "../ports.js";
import type { MediaStream, ProbeResult, VideoReadiness } from "../results/documents.js";

/*
 * Which video Rekognition Video can read as uploaded, and what the cloud does with the rest.
 *
 * Rekognition Video reads H.264 in MP4 or MOV ("The video must be encoded using the H.264 codec. The
 * supported file formats are MPEG-4 and MOV", https://docs.aws.amazon.com/rekognition/latest/dg/video.html;
 * the API reference also names .avi). The upload API takes WebM, Matroska, Ogg, MPEG and 3GPP too, and
 * phones record HEVC: a job on such a file ends FAILED. So the probe decides, from the container and
 * the video codec, whether the upload is ready; if not, the cloud's prepare-video stage writes a
 * rendition Rekognition reads (derived/<mediaId>/rendition.mp4): a remux when the video is already
 * H.264 (no re-encoding: bound by reading and writing the file), else an H.264 transcode.
 *
 * Why a rendition and not sampled frames (the image APIs, frames mode) for video Rekognition cannot
 * read: the video jobs give the same results for every upload (tracked labels, moderation over time,
 * and shot segments, which detect-shots needs too: frames would leave shots to a full decode in one
 * Lambda, the very thing that does not fit for long media). A transcode decodes every frame as well,
 * so it is bounded: the probe refuses video whose transcode would not fit the prepare-video function
 * (`MediaLimits.maxTranscodeCpuMs`), with a reason that says how to upload it instead.
 */

/** ffprobe's codec names, in words for people. */
const CODEC_NAMES: Readonly<Record<string, string>> = {
  h264: "H.264", hevc: "HEVC (H.265)", vp8: "VP8", vp9: "VP9", av1: "AV1", mpeg2video: "MPEG-2", mpeg1video: "MPEG-1",
  mpeg4: "MPEG-4 Part 2", h263: "H.263", theora: "Theora", prores: "ProRes", mjpeg: "Motion JPEG", wmv3: "WMV 9", vc1: "VC-1",
};

const codecName = (codec: string) => CODEC_NAMES[codec] ?? codec;

/** The container in words, and whether Rekognition Video reads it. */
function containerOf(probe: Pick<ProbeResult, "container" | "brand">): { name: string; readable: boolean } {
  const format = probe.container;
  if (/(^|,)mov(,|$)/.test(format) && /(^|,)mp4(,|$)/.test(format)) {
    // MP4, MOV and 3GP share one demuxer; the major brand tells them apart. 3GP is not among the
    // formats Rekognition names, and a remux into MP4 costs one read and write of the video.
    const brand = (probe.brand ?? "").trim().toLowerCase();
    if (brand.startsWith("3g")) return { name: "3GP", readable: false };
    return { name: brand === "qt" ? "MOV" : "MP4", readable: true };
  }
  if (format === "avi") return { name: "AVI", readable: true };
  const names: Record<string, string> = {
    "matroska,webm": "Matroska/WebM", mpegts: "MPEG-TS", mpeg: "MPEG-PS", flv: "FLV", ogg: "Ogg", asf: "ASF (WMV)", mxf: "MXF",
  };
  return { name: names[format] ?? format, readable: false };
}

/** The video stream the vision stages look at: the first one that is real video (not cover art). */
export function primaryVideo(probe: Pick<ProbeResult, "streams">): MediaStream | undefined {
  return probe.streams.find((s) => s.type === "video");
}

/**
 * Whether Rekognition Video reads the video as uploaded, and if not, what a readable copy takes.
 * @example rekognitionReadiness(probe) // { rekognitionReady: false, rendition: "remux", reason: "H.264 video in a Matroska/WebM container: …" }
 */
export function rekognitionReadiness(probe: Pick<ProbeResult, "container" | "brand" | "streams">): VideoReadiness {
  const video = primaryVideo(probe);
  const container = containerOf(probe);
  const codec = video?.codec ?? "unknown";
  if (codec === "h264" && container.readable) {
    return { rekognitionReady: true, rendition: "none", reason: `H.264 video in ${container.name}, which Rekognition Video reads as uploaded` };
  }
  const reads = "Rekognition Video reads H.264 in MP4, MOV or AVI only";
  if (codec === "h264") {
    return {
      rekognitionReady: false, rendition: "remux",
      reason: `H.264 video in a ${container.name} container: ${reads}, so the video is remuxed into MP4 (not re-encoded)`,
    };
  }
  return {
    rekognitionReady: false, rendition: "transcode",
    reason: `${codecName(codec)} video in ${container.readable ? "" : "a "}${container.name}${container.readable ? "" : " container"}: ${reads}, so the video is transcoded to H.264 MP4`,
  };
}

/**
 * CPU time to transcode one frame into the rendition (H.264, libx264 ultrafast, at most 720p), by the
 * input's pixels: 4 ms plus 4 ms per 1280×720 of input. Measured on this project's 2-core build
 * machine (CPU time, so it does not depend on how many cores): 60 s of 720p30 VP9 or HEVC took 10.4–11.7
 * CPU-s (5.8–6.5 ms a frame), 20 s of 1080p30 took 6.6–7.2 CPU-s (11–12 ms a frame), on noisy test
 * pictures that compress worse than any camera's. veryfast took 2–3 times longer (24–37 CPU-s per
 * minute of 720p), which is why the rendition uses ultrafast: nobody watches it, Rekognition reads it.
 */
export function transcodeCpuMsPerFrame(video: Pick<MediaStream, "width" | "height"> | undefined): number {
  const pixels = (video?.width ?? 1280) * (video?.height ?? 720);
  return 4 + (4 * pixels) / (1280 * 720);
}

/** Lambda gives a function the equivalent of one vCPU per 1,769 MB of memory. https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html */
export const LAMBDA_MB_PER_VCPU = 1769;

/** The function that makes renditions (prepare-video): stacks/sizing.ts sizes it from this. */
export const RENDITION_FUNCTION = { memoryMb: 3008, timeoutMs: 15 * 60_000 } as const;

/**
 * The share of that function's time a transcode may be planned to take. The rest is for what is not
 * the transcode: the time core keeps to settle a stage (10 % of it), uploading the rendition (at most
 * 2.25 GB an hour, RENDITION_TRANSCODE's ceiling), and how far a real video strays from the estimate.
 */
export const TRANSCODE_TIME_SHARE = 0.6;

/**
 * The CPU time (ms) a transcode may take in the rendition function: 918 CPU-s at 3,008 MB and 15
 * minutes, which by `transcodeCpuMsPerFrame` is about 64 min of 720p30, 39 min of 1080p30 or 13 min of
 * 2160p30 (half those at 60 fps). Longer video Rekognition cannot read is refused by the probe.
 */
export function transcodeBudgetCpuMs(fn: { memoryMb: number; timeoutMs: number } = RENDITION_FUNCTION): number {
  return Math.floor(fn.timeoutMs * TRANSCODE_TIME_SHARE * (fn.memoryMb / LAMBDA_MB_PER_VCPU));
}

/** Amazon Transcribe's batch limit per file (with 2 GB): longer media with sound cannot be transcribed. https://docs.aws.amazon.com/transcribe/latest/dg/limits-guidelines.html */
export const TRANSCRIBE_MAX_DURATION_MS = 4 * 3600_000;

/** Frames in the video stream (the probe's frame rate; 30 when it reports none). */
export function videoFrames(probe: Pick<ProbeResult, "durationMs" | "streams">): number {
  const fps = primaryVideo(probe)?.fps ?? 30;
  return Math.ceil((probe.durationMs / 1000) * fps);
}

/** The CPU time (ms) the rendition's transcode of this video takes, by `transcodeCpuMsPerFrame`. */
export function transcodeCpuMs(probe: Pick<ProbeResult, "durationMs" | "streams">): number {
  return Math.round(videoFrames(probe) * transcodeCpuMsPerFrame(primaryVideo(probe)));
}

function hours(ms: number): string {
  const h = ms / 3600_000;
  if (h >= 1) return `${Number(h.toFixed(2))} h`;
  return `${Math.round(ms / 60_000)} min`;
}

/**
 * The limits a service sets on top of the size and duration caps, checked once the probe has read
 * the media: audio longer than Transcribe's batch limit, and video Rekognition cannot read whose
 * transcode would not fit the function that makes the rendition. Throws `MediaRejectedError`
 * ("too-long") saying which limit and what to do; the local runtime sets neither.
 */
export function checkServiceLimits(
  probe: Pick<ProbeResult, "durationMs" | "hasAudio" | "streams">, readiness: VideoReadiness | undefined, limits: MediaLimits, name: string,
): void {
  if (limits.maxSpeechDurationMs !== undefined && probe.hasAudio && probe.durationMs > limits.maxSpeechDurationMs) {
    throw new MediaRejectedError(
      "too-long",
      `${name} is ${hours(probe.durationMs)} long with sound, over the ${hours(limits.maxSpeechDurationMs)} Amazon Transcribe takes in one ` +
        `batch job (its limit, with 2 GB per file): trim it or split it into parts of at most ${hours(limits.maxSpeechDurationMs)}.`,
    );
  }
  if (limits.maxTranscodeCpuMs !== undefined && readiness?.rendition === "transcode") {
    const needed = transcodeCpuMs(probe);
    if (needed > limits.maxTranscodeCpuMs) {
      const video = primaryVideo(probe);
      const fitsMs = Math.floor((limits.maxTranscodeCpuMs / needed) * probe.durationMs);
      throw new MediaRejectedError(
        "too-long",
        `${name} is ${hours(probe.durationMs)} of ${readiness.reason.split(":")[0]}${video?.width ? ` at ${video.width}×${video.height}` : ""}. ` +
          `Rekognition Video reads H.264 only, and converting this much video takes longer than the converting function's ` +
          `time (about ${hours(fitsMs)} of it fits). Upload it as H.264 in MP4 (ffmpeg -i input -c:v libx264 -c:a aac output.mp4), ` +
          `or in parts of at most ${hours(fitsMs)}.`,
      );
    }
  }
}

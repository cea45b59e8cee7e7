import { describe, expect, it } from "vitest";
import { MediaRejectedError } from "../errors.js";
import type { MediaStream } from "../results/documents.js";
import {
  checkServiceLimits, rekognitionReadiness, transcodeBudgetCpuMs, transcodeCpuMs, TRANSCRIBE_MAX_DURATION_MS,
} from "./rekognition-input.js";

const MP4 = "mov,mp4,m4a,3gp,3g2,mj2";
const video = (codec: string, extra: Partial<MediaStream> = {}): MediaStream => ({ index: 0, type: "video", codec, width: 1280, height: 720, fps: 30, ...extra });
const audio: MediaStream = { index: 1, type: "audio", codec: "aac", sampleRate: 44100, channels: 2 };

describe("rekognitionReadiness", () => {
  it("finds H.264 in MP4, MOV and AVI ready as uploaded", () => {
    for (const [container, brand] of [[MP4, "isom"], [MP4, "qt  "], ["avi", undefined]] as const) {
      expect(rekognitionReadiness({ container, brand, streams: [video("h264"), audio] })).toMatchObject({ rekognitionReady: true, rendition: "none" });
    }
  });

  it("asks for a remux of H.264 in a container Rekognition does not read (Matroska, MPEG-TS, 3GP)", () => {
    for (const [container, brand, name] of [["matroska,webm", undefined, "Matroska/WebM"], ["mpegts", undefined, "MPEG-TS"], [MP4, "3gp5", "3GP"]] as const) {
      const r = rekognitionReadiness({ container, brand, streams: [video("h264")] });
      expect(r).toMatchObject({ rekognitionReady: false, rendition: "remux" });
      expect(r.reason).toContain(name);
    }
  });

  it("asks for a transcode of VP9 in WebM and of HEVC in MP4, saying which codec and container", () => {
    const vp9 = rekognitionReadiness({ container: "matroska,webm", streams: [video("vp9"), { ...audio, codec: "opus" }] });
    expect(vp9).toMatchObject({ rekognitionReady: false, rendition: "transcode" });
    expect(vp9.reason).toMatch(/^VP9 video in a Matroska\/WebM container: Rekognition Video reads H\.264/);
    const hevc = rekognitionReadiness({ container: MP4, brand: "qt  ", streams: [video("hevc")] });
    expect(hevc).toMatchObject({ rekognitionReady: false, rendition: "transcode" });
    expect(hevc.reason).toMatch(/^HEVC \(H\.265\) video in MOV:/);
  });

  it("looks at the real video, not cover art (the probe calls it an attachment)", () => {
    const r = rekognitionReadiness({ container: MP4, brand: "isom", streams: [{ index: 0, type: "attachment", codec: "mjpeg" }, video("h264", { index: 1 })] });
    expect(r.rekognitionReady).toBe(true);
  });
});

describe("service limits at the probe", () => {
  const limits = { maxBytes: 1e10, maxDurationMs: 6 * 3600_000, maxSpeechDurationMs: TRANSCRIBE_MAX_DURATION_MS, maxTranscodeCpuMs: transcodeBudgetCpuMs() };

  it("refuses media with sound over Transcribe's 4 h and says that is the limit", () => {
    const probe = { durationMs: 4 * 3600_000 + 60_000, hasAudio: true, streams: [video("h264"), audio] };
    const error = (() => { try { checkServiceLimits(probe, rekognitionReadiness({ container: MP4, streams: probe.streams }), limits, "talk.mp4"); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(MediaRejectedError);
    expect(error).toMatchObject({ reason: "too-long" });
    expect((error as Error).message).toMatch(/talk\.mp4 is 4\.02 h long with sound, over the 4 h Amazon Transcribe takes in one batch job/);
    // Silent video may be longer: Rekognition takes 6 h.
    expect(() => checkServiceLimits({ ...probe, hasAudio: false }, undefined, limits, "talk.mp4")).not.toThrow();
  });

  it("refuses video Rekognition cannot read when its transcode would not fit the converting function, and takes H.264 of any length", () => {
    const hevc = (minutes: number, width = 1920, height = 1080) => ({ durationMs: minutes * 60_000, hasAudio: false, streams: [video("hevc", { width, height })] });
    const ready = (p: ReturnType<typeof hevc>) => rekognitionReadiness({ container: MP4, streams: p.streams });
    expect(() => checkServiceLimits(hevc(30), ready(hevc(30)), limits, "phone.mov")).not.toThrow();
    const long = hevc(90);
    expect(transcodeCpuMs(long)).toBeGreaterThan(limits.maxTranscodeCpuMs);
    expect(() => checkServiceLimits(long, ready(long), limits, "phone.mov")).toThrow(/phone\.mov is 1\.5 h of HEVC \(H\.265\) video .* at 1920×1080.*Upload it as H\.264 in MP4/);
    // The same length as H.264 in Matroska is only remuxed: no transcode, no cap.
    const mkv = { ...long, streams: [video("h264")] };
    expect(() => checkServiceLimits(mkv, rekognitionReadiness({ container: "matroska,webm", streams: mkv.streams }), limits, "obs.mkv")).not.toThrow();
    // The local runtime sets neither cap.
    expect(() => checkServiceLimits(long, ready(long), { maxBytes: 1e10, maxDurationMs: 6 * 3600_000 }, "phone.mov")).not.toThrow();
  });

  it("budgets the transcode at 60 % of a 15-minute, 3,008 MB function: about an hour of 720p30", () => {
    expect(transcodeBudgetCpuMs()).toBe(Math.floor(900_000 * 0.6 * (3008 / 1769)));
    const minutes720 = transcodeBudgetCpuMs() / transcodeCpuMs({ durationMs: 60_000, streams: [video("vp9")] });
    expect(minutes720).toBeGreaterThan(55);
    expect(minutes720).toBeLessThan(70);
  });
});

import { describe, expect, it } from "vitest";
import {
  extractedAudioBytes, formatBytes, framePassBytes, LAMBDA_TMP_MAX_BYTES, LAMBDA_TMP_MAX_MB, LAMBDA_TMP_MIN_MB, MAX_MEDIA_DURATION_MS,
  MAX_UPLOAD_BYTES, MIB, REKOGNITION_VIDEO_MAX_BYTES, TMP_HEADROOM_BYTES, TMP_USE, tmpMbFor, tmpUses, visionFramesTmpUse,
} from "./limits.js";

describe("limits", () => {
  it("budgets the extracted WAV at 32,000 bytes a second plus a header", () => {
    expect(extractedAudioBytes(0)).toBe(4096);
    expect(extractedAudioBytes(1000)).toBe(4096 + 32_000);
    expect(extractedAudioBytes(6 * 3600_000)).toBe(4096 + 691_200_000);
    expect(TMP_USE["extract-audio"]).toEqual({ holdsUpload: false, outputBytes: extractedAudioBytes(MAX_MEDIA_DURATION_MS) });
  });

  it("counts a frame pass's frames as samples plus cuts, each a portrait frame at the width", () => {
    const oneFrame = framePassBytes(0, { sampleEveryMs: 2000, maxWidth: 640 });
    // 640 × 1138 pixels at 0.35 B/px, and a manifest line.
    expect(oneFrame).toBe(Math.ceil(640 * 1138 * 0.35) + 256);
    // One minute: 30 samples, the first frame, 12 cuts.
    expect(framePassBytes(60_000, { sampleEveryMs: 2000, maxWidth: 640 })).toBe(43 * oneFrame);
    expect(visionFramesTmpUse(1000).outputBytes).toBeGreaterThan(visionFramesTmpUse(2000).outputBytes);
  });

  it("caps uploads below Rekognition Video's 10 GB, in whole half-gigabytes, with room beside a held upload for its outputs", () => {
    expect(MAX_UPLOAD_BYTES).toBe(8_000_000_000);
    expect(MAX_UPLOAD_BYTES).toBeLessThan(REKOGNITION_VIDEO_MAX_BYTES);
    expect(MAX_UPLOAD_BYTES % 500_000_000).toBe(0);
    for (const [name, use] of tmpUses()) {
      expect((use.holdsUpload ? MAX_UPLOAD_BYTES : 0) + use.outputBytes + TMP_HEADROOM_BYTES, name).toBeLessThanOrEqual(LAMBDA_TMP_MAX_BYTES);
    }
    // Frames mode downloads the upload, and its frames at the default interval are what bound the cap.
    expect(MAX_UPLOAD_BYTES + 500_000_000 + visionFramesTmpUse().outputBytes + TMP_HEADROOM_BYTES).toBeGreaterThan(LAMBDA_TMP_MAX_BYTES);
  });

  it("sizes /tmp in whole MB between Lambda's bounds, and refuses what does not fit", () => {
    expect(tmpMbFor({ holdsUpload: false, outputBytes: 0 })).toBe(LAMBDA_TMP_MIN_MB);
    expect(tmpMbFor({ holdsUpload: true, outputBytes: 0 })).toBe(Math.ceil((MAX_UPLOAD_BYTES + TMP_HEADROOM_BYTES) / MIB));
    expect(tmpMbFor(TMP_USE["extract-audio"]!)).toBe(Math.ceil((extractedAudioBytes(MAX_MEDIA_DURATION_MS) + TMP_HEADROOM_BYTES) / MIB));
    expect(() => tmpMbFor({ holdsUpload: true, outputBytes: 3e9 })).toThrow(new RegExp(`8 GB of upload plus 3 GB of outputs need \\d+ MB of /tmp, over Lambda's ${LAMBDA_TMP_MAX_MB} MB`));
  });

  it("writes sizes in decimal units, as AWS states its limits", () => {
    expect(formatBytes(6_500_000_000)).toBe("6.5 GB");
    expect(formatBytes(691_204_096)).toBe("691.2 MB");
    expect(formatBytes(52_428_800)).toBe("52.4 MB");
    expect(formatBytes(4096)).toBe("4 kB");
  });
});

import { describe, expect, it } from "vitest";
import { createCloud, settings } from "./cloud.js";

/* Moderation asks Rekognition down to the review band's floor; labels keep their own floor. */

const env = { EVENT_BUS_NAME: "bus", MEDIA_BUCKET: "media", STATE_TABLE: "state" };

describe("moderation's MinConfidence", () => {
  it("is the labels' 50 with the default band, and the band's floor when the band starts lower", () => {
    expect(settings.moderationMinConfidence(createCloud(env))).toBe(50);
    expect(settings.minConfidence(createCloud(env))).toBe(50);
    const low = createCloud({ ...env, REVIEW_MIN: "0", FLAG_MIN: "80" });
    expect(settings.moderationMinConfidence(low)).toBe(0);
    expect(settings.minConfidence(low)).toBe(50);
    expect(settings.moderationMinConfidence(createCloud({ ...env, REVIEW_MIN: "70" }))).toBe(50);
    expect(settings.moderationMinConfidence(createCloud({ ...env, REVIEW_MIN: "30", REKOGNITION_MIN_CONFIDENCE: "20" }))).toBe(20);
  });
});

import { describe, expect, it } from "vitest";
import { readSettings, SettingsError } from "../stacks/settings.js";

const stack = { region: "us-east-1", account: "123456789012" } as never;

describe("deployment settings", () => {
  it("allows browser uploads only from the origins given, none by default", () => {
    expect(readSettings(stack, {}).uploadOrigins).toEqual([]);
    expect(readSettings(stack, { MEDIA_UPLOAD_ORIGINS: "https://app.example.com, http://localhost:5173" }).uploadOrigins)
      .toEqual(["https://app.example.com", "http://localhost:5173"]);
  });

  it("allows 3 human loops per review by default, and refuses a count outside 1–10", () => {
    expect(readSettings(stack, {}).reviewMaxAttempts).toBe(3);
    expect(readSettings(stack, { MEDIA_REVIEW_MAX_ATTEMPTS: "5" }).reviewMaxAttempts).toBe(5);
    for (const bad of ["0", "11", "2.5", "many"]) {
      expect(() => readSettings(stack, { MEDIA_REVIEW_MAX_ATTEMPTS: bad }), bad).toThrow(/MEDIA_REVIEW_MAX_ATTEMPTS/);
    }
  });

  it("refuses an upload origin that is not an http(s) origin", () => {
    expect(() => readSettings(stack, { MEDIA_UPLOAD_ORIGINS: "app.example.com/path" })).toThrow(SettingsError);
  });

  it("runs vision as Rekognition Video jobs by default; frames mode samples every 2 s unless told otherwise", () => {
    expect(readSettings(stack, {})).toMatchObject({ visionMode: "video", frameSampleSeconds: 2 });
    expect(readSettings(stack, { MEDIA_VISION_MODE: "frames" })).toMatchObject({ visionMode: "frames", frameSampleSeconds: 2 });
    expect(readSettings(stack, { MEDIA_VISION_MODE: "frames", MEDIA_FRAME_SAMPLE_SECONDS: "0.5" }).frameSampleSeconds).toBe(0.5);
  });

  it("refuses an unknown vision mode or a sampling interval outside 0.5–60 s, listing both", () => {
    const error = (() => {
      try {
        readSettings(stack, { MEDIA_VISION_MODE: "frame", MEDIA_FRAME_SAMPLE_SECONDS: "0.2" });
      } catch (e) {
        return e as SettingsError;
      }
    })();
    expect(error).toBeInstanceOf(SettingsError);
    expect(error!.issues).toEqual([
      'MEDIA_VISION_MODE: "frame" is not video or frames',
      'MEDIA_FRAME_SAMPLE_SECONDS: "0.2" is not a number of seconds 0.5–60',
    ]);
    for (const bad of ["61", "two", "-1"]) {
      expect(() => readSettings(stack, { MEDIA_VISION_MODE: "frames", MEDIA_FRAME_SAMPLE_SECONDS: bad }), bad).toThrow(/MEDIA_FRAME_SAMPLE_SECONDS/);
    }
  });

  it("reviews with the built-in backend by default, A2I only when asked, and refuses anything else", () => {
    expect(readSettings(stack, {})).toMatchObject({ reviewBackend: "builtin", reviewAuth: { type: "cognito" }, reviewTimeoutMinutes: 4320, reviewerEmails: [] });
    expect(readSettings(stack, { MEDIA_REVIEW_BACKEND: "a2i" }).reviewBackend).toBe("a2i");
    expect(() => readSettings(stack, { MEDIA_REVIEW_BACKEND: "mturk" })).toThrow(/MEDIA_REVIEW_BACKEND: "mturk" is neither builtin nor a2i/);
  });

  it("takes the review band from MEDIA_REVIEW_MIN / MEDIA_FLAG_MIN and refuses a band that is not one", () => {
    expect(readSettings(stack, {}).thresholds).toMatchObject({ reviewMin: 50, flagMin: 80 });
    expect(readSettings(stack, { MEDIA_REVIEW_MIN: "0", MEDIA_FLAG_MIN: "95" }).thresholds).toMatchObject({ reviewMin: 0, flagMin: 95 });
    expect(() => readSettings(stack, { MEDIA_REVIEW_MIN: "90", MEDIA_FLAG_MIN: "80" })).toThrow(/must not exceed flagMin/);
    expect(() => readSettings(stack, { MEDIA_REVIEW_MIN: "high" })).toThrow(/MEDIA_REVIEW_MIN/);
  });

  it("bounds the review timeout, checks reviewer addresses, and takes an OIDC issuer only with an audience", () => {
    expect(readSettings(stack, { MEDIA_REVIEW_TIMEOUT_MINUTES: "60" }).reviewTimeoutMinutes).toBe(60);
    for (const bad of ["0", "4", "43201", "1.5", "soon"]) {
      expect(() => readSettings(stack, { MEDIA_REVIEW_TIMEOUT_MINUTES: bad }), bad).toThrow(/MEDIA_REVIEW_TIMEOUT_MINUTES/);
    }
    expect(readSettings(stack, { MEDIA_REVIEWER_EMAILS: "a@example.com, b@example.org" }).reviewerEmails).toEqual(["a@example.com", "b@example.org"]);
    expect(() => readSettings(stack, { MEDIA_REVIEWER_EMAILS: "a@example.com, nobody" })).toThrow(/"nobody" is not an e-mail address/);
    expect(readSettings(stack, { MEDIA_REVIEW_OIDC_ISSUER: "https://login.example.com/", MEDIA_REVIEW_OIDC_AUDIENCE: "review-app" }).reviewAuth)
      .toEqual({ type: "oidc", issuer: "https://login.example.com/", audience: ["review-app"] });
    expect(() => readSettings(stack, { MEDIA_REVIEW_OIDC_ISSUER: "https://login.example.com/" })).toThrow(/MEDIA_REVIEW_OIDC_AUDIENCE/);
    expect(() => readSettings(stack, { MEDIA_REVIEW_OIDC_ISSUER: "http://login.example.com/", MEDIA_REVIEW_OIDC_AUDIENCE: "x" })).toThrow(/not an https URL/);
  });
});

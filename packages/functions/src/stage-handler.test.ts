import { catalog, EventValidationError, makeEvent } from "@media-pipeline/core";
import { describe, expect, it } from "vitest";
import { ConfigurationError, NotImplementedError } from "./errors.js";
import { readConfig, StageConfig } from "./config.js";
import { createStageHandler } from "./stage-handler.js";

const config = { EVENT_BUS_NAME: "media-bus", MEDIA_BUCKET: "media-bucket", STATE_TABLE: "state" };
const ctx = { id: "9f1c", time: new Date("2026-11-20T10:00:00Z"), account: "111122223333", region: "us-east-1" };

describe("stage handler", () => {
  it("validates the event, then says plainly that the stage has no AWS adapters yet", async () => {
    const event = makeEvent("Media Received", catalog["Media Received"].example, ctx);
    const error = await createStageHandler("probe", config)(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotImplementedError);
    expect(error).toMatchObject({ name: "NotImplementedError", stage: "probe", retryable: false });
    expect((error as Error).message).toMatch(/"probe" stage has no AWS adapters yet.*cloud-wiring issue/);
  });

  it("rejects an event whose detail breaks the catalog before anything else", async () => {
    const event = { ...makeEvent("Media Received", catalog["Media Received"].example, ctx), detail: { version: 1 } };
    await expect(createStageHandler("probe", config)(event)).rejects.toThrow(EventValidationError);
  });
});

describe("function environment", () => {
  it("lists every missing variable at once", () => {
    const error = (() => {
      try {
        return readConfig(StageConfig, { EVENT_BUS_NAME: "media-bus", STATE_TABLE: " " });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).issues.map((i) => i.split(":")[0])).toEqual(["MEDIA_BUCKET", "STATE_TABLE"]);
  });
});

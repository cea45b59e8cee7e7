import { describe, expect, it } from "vitest";
import { readSettings, SettingsError } from "../stacks/settings.js";

const stack = { region: "us-east-1", account: "123456789012" } as never;

describe("deployment settings", () => {
  it("allows browser uploads only from the origins given, none by default", () => {
    expect(readSettings(stack, {}).uploadOrigins).toEqual([]);
    expect(readSettings(stack, { MEDIA_UPLOAD_ORIGINS: "https://app.example.com, http://localhost:5173" }).uploadOrigins)
      .toEqual(["https://app.example.com", "http://localhost:5173"]);
  });

  it("refuses an upload origin that is not an http(s) origin", () => {
    expect(() => readSettings(stack, { MEDIA_UPLOAD_ORIGINS: "app.example.com/path" })).toThrow(SettingsError);
  });
});

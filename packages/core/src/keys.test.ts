import { describe, expect, it } from "vitest";
import { derivedKey, parseUploadKey, safeKeyName, uploadKey } from "./keys.js";

const id = "01jd8x7k2m4n6p8q0r2s4t6v8w";

describe("storage keys", () => {
  it("makes any file name safe for a key, never a path", () => {
    expect(safeKeyName("../../etc/passwd")).toBe("passwd");
    expect(safeKeyName("Ünïcode talk (final).MP4")).toBe("n_code_talk_final_.MP4");
    expect(safeKeyName("..")).toBe("upload");
    expect(safeKeyName("a\\b\\c.mp4")).toBe("c.mp4");
    expect(safeKeyName("$(rm -rf ~).mp4")).toBe("rm_-rf_.mp4");
  });

  it("round-trips an upload key and refuses other keys", () => {
    expect(parseUploadKey(uploadKey(id, "my clip.mp4"))).toEqual({ mediaId: id, filename: "my_clip.mp4" });
    expect(parseUploadKey(`derived/${id}/x.json`)).toBeUndefined();
    expect(parseUploadKey("media/NOT-AN-ID/x.mp4")).toBeUndefined();
    expect(derivedKey(id, "shots.json")).toBe(`derived/${id}/shots.json`);
  });
});

import { MemoryStateStore, type BlobStore, type ObjectRef, type SceneInput, type ShotsDocument } from "@media-pipeline/core";
import { describe, expect, it, vi } from "vitest";
import { createSceneKeyframes, withSceneKeyframes } from "./scene-keyframes.js";

const mediaId = "01jd8x7k2m4n6p8q0r2s4t6v8w";
const shotsRef: ObjectRef = { bucket: "b", key: `derived/${mediaId}/shots.json` };
const keyframe = (i: number): ObjectRef => ({ bucket: "b", key: `derived/frames/${mediaId}/${i}.jpg` });
const shotsDoc: ShotsDocument = {
  durationMs: 10_000, width: 160, height: 90, frames: [], engine: { name: "ffmpeg", version: "t" },
  shots: [0, 1, 2, 3, 4].map((index) => ({ index, startMs: index * 2000, endMs: index * 2000 + 2000, cutScore: 1, keyframe: keyframe(index) })),
};

async function setup(options: { shots?: boolean } = {}) {
  const state = new MemoryStateStore();
  if (options.shots !== false) {
    await state.begin(mediaId, "detect-shots", 1000);
    await state.finish(mediaId, "detect-shots", { events: [], facts: { ref: shotsRef } });
  }
  const getJson = vi.fn(async () => shotsDoc);
  const blobs = { getJson } as unknown as BlobStore;
  const send = vi.fn(async (command: { input: { Key: string } }) => ({
    Body: { transformToByteArray: async () => new TextEncoder().encode(command.input.Key) },
  }));
  const load = createSceneKeyframes({ state, blobs, s3: { send } as never, mediaId });
  const keys = () => send.mock.calls.map(([c]) => c.input.Key);
  return { load, getJson, keys };
}

describe("scene keyframes", () => {
  it("loads at most two keyframes per scene, first and last shot, reading the shots document once", async () => {
    const { load, getJson, keys } = await setup();
    const a = await load([0, 1, 2]);
    const b = await load([3, 4]);
    expect(a.map((x) => new TextDecoder().decode(x))).toEqual([keyframe(0).key, keyframe(2).key]);
    expect(b).toHaveLength(2);
    expect(keys()).toEqual([0, 2, 3, 4].map((i) => keyframe(i).key));
    expect(getJson).toHaveBeenCalledTimes(1);
    expect(getJson).toHaveBeenCalledWith(shotsRef);
  });

  it("has no keyframes without a done detect-shots record or for a scene without shots", async () => {
    const none = await setup({ shots: false });
    expect(await none.load([0, 1])).toEqual([]);
    expect(none.keys()).toEqual([]);
    const some = await setup();
    expect(await some.load([])).toEqual([]);
    expect(some.getJson).not.toHaveBeenCalled();
  });

  it("maps the summarizer's scene index to that scene's shots", async () => {
    const load = vi.fn(async (shots: readonly number[]) => shots.map((s) => new Uint8Array([s])));
    const scene = (index: number, shotIndexes: number[]): SceneInput => ({ index, startMs: 0, endMs: 1, shotIndexes, transcript: [], labels: [], moderation: [] });
    const seen: Uint8Array[][] = [];
    const summarizer = withSceneKeyframes(load, (keyframes) => ({
      async summarize(scenes) {
        for (const s of scenes) seen.push(await keyframes(s.index));
        return { scenes: [], engine: { name: "x", version: "1" } };
      },
    }));
    await summarizer.summarize([scene(0, [0]), scene(1, [1, 2, 3])]);
    expect(load.mock.calls.map(([s]) => s)).toEqual([[0], [1, 2, 3]]);
    expect(seen.map((imgs) => imgs.map((i) => i[0]))).toEqual([[0], [1, 2, 3]]);
  });
});

import { describe, expect, it } from "vitest";
import { sseMessages } from "./events.js";

async function* chunks(...parts: string[]) {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function collect(...parts: string[]) {
  const out = [];
  for await (const m of sseMessages(chunks(...parts))) out.push(m);
  return out;
}

describe("SSE framing", () => {
  it("reassembles messages split across chunks, with ids, and skips heartbeat comments", async () => {
    expect(await collect("id: 7\nda", "ta: {\"a\":1}\n", "\n: heartbeat\n\nid: 8\r\ndata: x\r\n\r\n")).toEqual([
      { id: "7", data: "{\"a\":1}" },
      { id: "8", data: "x" },
    ]);
  });

  it("joins multi-line data and ignores a trailing message that never ended", async () => {
    expect(await collect("event: e\ndata: one\ndata: two\n\ndata: cut off")).toEqual([{ event: "e", data: "one\ntwo" }]);
  });
});

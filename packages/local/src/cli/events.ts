import { setTimeout as sleep } from "node:timers/promises";
import { compilePattern, parseEvent, type AnyPipelineEvent } from "@media-pipeline/core";

export interface FollowOptions {
  server: string;
  token: string;
  /** An EventBridge pattern (JSON text); checked here before connecting. */
  pattern?: string;
  /** Resume after this log position (the SSE id of the last event seen). */
  after?: string;
  json: boolean;
  /** Stop after this many events (for scripts and tests); follow forever otherwise. */
  limit?: number;
  signal?: AbortSignal;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** One SSE message as the stream framed it. */
interface SseMessage { id?: string; event?: string; data: string }

/** Splits an SSE byte stream into messages (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export async function* sseMessages(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = "";
  let msg: SseMessage = { data: "" };
  let hasData = false;
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
      if (line === "") {
        if (hasData) yield { ...msg, data: msg.data.replace(/\n$/, "") };
        msg = { data: "" };
        hasData = false;
        continue;
      }
      if (line.startsWith(":")) continue; // a comment (heartbeat)
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") {
        msg.data += `${value}\n`;
        hasData = true;
      } else if (field === "id") msg.id = value;
      else if (field === "event") msg.event = value;
    }
  }
}

function describe(e: AnyPipelineEvent): string {
  return `${e.time}  ${e["detail-type"].padEnd(21)} ${e.detail.mediaId}`;
}

/**
 * Prints the server's events as they arrive, filtered by a pattern, and reconnects with
 * `Last-Event-ID` after a dropped connection so nothing is missed or printed twice.
 * Returns the number of events printed.
 */
export async function followEvents(o: FollowOptions): Promise<number> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  if (o.pattern) compilePattern(JSON.parse(o.pattern)); // an invalid pattern fails here, with EventBridge's reason
  const url = new URL("/events", o.server);
  if (o.pattern) url.searchParams.set("pattern", o.pattern);
  let lastId = o.after;
  let printed = 0;
  let backoff = 250;
  while (!o.signal?.aborted) {
    try {
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${o.token}`, accept: "text/event-stream", ...(lastId ? { "last-event-id": lastId } : {}) },
        ...(o.signal ? { signal: o.signal } : {}),
      });
      if (res.status === 401 || res.status === 400) throw new Error(`${res.status}: ${await res.text()}`);
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      backoff = 250;
      for await (const m of sseMessages(res.body)) {
        if (m.id) lastId = m.id;
        const event = parseEvent(m.data);
        out.write(o.json ? `${JSON.stringify({ id: m.id, event })}\n` : `${describe(event)}\n`);
        if (o.limit !== undefined && ++printed >= o.limit) return printed;
      }
    } catch (error) {
      if (o.signal?.aborted) break;
      if (/^(400|401):/.test((error as Error).message)) throw error;
      err.write(`connection lost (${(error as Error).message}); reconnecting after event ${lastId ?? "(start)"}\n`);
    }
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 10_000);
  }
  return printed;
}

import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { compilePattern, InvalidPatternError, type AnyPipelineEvent, type CompiledPattern } from "@media-pipeline/core";
import type { EventRow } from "../store/index.js";
import type { RouteDef, RouteModule, RouteRequest, ServerContext } from "./types.js";

export interface EventsStreamOptions {
  /** Comment lines sent this often keep proxies and idle timeouts from closing a quiet stream. */
  heartbeatMs?: number;
  /** The `retry:` hint: how long an EventSource waits before reconnecting. */
  retryMs?: number;
  /** Rows read from the log per query while catching up. */
  pageSize?: number;
  /**
   * A client this far behind (bytes queued in the socket) is cut off rather than buffered without
   * bound; it reconnects with `Last-Event-ID` and catches up from the log.
   */
  maxQueuedBytes?: number;
}

const DEFAULTS: Required<EventsStreamOptions> = { heartbeatMs: 15_000, retryMs: 3_000, pageSize: 500, maxQueuedBytes: 4 * 1024 * 1024 };

/**
 * `GET /events?pattern=<EventBridge pattern, URL-encoded JSON>`: the bus as server-sent events.
 *
 * Each message is one event (`data:` is the EventBridge-shaped JSON, the default `message` type so
 * `EventSource.onmessage` sees it) and its `id:` is the event's `seq` in the durable log. A client
 * that reconnects with `Last-Event-ID` (or asks with `?since=<seq>`) gets every matching event after
 * that position, then live ones, with no gap and no duplicate. Without either it starts at the live
 * end; `?since=0` replays the whole log. No `pattern` means every event.
 *
 * @example
 * const es = new EventSource(`/events?pattern=${encodeURIComponent(JSON.stringify({ "detail-type": ["Analysis Completed"] }))}`);
 * es.onmessage = (m) => console.log(m.lastEventId, parseEvent(JSON.parse(m.data)).detail.mediaId);
 */
export function eventsModule(options: EventsStreamOptions = {}): RouteModule {
  const opts = { ...DEFAULTS, ...options };
  return {
    routes: (): RouteDef[] => [{ method: "GET", path: "/events", auth: "token", handle: (request, ctx) => streamEvents(request, ctx, opts) }],
  };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** Where to start: after `Last-Event-ID`, else after `?since=`, else at the live end (undefined). */
function startAfter(request: RouteRequest): number | undefined | Error {
  const header = request.req.headers["last-event-id"];
  const raw = (Array.isArray(header) ? header[0] : header) ?? request.url.searchParams.get("since") ?? undefined;
  if (raw === undefined || raw.trim() === "") return undefined;
  if (!/^\d{1,15}$/.test(raw.trim())) return new Error(`Last-Event-ID (or since) must be an event seq (a non-negative integer), got "${raw.slice(0, 40)}"`);
  return Number(raw.trim());
}

async function streamEvents(request: RouteRequest, ctx: ServerContext, opts: Required<EventsStreamOptions>): Promise<void> {
  const { req, res, url } = request;
  let matcher: CompiledPattern | undefined;
  const rawPattern = url.searchParams.get("pattern");
  if (rawPattern !== null && rawPattern.trim() !== "") {
    try {
      matcher = compilePattern(rawPattern);
    } catch (error) {
      if (error instanceof InvalidPatternError) return sendError(res, 400, "invalid_pattern", error.message);
      throw error;
    }
  }
  const from = startAfter(request);
  if (from instanceof Error) return sendError(res, 400, "invalid_last_event_id", from.message);

  const { store, bus } = ctx.runtime;
  const matches = (event: unknown) => matcher === undefined || matcher.match(event);

  return new Promise<void>((resolve) => {
    let ended = false;
    let live = false;
    /** The highest seq already considered (sent or filtered out); nothing at or below it is sent again. */
    let cursor = 0;
    const buffered: Array<{ event: AnyPipelineEvent; seq: number }> = [];

    const end = () => {
      if (ended) return;
      ended = true;
      bus.off("event", onEvent);
      clearInterval(heartbeat);
      req.off("close", end);
      res.off("close", end);
      res.off("error", end);
      closing.off("close", end);
      if (!res.writableEnded) res.end();
      resolve();
    };
    const write = (chunk: string) => {
      if (ended) return;
      res.write(chunk);
      if (res.writableLength > opts.maxQueuedBytes) end();
    };
    const send = (seq: number, json: string) => write(`id: ${seq}\ndata: ${json}\n\n`);

    /** Sends the log's events in (cursor, before) synchronously: the catch-up's last page, and any gap. */
    const drainLog = (before: number): number => {
      let rows: EventRow[];
      let n = 0;
      do {
        rows = store.events.page(cursor, before, opts.pageSize);
        for (const row of rows) {
          if (ended) return n;
          if (matches(JSON.parse(row.body))) send(row.seq, row.body);
          cursor = row.seq;
        }
        n += rows.length;
      } while (rows.length === opts.pageSize && n < opts.pageSize * 4);
      return n;
    };

    const sendLive = (event: AnyPipelineEvent, seq: number) => {
      if (seq <= cursor) return;
      // Events reach the emitter in commit order, so a jump means something was missed: read it.
      if (seq > cursor + 1) {
        while (!ended && cursor < seq - 1 && drainLog(seq) > 0);
      }
      if (ended) return;
      if (matches(event)) send(seq, JSON.stringify(event));
      cursor = seq;
    };

    // Subscribed before reading the log: whatever is published while catching up waits here, and the
    // cursor drops what the log already gave.
    const onEvent = (event: AnyPipelineEvent, seq: number) => {
      if (ended) return;
      if (live) sendLive(event, seq);
      else buffered.push({ event, seq });
    };
    bus.on("event", onEvent);
    const heartbeat = setInterval(() => write(": heartbeat\n\n"), opts.heartbeatMs);
    req.on("close", end);
    res.on("close", end);
    res.on("error", end);
    const closing = closingSignal(ctx.closing);
    if (closing.closed) return end();
    closing.on("close", end);

    req.socket.setNoDelay(true);
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    write(`retry: ${opts.retryMs}\n\n`);

    const goLive = () => {
      live = true;
      for (const { event, seq } of buffered.splice(0)) sendLive(event, seq);
    };

    const logEnd = store.events.lastSeq();
    // An id beyond the log's end (a client of a data directory since reset) would hide new events.
    cursor = Math.min(from ?? logEnd, logEnd);
    if (cursor === logEnd) return goLive();
    // Catch up page by page, yielding to the socket between pages so a long log does not pile up in
    // memory. The last page is read and the switch to live made in the same tick: no event can be
    // published in between, so none falls between the log and the buffer.
    const catchUp = async () => {
      while (!ended) {
        const sent = drainLog(Number.MAX_SAFE_INTEGER);
        if (sent < opts.pageSize * 4) return goLive();
        if (res.writableNeedDrain) await drainOrClose(res);
        else await new Promise((r) => setImmediate(r));
      }
    };
    catchUp().catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
      end();
    });
  });
}

/**
 * One emitter per server's `closing` promise. A `.then(end)` per stream would stay attached to the
 * promise (holding the stream's response) until the server closes; listeners come off at each end.
 */
const closers = new WeakMap<Promise<void>, EventEmitter & { closed: boolean }>();
function closingSignal(closing: Promise<void>): EventEmitter & { closed: boolean } {
  let signal = closers.get(closing);
  if (!signal) {
    const created = Object.assign(new EventEmitter(), { closed: false });
    created.setMaxListeners(0);
    const fire = () => {
      created.closed = true;
      created.emit("close");
    };
    void closing.then(fire, fire);
    closers.set(closing, created);
    signal = created;
  }
  return signal;
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** The module with the default settings (what `media-pipeline serve` mounts). */
export const eventsStream: RouteModule = eventsModule();

import { EventEmitter } from "node:events";
import { MediaPipelineError, type AnyPipelineEvent, type ObjectRef } from "@media-pipeline/core";
import type { EventRow, Store } from "../store/index.js";
import { DOCUMENT_SOURCES, INDEXED_TYPES, mediaFactsOf } from "./entries.js";

/*
 * The search indexer: a consumer of the bus, beside the routes (the route table wires the pipeline;
 * search is no stage of it). Like the webhook dispatcher it reads the event log from a cursor kept in
 * SQLite, not from the emitter, so events committed while no indexer ran are indexed on the next
 * start; the bus's `event` only wakes it. Each part of a media item (its transcript, labels, text,
 * scenes, summary) is replaced whole from the event's document, and only by an event at least as new
 * as the one it came from: a re-delivery or a replay writes the same rows again, never a second copy.
 */

/** A document an event points at could not be indexed (missing, not JSON, or not its schema); the event is skipped. */
export class SearchIndexingError extends MediaPipelineError {}

export interface SearchIndexerDeps {
  store: Store;
  /** Where documents are read (the local object store). */
  objects: { getJson<T = unknown>(ref: ObjectRef): Promise<T> };
  /** The bus: its `event` wakes the indexer. Absent: the indexer runs only when asked (`catchUp`). */
  bus?: EventEmitter;
  /** A skipped event or a failed pass (default: one line on stderr). */
  onFault?: (error: Error) => void;
}

const PAGE = 200;
const RETRY_MS = 1_000;
const RETRY_MAX_MS = 30_000;

const isMissingOrInvalid = (error: unknown): boolean => {
  const e = error as { code?: unknown; name?: unknown } | null;
  return e?.code === "ENOENT" || e?.code === "EISDIR" || e instanceof SyntaxError || e?.name === "ZodError";
};

/** Indexes one event (a document, or a fact about the media item); true when it changed the index. */
async function indexEvent(deps: SearchIndexerDeps, event: AnyPipelineEvent, seq: number): Promise<boolean> {
  const { mediaId } = event.detail;
  const type = event["detail-type"];
  const source = DOCUMENT_SOURCES[type];
  if (source) {
    const ref = source.ref(event.detail as unknown as Record<string, unknown>);
    let doc: unknown;
    try {
      doc = source.schema.parse(await deps.objects.getJson(ref));
    } catch (error) {
      if (!isMissingOrInvalid(error)) throw error;
      throw new SearchIndexingError(`${type} #${seq} of ${mediaId}: ${ref.bucket}/${ref.key} cannot be indexed: ${(error as Error).message.slice(0, 300)}`, { cause: error });
    }
    return deps.store.search.replace({ mediaId, source: source.source, seq, entries: source.entries(doc) });
  }
  for (const fact of mediaFactsOf(event)) {
    if (fact.kind === "filename") deps.store.search.noteFilename(mediaId, fact.filename, seq);
    else deps.store.search.noteStatus(mediaId, fact.status, seq, fact.durationMs);
  }
  return mediaFactsOf(event).length > 0;
}

/**
 * Indexes one stored event; a document that cannot be indexed is reported and skipped. Anything else
 * (a disk error, a busy database) is thrown, so that the caller tries the same event again.
 */
async function indexRow(deps: SearchIndexerDeps, row: EventRow, report: (e: Error) => void): Promise<boolean> {
  const event = JSON.parse(row.body) as AnyPipelineEvent;
  if (!INDEXED_TYPES.includes(event["detail-type"])) return false;
  try {
    await indexEvent(deps, event, row.seq);
  } catch (error) {
    if (!(error instanceof SearchIndexingError)) throw error;
    report(error);
  }
  return true;
}

/**
 * Rebuilds one media item's part of the index from its events in the log, whatever the cursor says:
 * what `replay` runs, since the bus replays deliveries to routes and the indexer is not one.
 */
export async function reindexMedia(deps: SearchIndexerDeps, mediaId: string): Promise<void> {
  const report = deps.onFault ?? reportOnStderr;
  for (const row of deps.store.events.ofMedia(mediaId)) await indexRow(deps, row, report);
}

const reportOnStderr = (error: Error): void => void process.stderr.write(`search index: ${error.message}\n`);

/** Emits `fault` (Error) for each skipped event or failed pass, besides calling `onFault`. */
export class SearchIndexer extends EventEmitter {
  private running = false;
  private pass: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly deps: SearchIndexerDeps) {
    super();
  }

  /** Starts following the bus, indexing first whatever the log holds beyond the cursor. */
  start(): this {
    this.running = true;
    this.deps.bus?.on("event", this.kick);
    this.kick();
    return this;
  }

  /** Stops following the bus, after indexing what the log holds now (the runtime closes its database next). */
  async stop(): Promise<void> {
    this.running = false;
    this.deps.bus?.off("event", this.kick);
    if (this.timer) clearTimeout(this.timer);
    await this.pass;
    await this.catchUp().catch((error: unknown) => this.fault(error));
  }

  /** Indexes every event beyond the cursor, moving it as it goes; resolves when the log is read to its end. */
  async catchUp(): Promise<void> {
    const { store } = this.deps;
    for (;;) {
      const cursor = store.search.cursor();
      const rows = store.events.page(cursor, Number.MAX_SAFE_INTEGER, PAGE);
      let moved = cursor;
      for (const row of rows) {
        // The cursor moves past each indexed event as it is written; past the others once per page.
        if (!(await indexRow(this.deps, row, (e) => this.fault(e)))) continue;
        store.search.moveCursor(row.seq);
        moved = row.seq;
      }
      const last = rows.at(-1)?.seq;
      if (last !== undefined && last > moved) store.search.moveCursor(last);
      if (rows.length < PAGE) return;
    }
  }

  /** Coalesces the passes a burst of events asks for: one at a time, and one more if events came meanwhile. */
  readonly kick = (): void => {
    if (!this.running) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.catchUp().then(
      () => {
        this.failures = 0;
      },
      (error: unknown) => {
        // The event stays beyond the cursor and is tried again, later each time.
        this.fault(error);
        this.failures++;
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(this.kick, Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** (this.failures - 1)));
      },
    ).finally(() => {
      this.pass = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  };

  private fault(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error));
    (this.deps.onFault ?? reportOnStderr)(e);
    this.emit("fault", e);
  }
}

/** The indexer over a runtime's store, objects and bus, started. */
export function startSearchIndexer(deps: SearchIndexerDeps): SearchIndexer {
  return new SearchIndexer(deps).start();
}

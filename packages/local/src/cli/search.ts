import { existsSync } from "node:fs";
import path from "node:path";
import { loadConfig, type ConfigFlags, type LocalConfig } from "../runtime/config.js";
import { lockDataDir, RuntimeLockedError } from "../runtime/lock.js";
import { LocalObjectStore } from "../runtime/object-store.js";
import { SearchIndexer } from "../search/indexer.js";
import { SearchQueryError } from "../search/query.js";
import { markedParts, MAX_LIMIT, searchIndex, type SearchHit, type SearchResult } from "../search/search.js";
import { openStore, openStoreReadOnly, type Store } from "../store/index.js";
import { clean, formatTime } from "./review-format.js";

/*
 * `media-pipeline search <query>`: full-text search over everything analysed in a data dir. It only
 * reads, beside a running server or `analyze`, whose indexer keeps the index current. With no process
 * on the data dir and events not indexed yet (media analysed before the index existed), it indexes
 * them first, holding the data dir's lock for that moment.
 */

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface SearchOptions {
  flags: ConfigFlags;
  json?: boolean;
  limit?: string | number;
  /** Bold matches (a terminal); default: when stdout is a terminal and NO_COLOR is unset. */
  color?: boolean;
}

const isFresh = (store: Store): boolean => store.search.exists() && store.search.cursor() >= store.events.lastSeq();

/** Indexes what the log holds beyond the cursor, unless another process holds the data dir (its indexer does it). */
async function catchUp(config: LocalConfig, file: string): Promise<void> {
  let unlock: () => void;
  try {
    unlock = lockDataDir(config.dataDir);
  } catch (error) {
    if (error instanceof RuntimeLockedError) return;
    throw error;
  }
  try {
    const store = openStore(file);
    try {
      await new SearchIndexer({ store, objects: new LocalObjectStore(config.dataDir) }).catchUp();
    } finally {
      store.close();
    }
  } finally {
    unlock();
  }
}

/** A snippet for a terminal: untrusted text cleaned, matches bold (or in brackets without color). */
function terminalSnippet(marked: string, color: boolean): string {
  return markedParts(marked).map((part, i) => (i % 2 === 1 ? (color ? `\u001b[1m${clean(part)}\u001b[22m` : `[${clean(part)}]`) : clean(part))).join("");
}

function formatHit(hit: SearchHit, color: boolean): string {
  const range = hit.endMs > hit.startMs ? `${formatTime(hit.startMs)}–${formatTime(hit.endMs)}` : formatTime(hit.startMs);
  const more = hit.ranges && hit.ranges.length > 1 ? ` (+${hit.ranges.length - 1} more)` : "";
  const who = hit.speaker ? `  ${clean(hit.speaker)}` : "";
  const at = hit.atMs !== hit.startMs ? ` at ${formatTime(hit.atMs)}` : "";
  const head = `${clean(hit.filename ?? "(no file name)")}  ${hit.mediaId}  ${hit.kind}  ${range}${more}${at}${who}`;
  return `${head}\n  ${terminalSnippet(hit.snippet, color)}\n  ${hit.link}\n`;
}

/** The hits for people: one block per hit, best first. */
export function formatSearch(result: SearchResult, color = false): string {
  const q = clean(result.query);
  if (result.terms.length === 0) return `Nothing to search for in "${q}": type words, "a phrase" or a prefix*.\n`;
  if (result.hits.length === 0) return `No match for ${q}.\n`;
  const of = result.total > result.hits.length ? ` (best ${result.hits.length} of ${result.total}; --limit shows more)` : "";
  return `${result.total} match${result.total === 1 ? "" : "es"} for ${q}${of}:\n\n${result.hits.map((h) => formatHit(h, color)).join("\n")}`;
}

export async function runSearch(query: string, o: SearchOptions): Promise<number> {
  let limit: number | undefined;
  if (o.limit !== undefined) {
    limit = Number(o.limit);
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_LIMIT)) {
      process.stderr.write(`--limit must be a whole number from 1 to ${MAX_LIMIT}, got "${clean(o.limit)}"\n`);
      return EXIT.usage;
    }
  }
  const config = loadConfig(o.flags);
  const file = path.join(config.dataDir, "pipeline.db");
  if (!existsSync(file)) {
    process.stderr.write(`No database in ${config.dataDir}: nothing has been analysed there.\n`);
    return EXIT.failed;
  }
  let store = openStoreReadOnly(file);
  if (!isFresh(store)) {
    store.close();
    await catchUp(config, file);
    store = openStoreReadOnly(file);
  }
  try {
    if (!store.search.exists()) {
      process.stderr.write(`${config.dataDir} has no search index yet: the process using it is older than search; it is built when a newer one starts there.\n`);
      return EXIT.failed;
    }
    const color = o.color ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
    let result: SearchResult;
    try {
      // The CLI renders the marks itself (bold or brackets); --json has HTML, as the server sends.
      result = searchIndex(store, query, { ...(limit ? { limit } : {}), rawSnippet: !o.json });
    } catch (error) {
      if (!(error instanceof SearchQueryError)) throw error;
      process.stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : formatSearch(result, color));
    return EXIT.ok;
  } finally {
    store.close();
  }
}

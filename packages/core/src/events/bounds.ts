import type { EngineInfo } from "../results/common.js";

/*
 * Events and state records stay small whatever the media's length. EventBridge refuses an entry over
 * its size limit and DynamoDB an item over 400 KB, and every consumer pays for what a detail carries.
 * What grows with the media (per-scene token usage, per-scene notes, per-frame anything) belongs in
 * the stored document the event points at; the event and the stage's state record carry references,
 * counts and totals, and the engine in brief (`briefEngine`).
 */

/** The most a detail may take (JSON, UTF-8 bytes): DESIGN.md's "well under 64 KB", enforced by runOnce. */
export const DETAIL_MAX_BYTES = 64 * 1024;

/** The most a stage's facts (StageOutput.facts, read back by the joins) may take. */
export const FACTS_MAX_BYTES = 16 * 1024;

/** The most an engine takes in brief (JSON, UTF-8 bytes), whatever the engine reported. */
export const ENGINE_BRIEF_MAX_BYTES = 2048;

/** Characters of an error message kept in a state record and in `Stage Failed` (its schema's limit). */
export const ERROR_MESSAGE_MAX_CHARS = 4000;

// The brief's parts; with the JSON punctuation they add up to less than ENGINE_BRIEF_MAX_BYTES.
const NAME_MAX_BYTES = 128;
const NOTE_MAX_BYTES = 600;
const SETTINGS_MAX_BYTES = 1024;
/** One setting's value: a threshold, a model id or a total fits; a per-scene list does not. */
const VALUE_MAX_BYTES = 512;
const STRING_MAX_BYTES = 160;
const KEY_MAX_CHARS = 64;
const MAX_DEPTH = 3;
const CUT = "…";

const encoder = new TextEncoder();

/** Bytes a value takes in a JSON document (what EventBridge and DynamoDB count). */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : encoder.encode(text).length;
}

/** Cuts text so that its JSON string (quotes and escapes included) takes at most `maxBytes`. */
function clip(text: string, maxBytes: number): string {
  if (jsonBytes(text) <= maxBytes) return text;
  let used = jsonBytes(CUT);
  let out = "";
  for (const ch of text) {
    const cost = jsonBytes(ch) - 2;
    if (used + cost > maxBytes) break;
    out += ch;
    used += cost;
  }
  return out + CUT;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A value within `budget` bytes: whole when it fits; a long string cut; an object reduced to the
 * entries that fit (so `usage: { total, scenes: [...] }` keeps `total`); a list that does not fit
 * is left out whole: the document has it.
 */
function briefValue(value: unknown, budget: number, depth: number): unknown {
  if (jsonBytes(value) <= budget) return value;
  if (typeof value === "string") return clip(value, Math.min(budget, STRING_MAX_BYTES));
  if (isRecord(value) && depth < MAX_DEPTH) return briefRecord(value, budget, depth + 1);
  return undefined;
}

function briefRecord(record: Record<string, unknown>, budget: number, depth: number): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key.length > KEY_MAX_CHARS || value === undefined) continue;
    // The entry's own bytes: its key, a colon and (after the first) a comma.
    const room = budget - jsonBytes(out) - jsonBytes(key) - 2;
    if (room <= 0) break;
    const brief = briefValue(value, Math.min(room, VALUE_MAX_BYTES), depth);
    if (brief !== undefined) out[key] = brief;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The engine as events and state records carry it: name, version, the settings that fit in 1 KB
 * (a list that grows with the media, such as per-scene token usage, is left out; the totals beside
 * it stay) and the note cut to 600 bytes. At most ENGINE_BRIEF_MAX_BYTES; the stored document keeps
 * the engine whole.
 * @example briefEngine({ name: "amazon-bedrock-converse", version: "m", settings: { usage: { total, scenes } } }) // settings.usage: { total }
 */
export function briefEngine(engine: EngineInfo): EngineInfo {
  const brief: EngineInfo = { name: clip(engine.name, NAME_MAX_BYTES), version: clip(engine.version, NAME_MAX_BYTES) };
  const settings = engine.settings ? briefRecord(engine.settings, SETTINGS_MAX_BYTES, 0) : undefined;
  if (settings) brief.settings = settings;
  if (engine.note) brief.note = clip(engine.note, NOTE_MAX_BYTES);
  return brief;
}

/** An error message cut to what a state record and `Stage Failed` keep. */
export function briefMessage(message: string): string {
  return message.length <= ERROR_MESSAGE_MAX_CHARS ? message : `${message.slice(0, ERROR_MESSAGE_MAX_CHARS - 1)}${CUT}`;
}

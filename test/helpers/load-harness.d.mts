import type { ChildProcess } from "node:child_process";
import type Database from "better-sqlite3";

export const ROOT: string;
export const BIN: string;

export function freePort(): Promise<number>;

export interface ServeOptions {
  dataDir: string;
  token: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  workers?: number;
  env?: NodeJS.ProcessEnv;
  /** Preload delivery-probe.mjs and write its lines here. */
  probeFile?: string;
}

export interface ServeProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startServe(o: ServeOptions): Promise<ServeProcess>;

export interface LoadMedium {
  path: string;
  name: string;
  contentType: string;
  kind: "video+audio" | "video" | "audio";
  seconds: number;
}

export function makeLoadMedium(dir: string, i: number): Promise<LoadMedium>;
export function makeLoadMedia(dir: string, count: number, concurrency?: number): Promise<LoadMedium[]>;

export interface UploadGrant {
  mediaId: string;
  key: string;
  upload: { mode: string; url: string; method: string; headers: Record<string, string>; expiresAt: string };
}

export function requestUpload(url: string, token: string, file: Pick<LoadMedium, "name" | "contentType">, size: number): Promise<UploadGrant>;
export function uploadFile(url: string, token: string, file: LoadMedium): Promise<{ mediaId: string; file: LoadMedium; bytes: number; startedAt: number; uploadedAt: number }>;
export function mediaStatus(url: string, token: string, mediaId: string): Promise<{ mediaId: string; status: string; stages: Record<string, { status: string }>; [k: string]: unknown }>;

export interface TerminalEvent {
  type: "Analysis Completed" | "Media Rejected";
  seq: number;
  at: number;
  event: { "detail-type": string; detail: Record<string, unknown> & { mediaId: string } };
}

export function waitForTerminal(url: string, token: string, mediaIds: string[], options?: { timeoutMs?: number }): Promise<Map<string, TerminalEvent>>;

export interface MemoryFigures {
  samples: number;
  startRssMiB: number;
  peakRssMiB: number;
  /** The kernel's high-water mark of the server's RSS (exact, not sampled). */
  hwmMiB: number;
  /** Server plus descendants, sampled. */
  treePeakMiB: number;
}

export function sampleMemory(pid: number, everyMs?: number): { stop(): MemoryFigures };

export interface ProbeFigures {
  notices: number;
  starts: number;
  retries: number;
  dead: number;
  maxRunning: number;
  maxInflight: number;
  workers: number | null;
}

export function readProbe(file: string): ProbeFigures;

export interface Summary {
  n: number;
  min: number | null;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export function openReadOnly(dataDir: string): Database.Database;

export function logFigures(dataDir: string, mediaIds: string[]): {
  stages: Record<string, Summary>;
  endToEndMs: Summary;
  maxStageOverlap: number;
  firstReceived: number;
  lastEnded: number;
};

export interface LoadResult {
  count: number;
  workers: number;
  uploadSecs: number;
  wallSecs: number;
  mediaPerMinute: number;
  completed: number;
  rejected: number;
  statuses: Record<string, number>;
  memory: MemoryFigures;
  concurrency: ProbeFigures & { maxStageOverlap: number };
  stages: Record<string, Summary>;
  endToEndMs: Summary;
  mediaSeconds: number;
  dataDir: string;
  serverStderr: string;
}

export function runLoad(o: { dir: string; count?: number; workers?: number; timeoutMs?: number; log?: (line: string) => void }): Promise<LoadResult>;
export function describeLoad(r: LoadResult): string;

/** The object `npm run bench` writes to bench/results.json (parts absent when skipped). */
export interface BenchRecord {
  date: string;
  mode: "quick" | "full";
  args: string[];
  machine: { cores: number; cpuModel: string; node: string; platform: string; arch: string };
  loadAverage: { start: number[]; end: number[] };
  patterns?: { routes: number; eventsPerSecond: number; routeMatchesPerSecond: number; matched: number };
  bus?: Record<"burst" | "paced", { count: number; secs: number; eventsPerSecond: number; p50Ms: number; p99Ms: number }>;
  pipeline?: Record<string, unknown>;
  memory?: Record<string, unknown>;
  load?: Record<string, unknown>;
}

export function pipelineTarget(label: string, run: { decodeMultiple: number; realTimeMultiple: number }, seconds: number): string;
export function renderResults(record: BenchRecord): string;
export function writeResults(dir: string, record: BenchRecord): { json: string; md: string };

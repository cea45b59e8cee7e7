// What `npm run bench` writes: bench/results.json (every figure it measured, with the date, machine and
// mode) and bench/RESULTS.md (a table made from the same object), so that the docs quote the bench's own
// files instead of figures typed in by hand. Pure formatting; scripts/bench.mjs does the measuring.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const fmt = (n, d = 0) =>
  typeof n === "number" && Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }) : "–";
const met = (ok) => (ok ? "met" : "NOT met");
const PARTS = { patterns: "pattern matching", bus: "durable bus", pipeline: "pipeline", memory: "1-hour memory run", load: "load through the server" };

/** The header lines: when, how and on what the figures were measured. */
function header(r) {
  const m = r.machine;
  const mode = r.mode === "quick" ? "quick (a 60 s video, shorter bus runs, no 1-hour memory run unless --memory)" : "full";
  const ran = Object.keys(PARTS).filter((k) => r[k]).map((k) => PARTS[k]);
  return [
    `- date: ${r.date}`,
    `- mode: ${mode}${r.args.length ? `; arguments: \`${r.args.join(" ")}\`` : ""}`,
    `- ran: ${ran.join(", ") || "nothing"}`,
    `- machine: ${m.cores} cores (${m.cpuModel}), Node ${m.node}, ${m.platform} ${m.arch}`,
    `- load average (1, 5, 15 min): ${r.loadAverage.start.map((n) => fmt(n, 2)).join(", ")} at start; ${r.loadAverage.end.map((n) => fmt(n, 2)).join(", ")} at end`,
  ];
}

/**
 * A pipeline run's target, as printed after its figures (empty when the run has none): words off within
 * 3× one plain decode; words on within 0.2× real time, on the full 10-minute video only.
 */
export function pipelineTarget(label, run, seconds) {
  if (label === "words off") return ` (target ≤ 3×: ${met(run.decodeMultiple <= 3)})`;
  if (label === "words on" && seconds >= 600) return ` (target ≤ 0.2× real time on 2 cores: ${met(run.realTimeMultiple <= 0.2)})`;
  return "";
}

function pipelineRows(p) {
  const rows = [
    ["generated test video", `${fmt(p.seconds)} s of 720p with two voices, ${fmt(p.videoBytes / 1e6, 1)} MB, made in ${fmt(p.generateSecs, 1)} s`],
    ["plain decode (`ffmpeg -i file -f null -`)", `${fmt(p.decodeSecs, 1)} s (the faster of ${p.decodes.map((d) => `${fmt(d, 1)} s`).join(", ")})`],
  ];
  for (const [label, run] of Object.entries(p.runs)) {
    const target = pipelineTarget(label, run, p.seconds);
    rows.push([
      `pipeline, ${label} (${run.outcome})`,
      `${fmt(run.totalSecs, 1)} s = ${fmt(run.realTimeMultiple, 3)}× real time = ${fmt(run.decodeMultiple, 2)}× one plain decode${target}; ` +
        `CPU ${fmt(run.cpu.self, 1)} s in the process + ${fmt(run.cpu.children, 1)} s in ffmpeg/pocketsphinx = ${fmt(run.coresBusy, 2)} cores busy`,
    ]);
  }
  return rows;
}

/** The summary table: one row per figure the bench printed. */
function summary(r) {
  const rows = [];
  if (r.patterns) {
    rows.push([
      `pattern matching, every catalog event × ${r.patterns.routes} routes`,
      `${fmt(r.patterns.routeMatchesPerSecond)} route-matches/s (${fmt(r.patterns.eventsPerSecond)} events/s)`,
    ]);
  }
  if (r.bus) {
    const { burst, paced } = r.bus;
    rows.push([
      `durable bus, burst of ${fmt(burst.count)} events`,
      `${fmt(burst.eventsPerSecond)} events/s published and delivered (${fmt(burst.secs, 2)} s; p50 ${fmt(burst.p50Ms, 1)} ms, p99 ${fmt(burst.p99Ms, 1)} ms, queueing included)`,
    ]);
    rows.push([`durable bus at a paced 1,000 events/s (${fmt(paced.count)} events)`, `publish→handler p50 ${fmt(paced.p50Ms, 2)} ms, p99 ${fmt(paced.p99Ms, 2)} ms`]);
  }
  if (r.pipeline) rows.push(...pipelineRows(r.pipeline));
  if (r.memory) {
    const m = r.memory;
    rows.push([
      "memory: `analyze --no-words` on a generated 1-hour 320×180 video",
      `peak resident set ${fmt(m.peakRssBytes / 1e9, 2)} GB (target < 1.5 GB: ${met(m.peakRssBytes < m.targetBytes)}), ${fmt(m.peakTreeRssBytes / 1e9, 2)} GB with its ffmpeg children; ` +
        `${fmt(m.totalSecs, 1)} s = ${fmt(m.realTimeMultiple, 3)}× real time`,
    ]);
  }
  if (r.load) {
    const l = r.load;
    rows.push([
      `load: ${l.count} uploads at once through \`serve\`, ${l.workers} workers`,
      `${l.completed} Analysis Completed, ${l.rejected} Media Rejected in ${fmt(l.wallSecs, 1)} s = ${fmt(l.mediaPerMinute, 1)} media/min (${fmt(l.mediaSeconds)} s of media; uploads accepted in ${fmt(l.uploadSecs, 2)} s)`,
    ]);
    rows.push([
      "load: deliveries and memory",
      `${l.concurrency.starts} deliveries, at most ${l.concurrency.maxRunning} at once; ${l.concurrency.retries} retries, ${l.concurrency.dead} dead; ` +
        `server peak RSS ${fmt(l.memory.hwmMiB)} MiB (VmHWM), ${fmt(l.memory.treePeakMiB)} MiB with ffmpeg children`,
    ]);
  }
  return ["| what | figure |", "|---|---|", ...rows.map(([what, figure]) => `| ${what} | ${figure} |`)];
}

function stagesTable(p) {
  const labels = Object.keys(p.runs);
  const stages = [...new Set(labels.flatMap((l) => Object.keys(p.runs[l].stages)))];
  const cell = (run, s) => (run.stages[s] === undefined ? "–" : `${fmt(run.stages[s], 1)} s (from ${fmt(run.starts[s], 1)} s)`);
  const engines = labels.flatMap((l) =>
    Object.entries(p.runs[l].engines).map(([stage, e]) => {
      const cost = e.msPerFrame !== undefined
        ? `${fmt(e.msPerFrame, 1)} ms/frame over ${e.frames} frames${e.warmupMs !== undefined ? `, warm-up ${fmt(e.warmupMs)} ms` : ""}`
        : `real-time factor ${fmt(e.realTimeFactor, 3)}, ${e.words} words, ${e.speakers} speakers`;
      return `| ${l} | ${stage} | ${e.engine} | ${cost} |`;
    }),
  );
  return [
    "## Pipeline stages",
    "",
    "Wall time of each stage, and when it started after the upload.",
    "",
    `| stage | ${labels.join(" | ")} |`,
    `|---|${labels.map(() => "---|").join("")}`,
    ...stages.map((s) => `| ${s} | ${labels.map((l) => cell(p.runs[l], s)).join(" | ")} |`),
    "",
    "## Engines",
    "",
    "| run | stage | engine | cost |",
    "|---|---|---|---|",
    ...engines,
  ];
}

function loadStages(l) {
  const ms = (v) => fmt(v);
  return [
    "## Load: per-stage run time",
    "",
    "| stage | runs | p50 ms | p95 ms | max ms |",
    "|---|---|---|---|---|",
    ...Object.entries(l.stages).map(([s, v]) => `| ${s} | ${v.n} | ${ms(v.p50)} | ${ms(v.p95)} | ${ms(v.max)} |`),
    `| end to end (Media Received → Analysis Completed) | ${l.endToEndMs.n} | ${ms(l.endToEndMs.p50)} | ${ms(l.endToEndMs.p95)} | ${ms(l.endToEndMs.max)} |`,
  ];
}

/** bench/RESULTS.md for a results object (the same object bench/results.json holds). */
export function renderResults(r) {
  return [
    "# Benchmark results",
    "",
    "Generated by `npm run bench` (scripts/bench.mjs) from the object in `bench/results.json`; do not edit by hand.",
    "These machines are noisy: compare figures within one run.",
    "",
    ...header(r),
    "",
    ...summary(r),
    ...(r.pipeline ? ["", ...stagesTable(r.pipeline)] : []),
    ...(r.load ? ["", ...loadStages(r.load)] : []),
    "",
  ].join("\n");
}

/** Writes results.json and RESULTS.md into `dir` (created if missing); returns their paths. */
export function writeResults(dir, r) {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, "results.json");
  const md = path.join(dir, "RESULTS.md");
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(md, renderResults(r));
  return { json, md };
}

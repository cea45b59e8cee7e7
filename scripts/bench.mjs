// npm run bench [-- --quick] [-- --skip-pipeline] [-- --memory | --skip-memory]
// Measures, side by side in one run (these machines are noisy, so compare within a run):
//   1. pattern matching: every catalog event against every route, route-matches per second;
//   2. the durable bus: burst throughput, and publish→handler latency p50/p99 at a paced 1,000 events/s;
//   3. the pipeline on a generated 10-minute 720p video (60 s with --quick): wall time per stage,
//      total as a multiple of real time, and against one plain `ffmpeg -i <file> -f null -` decode
//      (the faster of two, timed just before); CPU seconds; per-engine cost (ms per frame, warm-up,
//      real-time factor for speech);
//   3b. memory: peak resident set of `media-pipeline analyze` on a generated 1-hour video (part of a
//      full run; --memory runs it with --quick or --skip-pipeline too, --skip-memory leaves it out).
// Every figure it prints also goes to bench/results.json, with the date, machine and mode, and a table
// made from the same object to bench/RESULTS.md (--results-dir=<dir> writes them elsewhere), so the
// docs quote the bench's own files (scripts/bench-results.mjs).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { catalog, compilePattern, makeEvent, routes } from "@media-pipeline/core";
import { DurableBus, loadConfig, openLocalRuntime } from "@media-pipeline/local";
import { openDb } from "../packages/local/dist/store/db.js";
import { pipelineTarget, writeResults } from "./bench-results.mjs";

const args = new Set(process.argv.slice(2));
/** The pipeline runs compared side by side: word-level speech recognition off (the target) and on (pocketsphinx). */
// "words on" is the default: one pocketsphinx process, and another taking the rest of a running one's
// audio (cut at a pause) whenever a core stands idle, up to one per core; "words on, one process" never
// splits, to show what that changes.
const PIPELINE_RUNS = { "words off": { words: false }, "words on": {}, "words on, one process": { wordProcesses: 1 } };
const quick = args.has("--quick");
const results = {};
const loadAtStart = os.loadavg();
const startedAt = new Date();
const fmt = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

// 1. Pattern matching --------------------------------------------------------------------------
{
  const compiled = routes.map((r) => compilePattern(r.pattern));
  const events = Object.keys(catalog).map((t, i) =>
    makeEvent(t, catalog[t].example, { id: String(i), time: new Date(), account: "1", region: "local" }));
  let matches = 0;
  let n = 0;
  const until = performance.now() + (quick ? 1000 : 3000);
  const t0 = performance.now();
  while (performance.now() < until) {
    for (let k = 0; k < 1000; k++) {
      const e = events[k % events.length];
      for (const c of compiled) if (c.match(e)) matches++;
    }
    n += 1000;
  }
  const secs = (performance.now() - t0) / 1000;
  results.patterns = { routes: compiled.length, eventsPerSecond: n / secs, routeMatchesPerSecond: (n * compiled.length) / secs, matched: matches };
  console.log(`pattern matching: ${fmt(n / secs)} events/s against ${compiled.length} routes = ${fmt((n * compiled.length) / secs)} route-matches/s`);
}

// 2. The durable bus ---------------------------------------------------------------------------
async function busRun(count, ratePerSecond) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mp-bench-bus-"));
  const db = openDb(path.join(dir, "bus.db"));
  const published = new Map();
  const latencies = [];
  let delivered = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  const handler = async (event) => {
    const t = published.get(event.id);
    if (t !== undefined) latencies.push(performance.now() - t);
    if (++delivered === expected) done();
  };
  const handlers = Object.fromEntries(routes.map((r) => [r.stage, handler]));
  const bus = new DurableBus({ db, routes, handlers, workers: os.availableParallelism() });
  bus.on("event", (e) => published.set(e.id, performance.now()));
  // "Media Received" matches exactly one route; each delivery is one handler call.
  const detail = catalog["Media Received"].example;
  const expected = count;
  bus.start();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    if (ratePerSecond) {
      const due = t0 + (i * 1000) / ratePerSecond;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
    await bus.publish("Media Received", detail);
  }
  await finished;
  const secs = (performance.now() - t0) / 1000;
  await bus.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return { count, secs, eventsPerSecond: count / secs, p50Ms: pct(latencies, 50), p99Ms: pct(latencies, 99) };
}
{
  const burst = await busRun(quick ? 2000 : 5000);
  console.log(`bus burst: ${fmt(burst.count)} events published and delivered in ${fmt(burst.secs, 2)} s = ${fmt(burst.eventsPerSecond)} events/s (p50 ${fmt(burst.p50Ms, 1)} ms, p99 ${fmt(burst.p99Ms, 1)} ms, queueing included)`);
  const paced = await busRun(quick ? 1000 : 3000, 1000);
  console.log(`bus at 1,000 events/s: publish→handler latency p50 ${fmt(paced.p50Ms, 2)} ms, p99 ${fmt(paced.p99Ms, 2)} ms`);
  results.bus = { burst, paced };
}

// 3. The pipeline on a long video ----------------------------------------------------------------
/**
 * Makes a talk track of two espeak-ng voices, alternating, about `seconds` long, for the bench video, so
 * that voice activity, speech-to-text and diarization work on speech rather than on noise. Every
 * sentence is different (a subject and a predicate from two lists): looping one short track repeated the
 * same audio exactly, which no recording does, and the diarizer took the repeats for extra speakers.
 * Longer runs loop the track past 144 sentences (about 11 minutes).
 */
function makeSpeechTrack(dir, seconds) {
  const voices = [["-v", "en-us", "-p", "30", "-s", "150"], ["-v", "en+f4", "-p", "75"]];
  const subjects = ["the fishing boats", "the ferry from the island", "our local bakery", "the harbour master", "the new library",
    "the school band", "the town council", "a group of walkers", "the morning market", "the lifeboat crew", "the old lighthouse", "the weekend visitors"];
  const predicates = ["came back early because the wind turned cold", "will change its timetable from next week", "was full of people all day",
    "asked everyone to check the weather before leaving", "opened late after the storm last night", "is looking for volunteers this summer",
    "raised money for the new playground", "had its busiest day of the year", "will be closed on monday for repairs",
    "thanked the families who came to help", "won a prize for the best display", "said the roads were quiet this morning"];
  const parts = [];
  let total = 0;
  for (let i = 0; total < seconds + 5 && i < subjects.length * predicates.length; i++) {
    const text = `${subjects[i % subjects.length]} ${predicates[(i * 5 + Math.floor(i / subjects.length)) % predicates.length]}`;
    const f = path.join(dir, `line-${i}.wav`);
    execFileSync("espeak-ng", [...voices[i % 2], "-w", f, text]);
    parts.push(f);
    // 16-bit mono at 22050 Hz after espeak-ng's 44-byte header, plus the gap.
    total += (statSync(f).size - 44) / (2 * 22050) + 0.8;
  }
  const gap = path.join(dir, "gap.wav");
  execFileSync("sox", ["-n", "-r", "22050", "-c", "1", gap, "trim", "0", "0.8"]);
  const track = path.join(dir, "talk.wav");
  execFileSync("sox", [...parts.flatMap((p) => [p, gap]), track]);
  return track;
}

/** CPU seconds used so far by this process (every thread) and by its finished child processes (ffmpeg, pocketsphinx). */
function cpuSeconds() {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  const tick = 100; // USER_HZ on Linux
  return { self: (Number(fields[11]) + Number(fields[12])) / tick, children: (Number(fields[13]) + Number(fields[14])) / tick };
}

async function runPipeline(dir, file, seconds, flags, label) {
  const runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, `data-${label}`), ...flags }, {}, dir));
  const cpu0 = cpuSeconds();
  const startedAt = Date.now();
  const t = performance.now();
  const mediaId = await runtime.ingest(file);
  const outcome = await runtime.outcome(mediaId);
  const totalSecs = (performance.now() - t) / 1000;
  const cpu1 = cpuSeconds();
  const cpu = { self: cpu1.self - cpu0.self, children: cpu1.children - cpu0.children };
  const stages = {};
  const starts = {};
  const engines = {};
  for (const r of await runtime.state.list(mediaId)) {
    if (r.startedAt && r.finishedAt) {
      stages[r.stage] = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
      starts[r.stage] = (Date.parse(r.startedAt) - startedAt) / 1000;
    }
    const ref = r.output?.facts?.ref;
    if (!ref || !["detect-labels", "moderate", "detect-text", "transcribe"].includes(r.stage)) continue;
    const doc = await runtime.objects.getJson(ref);
    const timings = doc.engine?.settings?.timings;
    engines[r.stage] = {
      engine: `${doc.engine.name} ${doc.engine.version}`,
      ...(timings ? { ...(timings.warmupMs !== undefined ? { warmupMs: timings.warmupMs } : {}), msPerFrame: timings.perFrameMs, frames: timings.frames } : {}),
      ...(r.stage === "transcribe" ? { realTimeFactor: stages.transcribe / seconds, words: doc.segments.reduce((n, s) => n + (s.words?.length ?? 0), 0), speakers: doc.speakers.length } : {}),
    };
  }
  await runtime.close();
  return { outcome: outcome.kind, totalSecs, realTimeMultiple: totalSecs / seconds, stages, starts, cpu, coresBusy: (cpu.self + cpu.children) / totalSecs, engines };
}

if (!args.has("--skip-pipeline")) {
  const seconds = quick ? 60 : 600;
  const dir = mkdtempSync(path.join(os.tmpdir(), "mp-bench-pipe-"));
  const file = path.join(dir, `bench-${seconds}s-720p.mp4`);
  const cut = "hue=H='PI*mod(floor(t/10),2)':s='1+mod(floor(t/10),3)'";
  let t = performance.now();
  const talk = makeSpeechTrack(dir, seconds);
  execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=s=1280x720:r=25:d=${seconds}`, "-stream_loop", "-1", "-i", talk,
    "-vf", `${cut},format=yuv420p`, "-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-c:a", "aac", "-b:a", "64k", "-t", String(seconds), file]);
  const video = { videoBytes: statSync(file).size, generateSecs: (performance.now() - t) / 1000 };
  console.log(`generated ${seconds} s 720p test video with two voices talking (${fmt(video.videoBytes / 1e6, 1)} MB) in ${fmt(video.generateSecs, 1)} s`);
  // The reference: one plain decode, timed twice (the first also warms the page cache) and the faster
  // kept, so the ratio is not flattered by a slow reference.
  const decodes = [0, 1].map(() => {
    t = performance.now();
    execFileSync("ffmpeg", ["-v", "error", "-i", file, "-f", "null", "-"]);
    return (performance.now() - t) / 1000;
  });
  const decodeSecs = Math.min(...decodes);
  console.log(`plain decode (ffmpeg -i file -f null -): ${decodes.map((d) => fmt(d, 1)).join(" s, ")} s; the faster is the reference`);
  results.pipeline = { seconds, ...video, decodeSecs, decodes, loadAverage: os.loadavg(), runs: {} };
  for (const [label, flags] of Object.entries(PIPELINE_RUNS)) {
    const run = await runPipeline(dir, file, seconds, flags, label);
    run.decodeMultiple = run.totalSecs / decodeSecs;
    results.pipeline.runs[label] = run;
    const target = pipelineTarget(label, run, seconds);
    console.log(`pipeline ${label} (${run.outcome}) on ${seconds} s of 720p: ${fmt(run.totalSecs, 1)} s wall = ${fmt(run.realTimeMultiple, 3)}× real time = ${fmt(run.decodeMultiple, 2)}× one plain decode${target}`);
    console.log(`  CPU: ${fmt(run.cpu.self, 1)} s in this process (all threads) + ${fmt(run.cpu.children, 1)} s in ffmpeg/pocketsphinx = ${fmt(run.coresBusy, 2)} cores busy on average`);
    for (const [stage, secs] of Object.entries(run.stages)) console.log(`  ${stage.padEnd(18)} ${fmt(secs, 1).padStart(7)} s  (from ${fmt(run.starts[stage], 1)} s)`);
    for (const [stage, e] of Object.entries(run.engines)) {
      const cost = e.msPerFrame !== undefined ? `${fmt(e.msPerFrame, 1)} ms/frame over ${e.frames} frames${e.warmupMs !== undefined ? `, warm-up ${fmt(e.warmupMs)} ms` : ""}` : `real-time factor ${fmt(e.realTimeFactor, 3)}, ${e.words} words, ${e.speakers} speakers`;
      console.log(`  ${stage.padEnd(18)} ${e.engine}: ${cost}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

// 3b. Peak memory on a 1-hour file -------------------------------------------------------------------
/** Resident set of a process and all its descendants, in bytes (from /proc). */
function treeRss(root) {
  const children = new Map();
  const rss = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(fields[1]);
      rss.set(Number(entry), Number(fields[21]) * 4096);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop();
    total += rss.get(pid) ?? 0;
    todo.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * Runs `media-pipeline analyze --no-words` on a generated 1-hour video (320×180, 10 fps, cuts every
 * 10 s, the two voices talking) as a child process, and samples its peak resident set (VmHWM, every
 * thread of the process) and that of its whole process tree (ffmpeg included) every 250 ms.
 */
async function memoryRun() {
  const seconds = 3600;
  const dir = mkdtempSync(path.join(os.tmpdir(), "mp-bench-mem-"));
  try {
    const file = path.join(dir, "bench-1h-180p.mp4");
    let t = performance.now();
    const talk = makeSpeechTrack(dir, 60);
    execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=s=320x180:r=10:d=${seconds}`, "-stream_loop", "-1", "-i", talk,
      "-vf", "hue=H='PI*mod(floor(t/10),2)':s='1+mod(floor(t/10),3)',format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "32",
      "-c:a", "aac", "-b:a", "48k", "-t", String(seconds), file]);
    const video = { videoBytes: statSync(file).size, generateSecs: (performance.now() - t) / 1000 };
    console.log(`generated a 1-hour 320×180 video with two voices (${fmt(video.videoBytes / 1e6, 1)} MB) in ${fmt(video.generateSecs, 1)} s`);
    const cli = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "packages", "local", "bin", "media-pipeline.js");
    t = performance.now();
    const child = spawn(process.execPath, [cli, "analyze", file, "--data-dir", path.join(dir, "data"), "--out", path.join(dir, "report"), "--quiet", "--no-words"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
    let hwm = 0;
    let tree = 0;
    const sample = () => {
      try {
        const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (kb) hwm = Math.max(hwm, Number(kb[1]) * 1024);
        tree = Math.max(tree, treeRss(child.pid));
      } catch {
        // exited between samples
      }
    };
    const timer = setInterval(sample, 250);
    const code = await new Promise((resolve) => child.on("exit", resolve));
    clearInterval(timer);
    const totalSecs = (performance.now() - t) / 1000;
    if (code !== 0) throw new Error(`media-pipeline analyze exited with ${code}: ${stderr}`);
    results.memory = { seconds, ...video, totalSecs, realTimeMultiple: totalSecs / seconds, peakRssBytes: hwm, peakTreeRssBytes: tree, targetBytes: 1.5e9 };
    console.log(
      `memory, 1-hour file, words off: peak resident set ${fmt(hwm / 1e9, 2)} GB (media-pipeline process, all threads; target < 1.5 GB: ${hwm < 1.5e9 ? "met" : "NOT met"}), ` +
        `${fmt(tree / 1e9, 2)} GB with its ffmpeg children; ${fmt(totalSecs, 1)} s wall = ${fmt(totalSecs / seconds, 3)}× real time`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (args.has("--memory") || (!quick && !args.has("--skip-pipeline") && !args.has("--skip-memory"))) await memoryRun();

// 4. Load through the local server: only with --load -------------------------------------------------
// npm run bench -- --load [--skip-pipeline] [--load-count=100] [--load-workers=<cores>]
// That many small distinct media (video with audio, video only, audio only; 2–3 s each) uploaded at
// once through a `media-pipeline serve` child process: throughput, per-stage run time, deliveries
// running at once, the server's peak RSS. The same harness as test/load.test.ts (which runs 50).
async function loadRun() {
  const { runLoad, describeLoad } = await import("../test/helpers/load-harness.mjs");
  const option = (name, fallback) => {
    const given = process.argv.find((a) => a.startsWith(`--${name}=`));
    const n = given ? Number(given.slice(name.length + 3)) : fallback;
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number above 0, got "${given}"`);
    return n;
  };
  const count = option("load-count", quick ? 50 : 100);
  const workers = option("load-workers", os.availableParallelism());
  const dir = mkdtempSync(path.join(os.tmpdir(), "mp-bench-load-"));
  try {
    const run = await runLoad({ dir, count, workers, timeoutMs: 60 * 60_000, log: (line) => console.log(line) });
    console.log(describeLoad(run));
    const { serverStderr: _stderr, dataDir: _dataDir, ...figures } = run;
    results.load = figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (args.has("--load")) await loadRun();

// 5. The results files ---------------------------------------------------------------------------
const record = {
  date: startedAt.toISOString(),
  mode: quick ? "quick" : "full",
  args: process.argv.slice(2),
  machine: {
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
  },
  loadAverage: { start: loadAtStart, end: os.loadavg() },
  ...results,
};
const resultsDir = process.argv.find((a) => a.startsWith("--results-dir="))?.slice("--results-dir=".length)
  ?? fileURLToPath(new URL("../bench", import.meta.url));
const written = writeResults(path.resolve(resultsDir), record);
console.log(`\n${JSON.stringify(record)}`);
console.log(`wrote ${path.relative(process.cwd(), written.json)} and ${path.relative(process.cwd(), written.md)}`);

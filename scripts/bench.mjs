// npm run bench [-- --quick] [-- --skip-pipeline]
// Measures, side by side in one run (these machines are noisy, so compare within a run):
//   1. pattern matching: every catalog event against every route, route-matches per second;
//   2. the durable bus: burst throughput, and publish→handler latency p50/p99 at a paced 1,000 events/s;
//   3. the pipeline on a generated 10-minute 720p video (60 s with --quick): wall time per stage,
//      total as a multiple of real time, and against one plain `ffmpeg -i <file> -f null -` decode;
//      per-engine cost (ms per frame, warm-up, real-time factor for speech).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { catalog, compilePattern, makeEvent, routes } from "@media-pipeline/core";
import { DurableBus, loadConfig, openLocalRuntime } from "@media-pipeline/local";
import { openDb } from "../packages/local/dist/runtime/db.js";

const args = new Set(process.argv.slice(2));
/** The pipeline runs compared side by side: word-level speech recognition off (the target) and on (pocketsphinx). */
const PIPELINE_RUNS = { "words off": { words: false }, "words on": {} };
const quick = args.has("--quick");
const results = {};
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
 * Makes a talk track of two espeak-ng voices (about a minute) for the bench video to loop, so that
 * voice activity, speech-to-text and diarization work on speech rather than on noise.
 */
function makeSpeechTrack(dir) {
  const lines = [
    ["-v", "en-us", "-p", "30", "-s", "150"], "good morning and welcome to the weekly news from the harbour town",
    ["-v", "en+f4", "-p", "75"], "thank you it is a pleasure to be here with you again this morning",
    ["-v", "en-us", "-p", "30", "-s", "150"], "the fishing boats came back early because the wind turned cold",
    ["-v", "en+f4", "-p", "75"], "people were buying warm coats and the cafe by the pier was full all day",
    ["-v", "en-us", "-p", "30", "-s", "150"], "next week the ferry timetable changes so please check before you travel",
    ["-v", "en+f4", "-p", "75"], "that is all for today and we will see you again next monday",
  ];
  const parts = [];
  for (let i = 0; i < lines.length; i += 2) {
    const f = path.join(dir, `line-${i}.wav`);
    execFileSync("espeak-ng", [...lines[i], "-w", f, lines[i + 1]]);
    parts.push(f);
  }
  const gap = path.join(dir, "gap.wav");
  execFileSync("sox", ["-n", "-r", "22050", "-c", "1", gap, "trim", "0", "0.8"]);
  const track = path.join(dir, "talk.wav");
  execFileSync("sox", [...parts.flatMap((p) => [p, gap]), track]);
  return track;
}

async function runPipeline(dir, file, seconds, flags, label) {
  const runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, `data-${label}`), ...flags }, {}, dir));
  const t = performance.now();
  const mediaId = await runtime.ingest(file);
  const outcome = await runtime.outcome(mediaId);
  const totalSecs = (performance.now() - t) / 1000;
  const stages = {};
  const engines = {};
  for (const r of await runtime.state.list(mediaId)) {
    if (r.startedAt && r.finishedAt) stages[r.stage] = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
    const ref = r.output?.facts?.ref;
    if (!ref || !["detect-labels", "moderate", "transcribe"].includes(r.stage)) continue;
    const doc = await runtime.objects.getJson(ref);
    const timings = doc.engine?.settings?.timings;
    engines[r.stage] = {
      engine: `${doc.engine.name} ${doc.engine.version}`,
      ...(timings ? { warmupMs: timings.warmupMs, msPerFrame: timings.perFrameMs, frames: timings.frames } : {}),
      ...(r.stage === "transcribe" ? { realTimeFactor: stages.transcribe / seconds, words: doc.segments.reduce((n, s) => n + (s.words?.length ?? 0), 0), speakers: doc.speakers.length } : {}),
    };
  }
  await runtime.close();
  return { outcome: outcome.kind, totalSecs, realTimeMultiple: totalSecs / seconds, stages, engines };
}

if (!args.has("--skip-pipeline")) {
  const seconds = quick ? 60 : 600;
  const dir = mkdtempSync(path.join(os.tmpdir(), "mp-bench-pipe-"));
  const file = path.join(dir, `bench-${seconds}s-720p.mp4`);
  const cut = "hue=H='PI*mod(floor(t/10),2)':s='1+mod(floor(t/10),3)'";
  let t = performance.now();
  const talk = makeSpeechTrack(dir);
  execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=s=1280x720:r=25:d=${seconds}`, "-stream_loop", "-1", "-i", talk,
    "-vf", `${cut},format=yuv420p`, "-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-c:a", "aac", "-b:a", "64k", "-t", String(seconds), file]);
  console.log(`generated ${seconds} s 720p test video with two voices talking (${fmt(statSync(file).size / 1e6, 1)} MB) in ${fmt((performance.now() - t) / 1000, 1)} s`);
  t = performance.now();
  execFileSync("ffmpeg", ["-v", "error", "-i", file, "-f", "null", "-"]);
  const decodeSecs = (performance.now() - t) / 1000;
  console.log(`plain decode (ffmpeg -i file -f null -): ${fmt(decodeSecs, 1)} s`);
  results.pipeline = { seconds, decodeSecs, runs: {} };
  for (const [label, flags] of Object.entries(PIPELINE_RUNS)) {
    const run = await runPipeline(dir, file, seconds, flags, label);
    results.pipeline.runs[label] = run;
    console.log(`pipeline ${label} (${run.outcome}) on ${seconds} s of 720p: ${fmt(run.totalSecs, 1)} s wall = ${fmt(run.realTimeMultiple, 3)}× real time = ${fmt(run.totalSecs / decodeSecs, 2)}× one plain decode`);
    for (const [stage, secs] of Object.entries(run.stages)) console.log(`  ${stage.padEnd(18)} ${fmt(secs, 1).padStart(7)} s`);
    for (const [stage, e] of Object.entries(run.engines)) {
      const cost = e.msPerFrame !== undefined ? `${fmt(e.msPerFrame, 1)} ms/frame over ${e.frames} frames, warm-up ${fmt(e.warmupMs)} ms` : `real-time factor ${fmt(e.realTimeFactor, 3)}, ${e.words} words, ${e.speakers} speakers`;
      console.log(`  ${stage.padEnd(18)} ${e.engine}: ${cost}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\n${JSON.stringify({ machine: { cores: os.availableParallelism(), node: process.version }, ...results })}`);

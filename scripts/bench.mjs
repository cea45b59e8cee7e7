// npm run bench [-- --quick] [-- --skip-pipeline]
// Measures, side by side in one run (these machines are noisy, so compare within a run):
//   1. pattern matching: every catalog event against every route, route-matches per second;
//   2. the durable bus: burst throughput, and publish→handler latency p50/p99 at a paced 1,000 events/s;
//   3. the pipeline on a generated 10-minute 720p video (60 s with --quick): wall time per stage,
//      total as a multiple of real time, and against one plain `ffmpeg -i <file> -f null -` decode.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { catalog, compilePattern, makeEvent, routes } from "@media-pipeline/core";
import { DurableBus, loadConfig, openLocalRuntime } from "@media-pipeline/local";
import { openDb } from "../packages/local/dist/runtime/db.js";

const args = new Set(process.argv.slice(2));
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
if (!args.has("--skip-pipeline")) {
  const seconds = quick ? 60 : 600;
  const dir = mkdtempSync(path.join(os.tmpdir(), "mp-bench-pipe-"));
  const file = path.join(dir, `bench-${seconds}s-720p.mp4`);
  const cut = "hue=H='PI*mod(floor(t/10),2)':s='1+mod(floor(t/10),3)'";
  let t = performance.now();
  execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=s=1280x720:r=25:d=${seconds}`, "-f", "lavfi", "-i",
    `anoisesrc=color=pink:amplitude=0.05:duration=${seconds}:sample_rate=44100`, "-vf", `${cut},format=yuv420p`, "-c:v", "libx264",
    "-preset", "veryfast", "-crf", "30", "-c:a", "aac", "-b:a", "64k", "-shortest", file]);
  console.log(`generated ${seconds} s 720p test video (${fmt(statSync(file).size / 1e6, 1)} MB) in ${fmt((performance.now() - t) / 1000, 1)} s`);
  t = performance.now();
  execFileSync("ffmpeg", ["-v", "error", "-i", file, "-f", "null", "-"]);
  const decodeSecs = (performance.now() - t) / 1000;
  console.log(`plain decode (ffmpeg -i file -f null -): ${fmt(decodeSecs, 1)} s`);

  const runtime = await openLocalRuntime(loadConfig({ dataDir: path.join(dir, "data") }, {}, dir));
  t = performance.now();
  const mediaId = await runtime.ingest(file);
  const outcome = await runtime.outcome(mediaId);
  const totalSecs = (performance.now() - t) / 1000;
  const stages = {};
  for (const r of await runtime.state.list(mediaId)) {
    if (r.startedAt && r.finishedAt) stages[r.stage] = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
  }
  await runtime.close();
  console.log(`pipeline (${outcome.kind}) on ${seconds} s of 720p video: ${fmt(totalSecs, 1)} s wall = ${fmt(totalSecs / seconds, 3)}× real time = ${fmt(totalSecs / decodeSecs, 2)}× one plain decode`);
  for (const [stage, secs] of Object.entries(stages)) console.log(`  ${stage.padEnd(18)} ${fmt(secs, 1).padStart(7)} s`);
  results.pipeline = { seconds, decodeSecs, totalSecs, realTimeMultiple: totalSecs / seconds, decodeMultiple: totalSecs / decodeSecs, stages, outcome: outcome.kind };
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\n${JSON.stringify({ machine: { cores: os.availableParallelism(), node: process.version }, ...results })}`);

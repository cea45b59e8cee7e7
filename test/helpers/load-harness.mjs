// Drives `media-pipeline serve` as a separate process, the way a client would: start it, upload
// through the API, follow its events, and watch its memory from /proc. Plain JavaScript so that both
// the tests (test/load.test.ts, test/crash-server.test.ts) and `npm run bench -- --load` use the very
// same code; types are in load-harness.d.mts.
import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const BIN = path.join(ROOT, "packages/local/bin/media-pipeline.js");
const PROBE = pathToFileURL(path.join(import.meta.dirname, "delivery-probe.mjs")).href;
const run = promisify(execFile);
const FFMPEG = process.env.MEDIA_PIPELINE_FFMPEG ?? "ffmpeg";

// ---- the server process ------------------------------------------------------------------------

/** A free TCP port on loopback (for restarts on the same port, so signed upload URLs stay valid). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `media-pipeline serve` on `dataDir` and resolves once it says where it listens. Word-level
 * speech is off unless `env` says otherwise (the load the issue asks about is the fast setting).
 */
export function startServe(o) {
  const args = [];
  if (o.probeFile) args.push("--import", PROBE);
  args.push(BIN, "serve", "--port", String(o.port ?? 0), "--data-dir", o.dataDir);
  if (o.workers) args.push("--workers", String(o.workers));
  const env = {
    ...process.env, MEDIA_PIPELINE_WORDS: "off", ...o.env, MEDIA_PIPELINE_TOKEN: o.token,
    ...(o.probeFile ? { MEDIA_PIPELINE_DELIVERY_PROBE: o.probeFile } : {}),
  };
  // Run from the data dir's parent: a media-pipeline.config.json in the caller's directory must not leak in.
  const child = spawn(process.execPath, args, { cwd: path.dirname(o.dataDir), env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 30 s\n${stdout}\n${stderr}`)), 30_000);
    child.stdout.on("data", (d) => {
      stdout += d;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1], pid: child.pid, child, exited,
          stderr: () => stderr,
          async kill(signal = "SIGKILL") {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code ?? signal}) before it listened\n${stdout}\n${stderr}`));
    });
  });
}

// ---- media -------------------------------------------------------------------------------------

const ffmpeg = (args) => run(FFMPEG, ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args], { maxBuffer: 16 << 20 });

const SOURCES = ["testsrc2", "smptebars", "rgbtestsrc", "mandelbrot", "testsrc", "yuvtestsrc"];
const AUDIO_FORMATS = [
  { ext: "wav", contentType: "audio/wav", codec: ["-c:a", "pcm_s16le"] },
  { ext: "mp3", contentType: "audio/mpeg", codec: ["-c:a", "libmp3lame", "-b:a", "48k"] },
  { ext: "m4a", contentType: "audio/mp4", codec: ["-c:a", "aac", "-b:a", "48k"] },
];

/**
 * One small, distinct media file: `i % 3` picks video with audio, video only or audio only; the
 * pattern pair, hue, tone and length vary with `i`, so no two files have the same bytes.
 */
export async function makeLoadMedium(dir, i) {
  const kind = ["video+audio", "video", "audio"][i % 3];
  const seconds = 2 + (i % 3) * 0.5; // 2 – 3 s
  const freq = 220 + i * 17;
  if (kind === "audio") {
    const f = AUDIO_FORMATS[Math.floor(i / 3) % AUDIO_FORMATS.length];
    const file = path.join(dir, `load-${String(i).padStart(3, "0")}.${f.ext}`);
    await ffmpeg(["-f", "lavfi", "-i", `sine=frequency=${freq}:sample_rate=22050:duration=${seconds}`, ...f.codec, file]);
    return { path: file, name: path.basename(file), contentType: f.contentType, kind, seconds };
  }
  const a = SOURCES[i % SOURCES.length];
  const b = SOURCES[(i + 1 + Math.floor(i / SOURCES.length)) % SOURCES.length];
  const half = seconds / 2;
  const size = "160x90";
  const file = path.join(dir, `load-${String(i).padStart(3, "0")}.mp4`);
  const args = [
    "-f", "lavfi", "-t", String(half), "-i", `${a}=s=${size}:r=10`,
    "-f", "lavfi", "-t", String(half), "-i", `${b}=s=${size}:r=10`,
  ];
  if (kind === "video+audio") args.push("-f", "lavfi", "-t", String(seconds), "-i", `sine=frequency=${freq}:sample_rate=22050`);
  args.push("-filter_complex", `[0:v][1:v]concat=n=2:v=1:a=0,hue=h=${(i * 37) % 360},format=yuv420p[v]`, "-map", "[v]");
  if (kind === "video+audio") args.push("-map", "2:a", "-c:a", "aac", "-b:a", "32k");
  args.push("-c:v", "libx264", "-preset", "ultrafast", "-crf", "34", "-t", String(seconds), file);
  await ffmpeg(args);
  return { path: file, name: path.basename(file), contentType: "video/mp4", kind, seconds };
}

/** `count` media from makeLoadMedium, made `concurrency` at a time. */
export async function makeLoadMedia(dir, count, concurrency = 2) {
  const out = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await makeLoadMedium(dir, i);
    }
  }));
  return out;
}

// ---- the API -----------------------------------------------------------------------------------

const json = (token) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });

/** POST /uploads: the mediaId and the signed PUT. */
export async function requestUpload(url, token, file, size) {
  const res = await fetch(`${url}/uploads`, { method: "POST", headers: json(token), body: JSON.stringify({ filename: file.name, contentType: file.contentType, size }) });
  if (res.status !== 201) throw new Error(`POST /uploads for ${file.name}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** POST /uploads, then PUT the bytes to the signed URL; the times are for throughput figures. */
export async function uploadFile(url, token, file) {
  const body = await readFile(file.path);
  const startedAt = Date.now();
  const { mediaId, upload } = await requestUpload(url, token, file, body.length);
  const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body });
  if (put.status !== 200) throw new Error(`PUT ${file.name}: ${put.status} ${await put.text()}`);
  return { mediaId, file, bytes: body.length, startedAt, uploadedAt: Date.now() };
}

/** GET /media/{id}. */
export async function mediaStatus(url, token, mediaId) {
  const res = await fetch(`${url}/media/${mediaId}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /media/${mediaId}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * Follows GET /events (SSE) from the start of the log for each media's first terminal event
 * (`Analysis Completed` or `Media Rejected`); resolves when every id in `mediaIds` has one.
 */
export async function waitForTerminal(url, token, mediaIds, { timeoutMs = 180_000 } = {}) {
  const want = new Set(mediaIds);
  const ends = new Map();
  const pattern = JSON.stringify({ source: ["media-pipeline"], "detail-type": ["Analysis Completed", "Media Rejected"] });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms with ${ends.size}/${want.size} finished`)), timeoutMs);
  try {
    const res = await fetch(`${url}/events?since=0&pattern=${encodeURIComponent(pattern)}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    if (res.status !== 200) throw new Error(`GET /events: ${res.status} ${await res.text()}`);
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
        const id = /^id:\s*(\d+)/m.exec(block)?.[1];
        if (!data) continue;
        const event = JSON.parse(data);
        const mediaId = event.detail?.mediaId;
        if (want.has(mediaId) && !ends.has(mediaId)) ends.set(mediaId, { type: event["detail-type"], seq: Number(id), at: Date.now(), event });
      }
      if (ends.size === want.size) break;
    }
    if (ends.size < want.size) throw new Error(`the event stream ended with ${ends.size}/${want.size} finished`);
    return ends;
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

// ---- memory ------------------------------------------------------------------------------------

function statusOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
    return { rssKb: kb("VmRSS"), hwmKb: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

/** The process and every descendant (ffmpeg, pocketsphinx …), from /proc/<pid>/task/<tid>/children. */
function tree(pid) {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    const dir = `/proc/${all[i]}/task`;
    if (!existsSync(dir)) continue;
    try {
      for (const tid of readdirSync(dir)) {
        const kids = readFileSync(`${dir}/${tid}/children`, "utf8").trim();
        if (kids) all.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      // the process ended between the listing and the read
    }
  }
  return all;
}

/**
 * Samples the server's resident memory every `everyMs`. VmHWM is the kernel's own high-water mark of
 * the process's RSS, so the peak is exact even between samples; the process tree (the server plus
 * its ffmpeg children) is only as good as the sampling.
 */
export function sampleMemory(pid, everyMs = 200) {
  let peakRssKb = 0;
  let hwmKb = 0;
  let treePeakKb = 0;
  let firstRssKb;
  let samples = 0;
  const read = () => {
    const s = statusOf(pid);
    if (!s) return;
    samples += 1;
    firstRssKb ??= s.rssKb;
    peakRssKb = Math.max(peakRssKb, s.rssKb);
    hwmKb = Math.max(hwmKb, s.hwmKb);
    const total = tree(pid).reduce((sum, p) => sum + (statusOf(p)?.rssKb || 0), 0);
    treePeakKb = Math.max(treePeakKb, total);
  };
  read();
  const timer = setInterval(read, everyMs);
  const mib = (kb) => Math.round((kb / 1024) * 10) / 10;
  return {
    /** Stops sampling; call before the process exits, or the last high-water mark is lost. */
    stop() {
      read();
      clearInterval(timer);
      return { samples, startRssMiB: mib(firstRssKb ?? 0), peakRssMiB: mib(peakRssKb), hwmMiB: mib(hwmKb), treePeakMiB: mib(treePeakKb) };
    },
  };
}

// ---- what the data dir says --------------------------------------------------------------------

/** The probe's lines: deliveries running at once, at most, by the probe's count and by the bus's in-flight set. */
export function readProbe(file) {
  const lines = existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
  let maxRunning = 0;
  let maxInflight = 0;
  let workers = null;
  let starts = 0;
  let retries = 0;
  let dead = 0;
  for (const l of lines) {
    maxRunning = Math.max(maxRunning, l.running);
    if (typeof l.inflight === "number") maxInflight = Math.max(maxInflight, l.inflight);
    workers ??= l.workers;
    if (l.status === "start") starts += 1;
    if (l.status === "retry") retries += 1;
    if (l.status === "dead") dead += 1;
  }
  return { notices: lines.length, starts, retries, dead, maxRunning, maxInflight, workers };
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
const summary = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, min: s.length ? s[0] : null, p50: pct(s, 50), p95: pct(s, 95), max: s.length ? s[s.length - 1] : null };
};

/** Opens the runtime's database read-only (WAL lets it sit beside the running server). */
export function openReadOnly(dataDir) {
  return new Database(path.join(dataDir, "pipeline.db"), { readonly: true, fileMustExist: true });
}

/**
 * From the database: per-stage run time (stage_state started → finished), end-to-end latency per
 * media (Media Received → its first terminal event, by the log's own timestamps), and the most stage
 * runs that overlapped in time (each stage runs inside one delivery, so this can never exceed the
 * deliveries running at once: a second, independent witness of the bound).
 */
export function logFigures(dataDir, mediaIds) {
  const db = openReadOnly(dataDir);
  try {
    const ids = new Set(mediaIds);
    const rows = db.prepare("SELECT media_id, stage, started_at, finished_at FROM stage_state WHERE started_at IS NOT NULL AND finished_at IS NOT NULL").all().filter((r) => ids.has(r.media_id));
    const byStage = {};
    const edges = [];
    for (const r of rows) {
      const start = Date.parse(r.started_at);
      const end = Date.parse(r.finished_at);
      (byStage[r.stage] ??= []).push(end - start);
      edges.push([start, 1], [end, -1]);
    }
    // Ends sort before starts at the same instant: back-to-back runs do not overlap.
    edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    let maxOverlap = 0;
    for (const [, d] of edges) maxOverlap = Math.max(maxOverlap, (open += d));
    const stages = Object.fromEntries(Object.entries(byStage).map(([k, v]) => [k, summary(v)]));
    const times = db.prepare(
      `SELECT media_id, min(CASE WHEN detail_type = 'Media Received' THEN created_at END) received,
              min(CASE WHEN detail_type IN ('Analysis Completed', 'Media Rejected') THEN created_at END) ended
       FROM events GROUP BY media_id`,
    ).all().filter((r) => ids.has(r.media_id) && r.received && r.ended);
    return { stages, endToEndMs: summary(times.map((t) => t.ended - t.received)), maxStageOverlap: maxOverlap, firstReceived: Math.min(...times.map((t) => t.received)), lastEnded: Math.max(...times.map((t) => t.ended)) };
  } finally {
    db.close();
  }
}

// ---- the whole load run ------------------------------------------------------------------------

/**
 * `count` distinct small media uploaded at once through a fresh `serve` with `workers` workers; waits
 * for every one to end and returns what was measured. Leaves assertions to the caller.
 */
export async function runLoad({ dir, count = 50, workers = 2, timeoutMs = 240_000, log = () => {} }) {
  const token = "load-test-token-0123456789abcdef";
  const dataDir = path.join(dir, "data");
  const probeFile = path.join(dir, "deliveries.jsonl");
  let t = Date.now();
  const files = await makeLoadMedia(dir, count);
  log(`made ${count} media (${files.filter((f) => f.kind === "video+audio").length} video+audio, ${files.filter((f) => f.kind === "video").length} video only, ${files.filter((f) => f.kind === "audio").length} audio only) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const server = await startServe({ dataDir, token, workers, probeFile });
  const memory = sampleMemory(server.pid);
  try {
    t = Date.now();
    const uploads = await Promise.all(files.map((f) => uploadFile(server.url, token, f)));
    const uploadSecs = (Date.now() - t) / 1000;
    log(`${count} uploads accepted in ${uploadSecs.toFixed(1)} s`);
    const ends = await waitForTerminal(server.url, token, uploads.map((u) => u.mediaId), { timeoutMs });
    const wallSecs = (Date.now() - t) / 1000;
    const mem = memory.stop();
    const statuses = {};
    for (const u of uploads) {
      const s = await mediaStatus(server.url, token, u.mediaId);
      statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    }
    const figures = logFigures(dataDir, uploads.map((u) => u.mediaId));
    const probe = readProbe(probeFile);
    const ended = [...ends.values()];
    return {
      count, workers, uploadSecs, wallSecs,
      mediaPerMinute: (count / wallSecs) * 60,
      completed: ended.filter((e) => e.type === "Analysis Completed").length,
      rejected: ended.filter((e) => e.type === "Media Rejected").length,
      statuses, memory: mem, concurrency: { ...probe, maxStageOverlap: figures.maxStageOverlap },
      stages: figures.stages, endToEndMs: figures.endToEndMs, mediaSeconds: files.reduce((s, f) => s + f.seconds, 0),
      dataDir, serverStderr: server.stderr(),
    };
  } finally {
    memory.stop();
    await server.kill("SIGTERM");
  }
}

/** One readable paragraph of a load run's figures (for the test log, the bench and the README). */
export function describeLoad(r) {
  const fmt = (n, d = 0) => (n === null || n === undefined ? "–" : Number(n).toFixed(d));
  const stages = Object.entries(r.stages).map(([s, v]) => `  ${s.padEnd(18)} n=${String(v.n).padStart(3)} p50 ${fmt(v.p50).padStart(6)} ms  p95 ${fmt(v.p95).padStart(6)} ms  max ${fmt(v.max).padStart(6)} ms`);
  return [
    `load: ${r.count} uploads at once, ${r.workers} workers: ${r.completed} Analysis Completed, ${r.rejected} Media Rejected in ${fmt(r.wallSecs, 1)} s = ${fmt(r.mediaPerMinute, 1)} media/min (${fmt(r.mediaSeconds, 0)} s of media; uploads accepted in ${fmt(r.uploadSecs, 2)} s)`,
    `  end to end (Media Received → Analysis Completed): first ${fmt(r.endToEndMs.min / 1000, 1)} s, p50 ${fmt(r.endToEndMs.p50 / 1000, 1)} s, p95 ${fmt(r.endToEndMs.p95 / 1000, 1)} s, max ${fmt(r.endToEndMs.max / 1000, 1)} s`,
    `  deliveries: ${r.concurrency.starts} run, at most ${r.concurrency.maxRunning} at once (bus in-flight set max ${r.concurrency.maxInflight}; stage runs overlapping max ${r.concurrency.maxStageOverlap}); ${r.concurrency.retries} retries, ${r.concurrency.dead} dead`,
    `  server memory: RSS at start ${fmt(r.memory.startRssMiB)} MiB, peak ${fmt(r.memory.hwmMiB)} MiB (VmHWM); with ffmpeg children ${fmt(r.memory.treePeakMiB)} MiB (sampled)`,
    `  per-stage run time:`,
    ...stages,
  ].join("\n");
}

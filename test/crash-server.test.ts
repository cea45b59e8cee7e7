import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/flow.js";
import {
  freePort, mediaStatus, openReadOnly, requestUpload, startServe, uploadFile, waitForTerminal, type LoadMedium, type ServeProcess,
} from "./helpers/load-harness.mjs";
import { auditLog } from "./helpers/log-checks.js";
import { makeAudioOnly, makeCutVideo, makeTextAsMp4, makeVideoOnly } from "./helpers/media.js";

/*
 * `media-pipeline serve` killed with SIGKILL again and again during a multi-file run — once in the
 * middle of an upload's PUT, then at random moments while stages run — and restarted on the same data
 * dir and port each time (the bus re-runs whatever deliveries are pending). The kill points are
 * random and logged, so a failure can be replayed by hand.
 */

const TOKEN = "crash-server-token-0123456789abcdef";
const auth = { authorization: `Bearer ${TOKEN}` };
const servers: ServeProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.kill("SIGKILL");
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomMs = (min: number, max: number) => Math.round(min + Math.random() * (max - min));

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Media items without a terminal event, and events so far (read beside the running server). */
function progress(dataDir: string): { unfinished: number; events: number } {
  const db = openReadOnly(dataDir);
  try {
    const { unfinished } = db.prepare(
      `SELECT count(*) unfinished FROM media m WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.media_id = m.media_id
         AND e.detail_type IN ('Analysis Completed', 'Media Rejected'))`,
    ).get() as { unfinished: number };
    const { events } = db.prepare("SELECT count(*) events FROM events").get() as { events: number };
    return { unfinished, events };
  } finally {
    db.close();
  }
}

/**
 * A PUT that sends the first half of the body and then stalls, as a slow client on a bad network
 * would; it ends when the server goes away.
 */
function stalledPut(url: string, headers: Record<string, string>, body: Buffer): Promise<unknown> {
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return new Promise<void>(() => {});
      sent = true;
      controller.enqueue(body.subarray(0, Math.floor(body.length / 2)));
    },
  });
  return fetch(url, { method: "PUT", headers, body: stream, duplex: "half" } as RequestInit).then(
    (res) => ({ status: res.status }),
    (error: unknown) => ({ error }),
  );
}

describe("crash recovery of the server", () => {
  it("finishes every upload exactly once across repeated SIGKILLs of serve, one in the middle of a PUT that the client then retries", async () => {
    const dir = await tempDir("crash-server");
    const dataDir = path.join(dir, "data");
    const port = await freePort();
    const as = (made: { path: string }, contentType: string): LoadMedium => ({
      path: made.path, name: path.basename(made.path), contentType, kind: contentType.startsWith("audio") ? "audio" : "video", seconds: 0,
    });
    const good = [
      as(await makeCutVideo(dir, { name: "talk.mp4", segments: [2, 2, 2], audio: "sine" }), "video/mp4"),
      as(await makeCutVideo(dir, { name: "street.mp4", segments: [3, 3], audio: "noise" }), "video/mp4"),
      as(await makeVideoOnly(dir, { name: "silent.mp4", segments: [2, 3] }), "video/mp4"),
      as(await makeAudioOnly(dir, "mp3", 4), "audio/mpeg"),
      as(await makeAudioOnly(dir, "m4a", 5), "audio/mp4"),
    ];
    const bad = as({ path: await makeTextAsMp4(dir) }, "video/mp4");
    const kills: Array<{ n: number; at: string; afterMs: number; unfinished: number; events: number }> = [];
    const ids: string[] = [];

    const start = async () => {
      const s = await startServe({ dataDir, token: TOKEN, port, workers: 2 });
      servers.push(s);
      return s;
    };
    const kill = async (s: ServeProcess, at: string, afterMs: number) => {
      const seen = progress(dataDir);
      const { signal } = await s.kill("SIGKILL");
      expect(signal).toBe("SIGKILL");
      kills.push({ n: kills.length + 1, at, afterMs, ...seen });
      console.info(`crash-server: SIGKILL #${kills.length} ${at}, ${afterMs} ms after start; ${seen.unfinished} media unfinished, ${seen.events} events logged`);
    };

    // Run 1: two uploads, then a third whose PUT stalls half-way; the server dies under it.
    let server = await start();
    ids.push((await uploadFile(server.url, TOKEN, good[0]!)).mediaId, (await uploadFile(server.url, TOKEN, good[2]!)).mediaId);
    const slowBody = readFileSync(good[1]!.path);
    const slow = await requestUpload(server.url, TOKEN, good[1]!, slowBody.length);
    ids.push(slow.mediaId);
    const putting = stalledPut(slow.upload.url, slow.upload.headers, slowBody);
    const uploadDir = path.join(dataDir, "uploads", slow.mediaId);
    // The server has the first half on disk: the kill lands in the middle of receiving.
    await until("the stalled PUT's first bytes on disk", () => {
      try {
        return readdirSync(uploadDir).some((f) => f.startsWith("tmp-") && statSync(path.join(uploadDir, f)).size > 0) || undefined;
      } catch {
        return undefined;
      }
    });
    const midPut = randomMs(0, 1500);
    await sleep(midPut);
    await kill(server, "mid-PUT", midPut);
    expect(await putting).toMatchObject({ error: expect.anything() });

    // Run 2: the interrupted upload is still open (its claim released), and the client's retry of the
    // very same signed URL succeeds. Then two more uploads, the bad one among them.
    server = await start();
    expect(await mediaStatus(server.url, TOKEN, slow.mediaId)).toMatchObject({ status: "awaiting-upload", upload: { status: "pending" } });
    const retry = await fetch(slow.upload.url, { method: "PUT", headers: slow.upload.headers, body: slowBody });
    expect(retry.status, await retry.clone().text()).toBe(200);
    expect(await retry.json()).toMatchObject({ mediaId: slow.mediaId, size: slowBody.length, status: "uploaded" });
    ids.push((await uploadFile(server.url, TOKEN, good[3]!)).mediaId, (await uploadFile(server.url, TOKEN, bad)).mediaId);
    let wait = randomMs(300, 5000);
    await sleep(wait);
    await kill(server, "while stages run", wait);

    // Run 3: the last upload, then killed again at a random moment.
    server = await start();
    ids.push((await uploadFile(server.url, TOKEN, good[4]!)).mediaId);
    wait = randomMs(300, 5000);
    await sleep(wait);
    await kill(server, "while stages run", wait);

    // Runs 4…: killed at random moments for as long as there is work left, up to three more times.
    for (let extra = 0; extra < 3; extra++) {
      server = await start();
      wait = randomMs(500, 6000);
      await sleep(wait);
      if (progress(dataDir).unfinished === 0) break;
      await kill(server, "while stages run", wait);
    }
    if (server.child.exitCode !== null || server.child.signalCode !== null) server = await start();

    // The kills hit work in flight: each of the first three left media unfinished.
    expect(kills.length).toBeGreaterThanOrEqual(3);
    for (const k of kills.slice(0, 3)) expect(k.unfinished, JSON.stringify(k)).toBeGreaterThan(0);

    const ends = await waitForTerminal(server.url, TOKEN, ids, { timeoutMs: 240_000 });
    const badId = ids[4]!;
    for (const id of ids) expect(ends.get(id)?.type, id).toBe(id === badId ? "Media Rejected" : "Analysis Completed");
    for (const id of ids.filter((i) => i !== badId)) {
      expect((await fetch(`${server.url}/media/${id}/report`, { headers: auth })).status, id).toBe(200);
    }
    expect(await mediaStatus(server.url, TOKEN, badId)).toMatchObject({ status: "rejected", rejection: { reason: expect.any(String) } });
    await server.kill("SIGTERM");

    const db = openReadOnly(dataDir);
    try {
      const audit = auditLog(db);
      // No gaps in the log, nothing owed, nothing dead, no stage left half-done.
      expect(audit.seqGaps).toEqual([]);
      expect(audit.deliveriesNotDone).toEqual([]);
      expect(audit.deadLetters).toEqual([]);
      expect(audit.stagesNotSettled).toEqual([]);
      expect(Object.keys(audit.media).sort()).toEqual([...ids].sort());
      for (const id of ids) {
        const m = audit.media[id]!;
        // Every stage output exactly once per media, however many times its delivery ran.
        expect(m.duplicated, `${id}: ${m.types.join(", ")}`).toEqual([]);
        expect(m.types, id).not.toContain("Stage Failed");
        expect(m.types.filter((t) => t === "Media Received"), id).toHaveLength(1);
      }
      // The bad file: rejected by the probe, and nothing after it.
      expect(audit.media[badId]!.types).toEqual(["Media Received", "Media Rejected"]);
      // A video with sound went through every stage.
      for (const t of ["Media Probed", "Audio Extracted", "Shots Detected", "Labels Detected", "Moderation Completed", "Transcript Ready", "Scenes Summarized", "Analysis Completed"]) {
        expect(audit.media[ids[0]!]!.types, t).toContain(t);
        expect(audit.media[slow.mediaId]!.types, t).toContain(t);
      }
      const uploads = db.prepare("SELECT status, count(*) n FROM server_uploads GROUP BY status").all();
      expect(uploads).toEqual([{ status: "completed", n: ids.length }]);
      console.info(`crash-server: ${kills.length} kills (${kills.map((k) => `${k.at} +${k.afterMs} ms`).join("; ")}); ${audit.events} events, gapless`);
    } finally {
      db.close();
    }
  }, 420_000);
});

// Preloaded into a `media-pipeline` process under test (`node --import <this file> bin/media-pipeline.js …`)
// with MEDIA_PIPELINE_DELIVERY_PROBE=<file>: appends one JSON line per bus delivery notice, with how
// many deliveries were running at that moment. Read-only: it observes the bus, it changes nothing.
//
// Why a preload and not a counter in the server: the load test must measure the real process as a
// user runs it, without a test-only endpoint in the product. The bus announces every delivery
// (`delivery` with status start | done | retry | dead); counting starts minus ends over the keys
// (seq/route) gives deliveries running at once. The bus's own in-flight set is sampled beside it as a
// second witness (a private field, read only, and only if it is there).
import { appendFileSync } from "node:fs";

const out = process.env.MEDIA_PIPELINE_DELIVERY_PROBE;
if (out) {
  const { DurableBus } = await import(new URL("../../packages/local/dist/runtime/bus/index.js", import.meta.url).href);
  const emit = DurableBus.prototype.emit;
  const running = new Set();
  DurableBus.prototype.emit = function probedEmit(name, ...args) {
    if (name === "delivery") {
      const n = args[0];
      const key = `${n.seq}/${n.route}`;
      if (n.status === "start") running.add(key);
      else running.delete(key);
      const line = {
        t: Date.now(), seq: n.seq, route: n.route, stage: n.stage, mediaId: n.mediaId, status: n.status,
        running: running.size, inflight: this.inflight instanceof Set ? this.inflight.size : null,
        workers: typeof this.opts?.workers === "number" ? this.opts.workers : null,
      };
      appendFileSync(out, `${JSON.stringify(line)}\n`);
    }
    return emit.call(this, name, ...args);
  };
}

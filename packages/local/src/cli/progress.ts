import type { AnyPipelineEvent } from "@media-pipeline/core";
import type { DeliveryNotice } from "../runtime/bus/index.js";
import type { LocalRuntime } from "../runtime/runtime.js";

export type ProgressMode = "pretty" | "json" | "quiet";

const fmt = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

/** One short line of facts per event, so a person can follow the flow. */
function describe(e: AnyPipelineEvent): string {
  switch (e["detail-type"]) {
    case "Media Received": return `${e.detail.filename} (${(e.detail.sizeBytes / 1e6).toFixed(2)} MB)`;
    case "Media Probed": return `${e.detail.kind}, ${(e.detail.durationMs / 1000).toFixed(1)} s, ${e.detail.streams.map((s) => s.codec).join("+")}`;
    case "Media Rejected": return `${e.detail.reason}: ${e.detail.message}`;
    case "Video Prepared": return `${e.detail.input}: ${e.detail.reason}`;
    case "Audio Extracted": return `${e.detail.sampleRate / 1000} kHz ${e.detail.format}`;
    case "Shots Detected": return `${e.detail.shotCount} shots, ${e.detail.frameCount} frames`;
    case "Labels Detected": return e.detail.topLabels.slice(0, 5).map((l) => `${l.name} ${l.confidence.toFixed(0)}`).join(", ") || "no labels";
    case "Moderation Completed": return `${e.detail.decision} (${e.detail.segmentCount} segments)`;
    case "Transcript Ready": return `${e.detail.speakerCount} speakers, ${e.detail.segmentCount} segments, ${e.detail.wordCount} words${e.detail.hasWords ? "" : " (no speech-to-text engine)"}`;
    case "Scenes Summarized": return `${e.detail.sceneCount} scenes`;
    case "Text Detected": return `${e.detail.lineCount} lines, ${e.detail.wordCount} words on screen`;
    case "Captions Ready": return `${e.detail.cueCount} cues (WebVTT and SRT)`;
    case "Media Summarized": return `${e.detail.chapterCount} chapters (${e.detail.method}): ${e.detail.topics.slice(0, 5).join(", ") || "no topics"}`;
    case "Review Requested": return `task ${e.detail.taskId} (${e.detail.segmentCount} segments)`;
    case "Review Completed": return `${e.detail.verdict} by ${e.detail.reviewer}`;
    case "Analysis Completed":
      return `${e.detail.status}, moderation ${e.detail.decision ?? "n/a"}${e.detail.decidedBy === "reviewer" ? " (reviewer)" : ""}, review ${e.detail.review.status}${e.detail.final ? "" : " (a final report follows the verdict)"}`;
    case "Stage Failed": return `${e.detail.stage}: ${e.detail.error.message}`;
  }
}

/**
 * Shows the flow while it runs: each event as it lands on the bus with the elapsed time, and a
 * progress bar for the stage that reports progress (on a terminal). `json` prints JSON lines.
 */
export function attachProgress(runtime: LocalRuntime, mediaId: () => string | undefined, mode: ProgressMode, out: NodeJS.WriteStream = process.stderr): () => void {
  if (mode === "quiet") return () => {};
  const started = Date.now();
  const tty = mode === "pretty" && Boolean((out as NodeJS.WriteStream).isTTY);
  let barShown = false;
  const clearBar = () => {
    if (barShown) out.write("\r\x1b[2K");
    barShown = false;
  };
  const onEvent = (e: AnyPipelineEvent, seq: number) => {
    // Before ingest returns, the id is unknown; its first event (Media Received) must still show.
    const id = mediaId();
    if (id && e.detail.mediaId !== id) return;
    if (mode === "json") return void out.write(JSON.stringify({ type: "event", seq, event: e }) + "\n");
    clearBar();
    out.write(`${fmt(Date.now() - started).padStart(8)}  ${e["detail-type"].padEnd(21)} ${describe(e)}\n`);
  };
  const progress = new Map<string, number>();
  const onProgress = (p: { mediaId: string; stage: string; fraction: number }) => {
    if (p.mediaId !== mediaId()) return;
    if (mode === "json") return void out.write(JSON.stringify({ type: "progress", ...p }) + "\n");
    if (!tty) return;
    progress.set(p.stage, p.fraction);
    const parts = [...progress].filter(([, f]) => f < 1).map(([s, f]) => {
      const width = 14;
      const n = Math.round(Math.min(1, Math.max(0, f)) * width);
      return `${s} [${"#".repeat(n)}${".".repeat(width - n)}] ${(f * 100).toFixed(0)}%`;
    });
    // A terminal that reports no width (0) gets a sensible one; only the visible text is cut to fit.
    const width = Math.max(20, (out.columns || 120) - 1);
    out.write(`\r\x1b[2K${`${fmt(Date.now() - started).padStart(8)}  ${parts.join("  ")}`.slice(0, width)}`);
    barShown = true;
  };
  const onDelivery = (n: DeliveryNotice) => {
    if (n.mediaId !== mediaId()) return;
    if (n.status === "done" || n.status === "dead") progress.delete(n.stage);
    if (mode === "json") return void out.write(JSON.stringify({ type: "delivery", ...n }) + "\n");
    if (n.status === "retry" || n.status === "dead") {
      clearBar();
      out.write(`${fmt(Date.now() - started).padStart(8)}  ${n.status === "dead" ? "dead-lettered" : "retrying"} ${n.stage} (attempt ${n.attempt}): ${n.error}\n`);
    }
  };
  runtime.bus.on("event", onEvent);
  runtime.bus.on("progress", onProgress);
  runtime.bus.on("delivery", onDelivery);
  return () => {
    clearBar();
    runtime.bus.off("event", onEvent);
    runtime.bus.off("progress", onProgress);
    runtime.bus.off("delivery", onDelivery);
  };
}

/**
 * `npm run cloud:e2e -- <file> [--out <dir>] [--reviewer <name>:<approved|rejected>] [--duplicate] [--keep] [--stage <name>] [--time-scale <f>]`
 *
 * Runs the whole cloud app on this machine with no AWS account: synthesizes it, creates its
 * resources in moto_server from the templates, runs each function from its synthesized asset, and
 * emulates Rekognition, Transcribe, Bedrock and A2I on loopback with the local engines. Exit codes:
 * 0 analysis completed, 2 the media was rejected (reason on stderr), 1 anything else.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { analyzeInCloud } from "./analyze.js";
import { startCloudApp, type CloudApp } from "./app.js";
import { decideThroughApi, parseReviewerFlag } from "./review.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: "string" },
    duplicate: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    stage: { type: "string", default: "e2e" },
    "time-scale": { type: "string" },
    timeout: { type: "string", default: "900" },
    reviewer: { type: "string" },
  },
});

async function main(): Promise<number> {
  const file = positionals[0];
  if (!file) {
    process.stderr.write("usage: npm run cloud:e2e -- <file> [--out <dir>] [--reviewer <name>:<approved|rejected>] [--duplicate] [--keep] [--stage <name>] [--time-scale <f>]\n");
    return 1;
  }
  const out = path.resolve(values.out ?? "cloud-report");
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const settings = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(MEDIA_|A2I_)/.test(k)) as [string, string][]);
  let app: CloudApp | undefined;
  try {
    app = await startCloudApp({
      stage: values.stage, settings, duplicate: values.duplicate, log,
      ...(values["time-scale"] ? { timeScale: Number(values["time-scale"]) } : {}),
    });
    const decide = values.reviewer ? parseReviewerFlag(values.reviewer) : undefined;
    const running = app;
    const result = await analyzeInCloud(app, path.resolve(file), {
      out, timeoutMs: Number(values.timeout) * 1000, progress: log,
      // Without a reviewer the task stays open and the report says review pending.
      ...(decide ? { onReviewRequested: (mediaId: string) => decideThroughApi(running, mediaId, decide, { progress: log }) } : {}),
    });
    if (result.status === "completed") {
      log(`report: ${path.join(out, "report.json")}, ${path.join(out, "report.html")}; events: ${path.join(out, "events.jsonl")} (${result.seconds.toFixed(1)} s)`);
      return 0;
    }
    process.stderr.write(`${result.status}: ${result.reason ?? ""}\n`);
    return result.status === "rejected" ? 2 : 1;
  } catch (error) {
    process.stderr.write(`cloud:e2e failed: ${(error as Error).stack ?? error}\n`);
    return 1;
  } finally {
    if (app) {
      if (values.keep) log(`kept ${app.workDir} (assembly, function logs, sandboxes)`);
      await app.stop({ keep: values.keep });
    }
  }
}

process.exitCode = await main();
// esbuild contexts and SDK sockets may linger.
setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();

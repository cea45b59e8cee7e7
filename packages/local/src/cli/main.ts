import { readFileSync, existsSync, statSync } from "node:fs";
import path from "node:path";
import { format } from "node:util";
import { Command, Option } from "commander";
import type { ConfigFlags } from "../runtime/config.js";
import { modelCommands } from "./models.js";

const EXIT = { ok: 0, failed: 1, rejected: 2 } as const;

/** Reads an argument that is either inline JSON or a path to a JSON file. */
function jsonArg(value: string, what: string): unknown {
  const text = existsSync(value) && statSync(value).isFile() ? readFileSync(value, "utf8") : value;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is neither valid JSON nor a readable JSON file: ${value.slice(0, 80)}`);
  }
}

function configOptions(cmd: Command): Command {
  return cmd
    .option("--data-dir <dir>", "where the database, objects and frames live (default .media-pipeline)")
    .option("--config <file>", "config file (default ./media-pipeline.config.json when present)")
    .option("--workers <n>", "deliveries run at once (default: number of cores)")
    .option("--review-min <0-100>", "confidence from which a moderation label goes to human review (default 70; MEDIA_PIPELINE_REVIEW_MIN)")
    .option("--flag-min <0-100>", "confidence from which a moderation label is flagged without review (default 80; MEDIA_PIPELINE_FLAG_MIN)")
    .option("--moderation-model <name>", "nsfwjs model: MobileNetV2Mid (default), MobileNetV2 or InceptionV3 (MEDIA_PIPELINE_MODERATION_MODEL)")
    .option("--max-bytes <n>", "reject media larger than this")
    .option("--max-duration <seconds>", "reject media longer than this")
    .option("--scene-threshold <0-1>", "ffmpeg scene score that starts a new shot (default 0.3)")
    .option("--sample-every <seconds>", "sample a frame this often inside long shots (default 2)")
    .option("--max-speakers <n>", "upper bound on distinct speakers (default 4)")
    .option("--no-words", "skip word-level speech recognition: speech segments and speakers only (MEDIA_PIPELINE_WORDS=off)")
    .option("--asr-model-dir <dir>", "a sherpa-onnx speech model directory for better words (MEDIA_PIPELINE_ASR_MODEL_DIR)")
    // No --llm-api-key: a key on the command line lands in shell history; it is read from the environment only.
    .option("--llm-endpoint <url>", "summarise scenes with an OpenAI-compatible API at this base URL, e.g. http://127.0.0.1:11434/v1 (MEDIA_PIPELINE_LLM_ENDPOINT; key from MEDIA_PIPELINE_LLM_API_KEY)")
    .option("--llm-model <name>", "the model name on that server, required with --llm-endpoint (MEDIA_PIPELINE_LLM_MODEL)");
}

function flagsOf(o: Record<string, string | undefined> & { words?: boolean }): ConfigFlags {
  return {
    config: o.config, dataDir: o.dataDir, workers: o.workers, reviewMin: o.reviewMin, flagMin: o.flagMin, moderationModel: o.moderationModel, maxBytes: o.maxBytes,
    maxDurationSeconds: o.maxDuration, sceneThreshold: o.sceneThreshold, sampleEverySeconds: o.sampleEvery,
    maxSpeakers: o.maxSpeakers, asrModelDir: o.asrModelDir, llmEndpoint: o.llmEndpoint, llmModel: o.llmModel,
    // commander sets `words: true` by default for `--no-words`; only an explicit --no-words overrides lower layers.
    words: o.words === false ? false : undefined,
  };
}

function progressMode(o: { quiet?: boolean; json?: boolean }) {
  return o.json ? "json" : o.quiet ? "quiet" : "pretty";
}

/** Where a review command looks: a data dir (the default) or a running server. */
function reviewTarget(cmd: Command): Command {
  return cmd
    .option("--data-dir <dir>", "the data dir to read and decide on (default .media-pipeline)")
    .option("--config <file>", "config file (default ./media-pipeline.config.json when present)")
    // No token flag: the reviewer token is read from MEDIA_PIPELINE_REVIEWER_TOKEN only, so it stays out of shell history and `ps`.
    .option("--server <url>", "go through a running server instead (default MEDIA_PIPELINE_SERVER); the reviewer token comes from MEDIA_PIPELINE_REVIEWER_TOKEN")
    .option("--json", "print the API's JSON instead of text");
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `review list | show | decide`: human review of uncertain moderation, in a terminal. */
function reviewCommands(program: Command): void {
  const review = program
    .command("review")
    .description("human review of uncertain moderation: list, show and decide review tasks, on a data dir or through a server (--server)");
  reviewTarget(
    review
      .command("list")
      .description("the review queue, oldest first, then counts")
      .addOption(new Option("--status <status>", "which tasks").choices(["open", "claimed", "decided", "all"]).default("open")),
  ).action(async (o) => {
    const { runReviewList } = await import("./review.js");
    process.exitCode = await runReviewList(o);
  });
  reviewTarget(
    review
      .command("show")
      .description("one task: media, model decision, thresholds, segments, claim, decision, audit log")
      .argument("<taskId>", "a task id from `review list`"),
  ).action(async (taskId: string, o) => {
    const { runReviewShow } = await import("./review.js");
    process.exitCode = await runReviewShow(taskId, o);
  });
  reviewTarget(
    review
      .command("decide")
      .description("decide a task: an overall verdict and, per segment, what the reviewer saw; exits 1 if another reviewer holds it or it is decided")
      .argument("<taskId>", "a task id from `review list`")
      .addOption(new Option("--verdict <verdict>", "approved: the media may be published; rejected: it may not").choices(["approved", "rejected"]).makeOptionMandatory())
      .option("--segment <spec>", "one segment's answer, repeatable: <index>=confirmed|false-positive|wrong-category:<Category>", collect, [])
      .option("--comment <text>", "a note for the audit log and the report")
      .option("--as <reviewer>", "who decides, on a data dir (default: your OS user name); with --server the token says who")
      .option("--out <dir>", "on a data dir: also write the final report there, as analyze --out does"),
  ).action(async (taskId: string, o: { verdict: string; segment: string[]; comment?: string; as?: string; out?: string; server?: string; dataDir?: string; config?: string; json?: boolean }) => {
    const { runReviewDecide } = await import("./review.js");
    const { segment, out, ...rest } = o;
    process.exitCode = await runReviewDecide(taskId, { ...rest, segments: segment, ...(out ? { reportOut: out } : {}) });
  });
}

/** `dlq list | redrive [<id>]`: the dead-letter table, read beside a server or redriven on a stopped data dir. */
function dlqCommands(program: Command): void {
  const dlq = program.command("dlq").description("dead letters: deliveries that failed on every attempt or could never be delivered; list and redrive them");
  dlq
    .command("list")
    .description("dead letters not yet redriven, oldest first: id, time, media, route (stage), attempts, error (reads only: works beside a server)")
    .option("--data-dir <dir>", "the data dir (default .media-pipeline)")
    .option("--config <file>", "config file (default ./media-pipeline.config.json when present)")
    .option("--all", "include dead letters already redriven")
    .option("--json", "print them as a JSON array, errors whole")
    .action(async (o: { dataDir?: string; config?: string; all?: boolean; json?: boolean }) => {
      const { runDlqList } = await import("./dlq.js");
      process.exitCode = await runDlqList({ flags: { dataDir: o.dataDir, config: o.config }, all: Boolean(o.all), json: Boolean(o.json) });
    });
  configOptions(
    dlq
      .command("redrive")
      .description("put one dead letter (or every one not yet redriven) back on the bus, run it and what follows until settled; exits 1 if one fails again")
      .argument("[id]", "a dead letter id from `dlq list`; without one, all of them")
      .option("--out <dir>", "also write each completed media item's report to <out>/<mediaId>/")
      .option("--json", "print the result as one JSON object"),
  ).action(async (id: string | undefined, o) => {
    const { runDlqRedrive } = await import("./dlq.js");
    process.exitCode = await runDlqRedrive(id, { flags: flagsOf(o), json: Boolean(o.json), ...(o.out ? { out: o.out } : {}) });
  });
}

export function buildProgram(): Command {
  const program = new Command("media-pipeline")
    .description("Event-driven media analysis: probe, audio, shots, labels, moderation, transcript, scene summaries, report.")
    .showHelpAfterError()
    .exitOverride();

  configOptions(
    program
      .command("analyze")
      .description("run the whole pipeline on one file and write events.jsonl, report.json and report.html")
      .argument("<file>", "a video or audio file")
      .option("--out <dir>", "where to write the report (default ./report)", "report")
      .option("--quiet", "print nothing but the result")
      .option("--json", "print progress as JSON lines"),
  ).action(async (file: string, o) => {
    const { runAnalyze } = await import("./analyze.js");
    process.exitCode = await runAnalyze(file, { out: o.out, mode: progressMode(o), flags: flagsOf(o) });
  });

  configOptions(
    program
      .command("resume")
      .description("finish every media item a stopped or killed run left unfinished, then write their reports")
      .option("--out <dir>", "reports go to <out>/<mediaId>/ (default ./report)", "report")
      .option("--quiet", "print nothing but the results")
      .option("--json", "print progress as JSON lines"),
  ).action(async (o) => {
    const { runResume } = await import("./analyze.js");
    process.exitCode = await runResume({ out: o.out, mode: progressMode(o), flags: flagsOf(o) });
  });

  configOptions(
    program
      .command("replay")
      .description("deliver every event of one media item again to every route it matches, wait until they settle, and report what that produced (expected: nothing new); needs the data dir to itself")
      .argument("<mediaId>", "the media item")
      .option("--timeout <seconds>", "stop waiting after this long (default 600); what is left runs on the next start")
      .option("--json", "print the result as one JSON object"),
  ).action(async (mediaId: string, o) => {
    const { runReplay } = await import("./replay.js");
    process.exitCode = await runReplay(mediaId, { flags: flagsOf(o), json: Boolean(o.json), ...(o.timeout !== undefined ? { timeoutSeconds: o.timeout } : {}) });
  });

  configOptions(
    program
      .command("serve")
      .description("run the pipeline behind a local HTTP API: presigned uploads, status, reports, events (token from MEDIA_PIPELINE_TOKEN or printed at start)")
      .option("--port <n>", "port to listen on (default 8787; 0 picks a free one)", "8787")
      .option("--host <address>", "address to bind (default 127.0.0.1, loopback only)", "127.0.0.1"),
  ).action(async (o) => {
    const port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got "${o.port}"`);
    const { runServe } = await import("./serve.js");
    process.exitCode = await runServe({ port, host: o.host, flags: flagsOf(o) });
  });

  program
    .command("upload")
    .description("upload a file through the server's API (presigned PUT, or resumable multipart for large files); prints the mediaId")
    .argument("<file>", "a video or audio file")
    .option("--server <url>", "the server (default MEDIA_PIPELINE_SERVER or http://127.0.0.1:8787)")
    .option("--content-type <type>", "the media type (default: from the file extension)")
    .option("--state-dir <dir>", "where interrupted uploads are remembered (default ~/.cache/media-pipeline/uploads)")
    .option("--concurrency <n>", "parts sent at once (default 4)")
    .option("--json", "print the result as one JSON line")
    .option("--quiet", "no progress on stderr")
    .action(async (file: string, o: { server?: string; contentType?: string; stateDir?: string; concurrency?: string; json?: boolean; quiet?: boolean }) => {
      const concurrency = o.concurrency === undefined ? undefined : Number(o.concurrency);
      if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) {
        throw new Error(`--concurrency must be a whole number from 1 to 64, got "${o.concurrency}"`);
      }
      const { runUpload } = await import("./upload.js");
      process.exitCode = await runUpload(file, {
        ...(o.server ? { server: o.server } : {}), ...(o.contentType ? { contentType: o.contentType } : {}),
        ...(o.stateDir ? { stateDir: o.stateDir } : {}), ...(concurrency ? { concurrency } : {}),
        json: Boolean(o.json), quiet: Boolean(o.quiet),
      });
    });

  program
    .command("events")
    .description("print the server's events as they arrive, filtered by an EventBridge pattern; reconnects without gaps")
    .option("--follow", "keep following (the default; kept for familiarity)")
    .option("--pattern <json>", "an EventBridge event pattern")
    .option("--server <url>", "the server (default MEDIA_PIPELINE_SERVER or http://127.0.0.1:8787)")
    .option("--after <id>", "start after this event id (an SSE id printed with --json)")
    .option("--limit <n>", "stop after this many events")
    .option("--json", "print each event as a JSON line")
    .action(async (o: { pattern?: string; server?: string; after?: string; limit?: string; json?: boolean }) => {
      const token = process.env.MEDIA_PIPELINE_TOKEN;
      if (!token) throw new Error("MEDIA_PIPELINE_TOKEN is not set: use the token `media-pipeline serve` printed");
      const { followEvents } = await import("./events.js");
      const controller = new AbortController();
      process.once("SIGINT", () => controller.abort());
      await followEvents({
        server: o.server ?? process.env.MEDIA_PIPELINE_SERVER ?? "http://127.0.0.1:8787", token, json: Boolean(o.json),
        signal: controller.signal,
        ...(o.pattern ? { pattern: o.pattern } : {}), ...(o.after ? { after: o.after } : {}), ...(o.limit ? { limit: Number(o.limit) } : {}),
      });
    });

  program
    .command("search")
    .description('full-text search over everything analysed in the data dir: words (all must match), "a phrase", prefix*; best first, each hit with its moment and a link into its report (reads only: works beside a server)')
    .argument("<query...>", "what to search for (several arguments are one query)")
    .option("--data-dir <dir>", "the data dir (default .media-pipeline)")
    .option("--config <file>", "config file (default ./media-pipeline.config.json when present)")
    .option("--limit <n>", "hits to show, 1 to 100 (default 20)")
    .option("--json", "print the result as one JSON object, as GET /search answers")
    .action(async (query: string[], o: { dataDir?: string; config?: string; limit?: string; json?: boolean }) => {
      const { runSearch } = await import("./search.js");
      process.exitCode = await runSearch(query.join(" "), { flags: { dataDir: o.dataDir, config: o.config }, json: Boolean(o.json), ...(o.limit !== undefined ? { limit: o.limit } : {}) });
    });

  reviewCommands(program);
  dlqCommands(program);
  modelCommands(program);

  const pattern = program.command("pattern").description("EventBridge event patterns");
  pattern
    .command("test")
    .description("print true or false: does the event match the pattern (as `aws events test-event-pattern`)")
    .requiredOption("--pattern <json|file>", "the event pattern")
    .requiredOption("--event <json|file>", "the event")
    .action(async (o: { pattern: string; event: string }) => {
      const { compilePattern, InvalidPatternError } = await import("@media-pipeline/core");
      let compiled: ReturnType<typeof compilePattern>;
      try {
        compiled = compilePattern(jsonArg(o.pattern, "--pattern"));
      } catch (error) {
        if (!(error instanceof InvalidPatternError) && !(error instanceof Error && error.message.startsWith("--pattern"))) throw error;
        process.stderr.write(`Invalid pattern: ${(error as Error).message}\n`);
        process.exitCode = EXIT.rejected;
        return;
      }
      let event: unknown;
      try {
        event = jsonArg(o.event, "--event");
      } catch (error) {
        process.stderr.write(`${(error as Error).message}\n`);
        process.exitCode = EXIT.rejected;
        return;
      }
      process.stdout.write(`${compiled.match(event)}\n`);
    });

  program
    .command("version")
    .description("print the version")
    .action(() => {
      const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, "../../package.json"), "utf8")) as { version: string };
      process.stdout.write(`${pkg.version}\n`);
    });
  return program;
}

/**
 * stdout carries only results (`true`/`false`, JSON lines, the report path); libraries that chat
 * through console.log (nsfwjs announces its model) must not corrupt it, so their output goes to stderr.
 */
function keepStdoutForResults(): void {
  const toStderr = (...args: unknown[]) => process.stderr.write(`${format(...args)}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}

export async function main(argv: string[]): Promise<void> {
  keepStdoutForResults();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help") return;
    if (code?.startsWith("commander.")) {
      process.exitCode = EXIT.rejected;
      return;
    }
    process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    process.exitCode = EXIT.failed;
  }
}

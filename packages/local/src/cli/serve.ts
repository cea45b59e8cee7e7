import { parseReviewerTokens, REVIEWER_TOKENS_ENV, ReviewerConfigError } from "../review/reviewers.js";
import { loadConfig, type ConfigFlags } from "../runtime/config.js";
import { openLocalRuntime } from "../runtime/runtime.js";
import { eventsStream } from "../server/events-stream.js";
import { startServer } from "../server/server.js";
import { webhooks } from "../server/webhooks.js";

export interface ServeOptions {
  port: number;
  host: string;
  flags: ConfigFlags;
  env?: NodeJS.ProcessEnv;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * `media-pipeline serve`: the runtime behind HTTP until SIGINT/SIGTERM. The token is printed once,
 * and only when it was generated (one from MEDIA_PIPELINE_TOKEN is the caller's already).
 */
export async function runServe(o: ServeOptions): Promise<number> {
  const env = o.env ?? process.env;
  const given = env.MEDIA_PIPELINE_TOKEN?.trim();
  if (given !== undefined && given !== "" && given.length < 16) {
    process.stderr.write("MEDIA_PIPELINE_TOKEN must be at least 16 characters\n");
    return 2;
  }
  if (!LOOPBACK.has(o.host)) process.stderr.write(`warning: listening on ${o.host}, not loopback: anyone who can reach it and knows the token can use it\n`);
  let reviewers: ReturnType<typeof parseReviewerTokens>;
  try {
    reviewers = parseReviewerTokens(env[REVIEWER_TOKENS_ENV], given ? { apiToken: given } : {});
  } catch (error) {
    if (!(error instanceof ReviewerConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const config = loadConfig(o.flags, env);
  const runtime = await openLocalRuntime(config);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ runtime, config, port: o.port, host: o.host, ...(given ? { token: given } : {}), reviewers, modules: [eventsStream, webhooks] });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  process.stdout.write(`media-pipeline serving ${config.dataDir} on ${server.url}\n`);
  if (!given) process.stdout.write(`token: ${server.token}\n(set MEDIA_PIPELINE_TOKEN to choose your own)\n`);
  process.stdout.write(reviewers.size > 0
    ? `review page: ${server.url}/review (reviewers: ${reviewers.names().join(", ")})\n`
    : `review page: ${server.url}/review is closed until ${REVIEWER_TOKENS_ENV} names reviewers (name:token,…)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      process.stderr.write("stopping…\n");
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
  return 0;
}

import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { LocalConfig } from "../runtime/config.js";
import type { LocalRuntime } from "../runtime/runtime.js";
import { ReviewerDirectory } from "../review/reviewers.js";
import { searchModule } from "../search/http.js";
import { generateToken } from "./auth.js";
import { mediaModule } from "./media.js";
import { reviewsModule } from "./reviews.js";
import { Router } from "./router.js";
import type { RouteModule, ServerContext } from "./types.js";
import { uploadsModule, type UploadOptions } from "./uploads.js";

export interface StartServerOptions {
  runtime: LocalRuntime;
  config?: LocalConfig;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback unless told otherwise: the API token is the only thing guarding it. */
  host?: string;
  /** The API token; generated when absent. */
  token?: string;
  /** Routes mounted beside the built-in ones (e.g. the event stream and webhooks). */
  modules?: RouteModule[];
  /** HMAC key for signed URLs; by default kept in `<dataDir>/server.key` so URLs survive a restart. */
  signingKey?: Buffer;
  uploads?: UploadOptions;
  /** Who may review (the /review page and /reviews API); none by default, which leaves those routes answering 401. */
  reviewers?: ReviewerDirectory;
  /** Close the runtime when the server closes (default true). */
  closeRuntime?: boolean;
  /** Unexpected errors (the client only ever sees a 500 without details). */
  onError?: (error: unknown) => void;
}

export interface RunningServer {
  url: string;
  token: string;
  server: Server;
  close(): Promise<void>;
}

/** The signing key lives beside the data it guards, readable by the owner only. */
function persistentKey(dataDir: string): Buffer {
  const file = path.join(dataDir, "server.key");
  try {
    const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64url");
    if (key.length >= 32) return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = randomBytes(32);
  writeFileSync(file, key.toString("base64url"), { mode: 0o600 });
  return key;
}

const hostForUrl = (host: string) => (host.includes(":") ? `[${host}]` : host);

/** Runs the local runtime behind HTTP: uploads, media status and reports, plus any modules passed in. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { runtime } = options;
  const config = options.config ?? runtime.config;
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? generateToken();
  if (token.length < 16) throw new Error("The API token must be at least 16 characters");
  let markClosing!: () => void;
  const closing = new Promise<void>((resolve) => (markClosing = resolve));
  const ctx: ServerContext = {
    runtime, config, token, closing, baseUrl: "", reviewers: options.reviewers ?? new ReviewerDirectory([]),
    signingKey: options.signingKey ?? persistentKey(config.dataDir),
  };
  const onError = options.onError ?? ((error: unknown) => process.stderr.write(`server error: ${error instanceof Error ? error.stack : String(error)}\n`));
  const router = new Router(ctx, onError);
  const server = createServer({ requestTimeout: 0 }, (req, res) => void router.handle(req, res));
  // Uploads can be long; a stalled client is still dropped when its socket goes quiet.
  server.headersTimeout = 30_000;
  server.setTimeout(120_000);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  ctx.baseUrl = `http://${hostForUrl(host)}:${port}`;

  const workers: Array<{ stop(): Promise<void> }> = [];
  try {
    for (const m of [uploadsModule(options.uploads), mediaModule(), reviewsModule(), searchModule(), ...(options.modules ?? [])]) {
      router.add(m.routes(ctx));
      if (m.start) workers.push(m.start(ctx));
    }
  } catch (error) {
    server.close();
    throw error;
  }

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      markClosing(); // SSE responses end on this
      server.closeIdleConnections();
      // Requests in flight get a moment to finish; then the rest are cut.
      const grace = setTimeout(() => server.closeAllConnections(), 5_000);
      await stopped;
      clearTimeout(grace);
      for (const w of workers) await w.stop().catch(onError);
      if (options.closeRuntime !== false) await runtime.close();
    })());
  return { url: ctx.baseUrl, token, server, close };
}

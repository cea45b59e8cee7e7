import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ReviewerDirectory } from "../src/review/reviewers.js";
import type { LocalRuntime } from "../src/runtime/runtime.js";
import type { RouteModule, ServerContext } from "../src/server/types.js";

/*
 * Test support: mounts RouteModules on node:http per the RouteDef contract, so a module's tests
 * exercise its routes over real HTTP without the uploads and media routes of the full server.
 */

export const TOKEN = "test-token";
export interface Mounted { baseUrl: string; ctx: ServerContext; signalClosing(): void; close(): Promise<void> }

export async function mount(runtime: LocalRuntime, modules: RouteModule[]): Promise<Mounted> {
  let resolveClosing!: () => void;
  const closing = new Promise<void>((r) => (resolveClosing = r));
  const ctx: ServerContext = { runtime, config: runtime.config, token: TOKEN, signingKey: randomBytes(32), baseUrl: "", closing,
    reviewers: new ReviewerDirectory([]),
  };
  const routes = modules.flatMap((m) => m.routes(ctx));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const parts = url.pathname.split("/");
    for (const route of routes) {
      const want = route.path.split("/");
      if (route.method !== req.method || want.length !== parts.length) continue;
      const params: Record<string, string> = {};
      if (!want.every((w, i) => (w.startsWith(":") ? ((params[w.slice(1)] = decodeURIComponent(parts[i]!)), true) : w === parts[i]))) continue;
      if (route.auth === "token" && req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end();
      return void route.handle({ req, res, url, params }, ctx).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(e));
      });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  ctx.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const started = modules.flatMap((m) => (m.start ? [m.start(ctx)] : []));
  return {
    baseUrl: ctx.baseUrl, ctx, signalClosing: resolveClosing,
    async close() {
      resolveClosing();
      for (const s of started) await s.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

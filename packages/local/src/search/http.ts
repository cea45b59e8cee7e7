import { HttpError, sendJson } from "../server/router.js";
import type { RouteModule, ServerContext } from "../server/types.js";
import { SearchQueryError } from "./query.js";
import { DEFAULT_LIMIT, MAX_LIMIT, searchIndex } from "./search.js";

/**
 * `GET /search?q=<query>[&limit=N]`: the search over everything analysed, as `media-pipeline search
 * --json` prints it, with links absolute. The runtime's indexer keeps the index current.
 */
export function searchModule(): RouteModule {
  return {
    routes: (ctx: ServerContext) => [
      {
        method: "GET", path: "/search", auth: "token",
        async handle({ res, url }) {
          const q = url.searchParams.get("q");
          if (q === null || q.trim() === "") throw new HttpError(400, "invalid_request", "q: give the words to search for, e.g. /search?q=budget");
          const limitParam = url.searchParams.get("limit");
          const limit = limitParam === null ? DEFAULT_LIMIT : Number(limitParam);
          if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_LIMIT)) {
            throw new HttpError(400, "invalid_request", `limit: a whole number from 1 to ${MAX_LIMIT}, got "${limitParam?.slice(0, 20)}"`);
          }
          try {
            sendJson(res, 200, searchIndex(ctx.runtime.store, q, { limit, baseUrl: ctx.baseUrl }));
          } catch (error) {
            if (error instanceof SearchQueryError) throw new HttpError(400, "invalid_query", error.message);
            throw error;
          }
        },
      },
    ],
  };
}

import { ApiError } from "./api-error.js";
import { S } from "./state.js";

/*
 * The /reviews API client. Every call carries the reviewer's token; an answer that is not 2xx becomes
 * an ApiError with the server's code and message, a failed fetch one with status 0.
 */

export function request<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
  const init: RequestInit = { method, cache: "no-store", headers };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init).then(
    (res) =>
      res.text().then((text) => {
        let data: unknown = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch {
          data = null;
        }
        if (res.ok) return data as T;
        const err = (data as { error?: { code?: string; message?: string } } | null)?.error ?? {};
        throw new ApiError(res.status, err.code || `http_${res.status}`, err.message || `The server answered ${res.status}.`);
      }),
    (cause: unknown) => {
      throw new ApiError(0, "network", "Could not reach the server. Check that media-pipeline serve is still running, then try again.", { cause });
    },
  );
}

let unauthorized: (message: string) => void = () => {};

/** What a 401 on a call does (sign out); set once by the page's entry point. */
export function whenUnauthorized(handler: (message: string) => void): void {
  unauthorized = handler;
}

/** An API call as the signed-in reviewer; a 401 signs out (the token was withdrawn on the server). */
export function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  return request<T>(S.token ?? "", method, path, body).catch((e: unknown) => {
    if (e instanceof ApiError && e.status === 401) {
      unauthorized("Your reviewer token is no longer accepted (was it removed from MEDIA_PIPELINE_REVIEWER_TOKENS?). Sign in again.");
      e.handled = true;
    }
    throw e;
  });
}

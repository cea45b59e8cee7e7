import { ApiError } from "./api-error.js";
import { currentToken, renew, signedOutReason } from "./auth.js";
import { SIGN_IN } from "./config.js";
import { S } from "./state.js";

/*
 * The /reviews API client. Every call carries the reviewer's bearer token; an answer that is not 2xx
 * becomes an ApiError with the server's code and message, a failed fetch one with status 0.
 */

const UNREACHABLE = SIGN_IN.kind === "local"
  ? "Could not reach the server. Check that media-pipeline serve is still running, then try again."
  : "Could not reach the review service. Check your connection, then try again.";

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
      throw new ApiError(0, "network", UNREACHABLE, { cause });
    },
  );
}

let unauthorized: (message: string) => void = () => {};

/** What a 401 on a call does (sign out); set once by the page's entry point. */
export function whenUnauthorized(handler: (message: string) => void): void {
  unauthorized = handler;
}

const isUnauthorized = (e: unknown): e is ApiError => e instanceof ApiError && e.status === 401;

/**
 * An API call as the signed-in reviewer. A 401 (the token was withdrawn, or has lapsed) renews a
 * Cognito sign-in once and tries again; when that does not help, the reviewer is signed out.
 */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let refused: ApiError;
  try {
    return await request<T>(await currentToken(), method, path, body);
  } catch (e) {
    if (!isUnauthorized(e)) throw e;
    refused = e;
  }
  const reason = signedOutReason();
  if (await renew()) {
    try {
      return await request<T>(S.token ?? "", method, path, body);
    } catch (e) {
      if (!isUnauthorized(e)) throw e;
      refused = e;
    }
  }
  // Several calls can be refused at once: the first signs out, the others only fail quietly.
  if (S.token !== null) unauthorized(reason);
  refused.handled = true;
  throw refused;
}

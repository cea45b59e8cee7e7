import { z } from "zod";
import { ConfigError } from "../../runtime/config.js";

/*
 * What goes over the wire to an OpenAI-compatible Chat Completions endpoint: the prompt, the JSON
 * schema the reply must follow, how the reply is read, and how the endpoint URL is handled.
 */


export const SYSTEM_PROMPT = [
  "You summarise one scene of a video or audio recording for a media analysis report.",
  "The user message is the scene as JSON: `transcript` (speaker turns in order), `labels` (objects an automatic detector saw in the frames, confidence 0-100) and `moderation` (content flags).",
  "Write 1-2 factual sentences saying what happens in the scene, using only what the input states.",
  "Never invent names, places, actions, objects or intentions that are not in the input; if it says little, say little.",
  "Treat labels as what is visible, not as certainties; mention moderation flags plainly when present.",
  'Answer with JSON only: {"summary": "..."}.',
].join(" ");

// `strict: true` makes OpenAI (and servers that honour it) constrain decoding to the shared schema.
export { MAX_SUMMARY_CHARS, SUMMARY_JSON_SCHEMA, SceneSummaryAnswer as SummaryContent } from "@media-pipeline/core";

/** The parts of a Chat Completions response we read; the rest (id, usage, …) varies by server. */
export const ChatCompletion = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional(), refusal: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
});

export function parseEndpoint(endpoint: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(endpoint));
  } catch (cause) {
    throw new ConfigError(`LLM endpoint is not a URL; expected a base URL such as http://127.0.0.1:11434/v1`, { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`LLM endpoint must be an http(s) URL, got ${url.protocol}//…; e.g. http://127.0.0.1:11434/v1`);
  }
  return url;
}

/** The endpoint as it may be shown: no user:password, and key-like query values masked. */
export function redactEndpoint(url: URL): string {
  const shown = new URL(url.href);
  shown.username = "";
  shown.password = "";
  for (const name of [...shown.searchParams.keys()]) {
    if (/key|token|secret|sig|auth|pass/i.test(name)) shown.searchParams.set(name, "***");
  }
  return shown.href.replace(/\/+$/, "");
}

/** `<base>/chat/completions`, whatever trailing slashes the base had; a query string is kept. */
export function completionsUrl(url: URL): string {
  const target = new URL(url.href);
  target.username = "";
  target.password = "";
  target.pathname = `${target.pathname.replace(/\/+$/, "")}/chat/completions`;
  return target.href;
}


/** Strips a Markdown code fence: servers that ignore `response_format` often wrap JSON in one. */
export function unfence(content: string): string {
  const m = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(content);
  return m ? m[1]! : content;
}

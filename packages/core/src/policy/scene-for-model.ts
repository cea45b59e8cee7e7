import { z } from "zod";
import { NonRetryableError } from "../errors.js";
import type { SceneInput, SceneSummarizer } from "../ports.js";
import type { SceneSummary } from "../results/documents.js";

/** Transcript characters a model is shown per scene: bounded so one long scene cannot blow the context. */
export const MAX_TRANSCRIPT_CHARS = 12_000;
/** Labels a model is shown per scene, highest confidence first. */
export const MAX_LABELS = 20;

/**
 * The scene as a language model reads it (local OpenAI-compatible servers and Bedrock alike): only
 * what a summary needs, bounded, with a flag when the transcript was cut.
 */
export function sceneForModel(scene: SceneInput): Record<string, unknown> {
  let budget = MAX_TRANSCRIPT_CHARS;
  const transcript: Array<{ speaker: string; text: string }> = [];
  let truncated = false;
  for (const t of scene.transcript) {
    if (budget <= 0) {
      truncated = true;
      break;
    }
    const text = t.text.length > budget ? `${t.text.slice(0, budget)}…` : t.text;
    truncated ||= text !== t.text;
    budget -= text.length;
    transcript.push({ speaker: t.speaker, text });
  }
  return {
    scene: scene.index,
    startSeconds: Math.round(scene.startMs / 100) / 10,
    endSeconds: Math.round(scene.endMs / 100) / 10,
    transcript,
    ...(truncated ? { transcriptTruncated: true } : {}),
    labels: scene.labels.slice(0, MAX_LABELS).map((l) => ({ name: l.name, confidence: Math.round(l.confidence) })),
    moderation: scene.moderation,
  };
}

/** The longest summary accepted from a model. */
export const MAX_SUMMARY_CHARS = 600;

/**
 * The answer a model must give, as JSON Schema (OpenAI-compatible `response_format`, Bedrock tool
 * input). Strict structured output rejects keywords such as `maxLength`, so the length is checked by
 * `SceneSummaryAnswer` on the way back instead.
 */
export const SUMMARY_JSON_SCHEMA = {
  type: "object",
  properties: { summary: { type: "string", description: "1-2 factual sentences about the scene" } },
  required: ["summary"],
  additionalProperties: false,
} as const;

/** What a model's answer must be once parsed. */
export const SceneSummaryAnswer = z.object({ summary: z.string().trim().min(1).max(MAX_SUMMARY_CHARS) });
export type SceneSummaryAnswer = z.infer<typeof SceneSummaryAnswer>;

/**
 * Per-scene fallback for a model summarizer: runs the fallback once over every scene (so corpus-wide
 * statistics such as word frequencies stay right) and hands out each scene's summary, marked extractive.
 */
export function fallbackPicker(fallback: SceneSummarizer, scenes: SceneInput[]) {
  let run: ReturnType<SceneSummarizer["summarize"]> | undefined;
  const pick = async (scene: SceneInput): Promise<SceneSummary> => {
    const doc = await (run ??= fallback.summarize(scenes));
    const found = doc.scenes.find((s) => s.index === scene.index);
    if (!found) throw new NonRetryableError(`the fallback summarizer returned no scene ${scene.index}`);
    return { ...found, summarizer: "extractive" };
  };
  /** The fallback's engine, once it has run (for the note saying which summaries fell back). */
  const engine = async () => (run ? (await run).engine : undefined);
  return Object.assign(pick, { engine });
}

import type { SceneInput } from "../ports.js";

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

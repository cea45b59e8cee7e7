import type { SceneInput, SceneSummarizer } from "../ports.js";
import type { EngineInfo } from "../results/common.js";
import type { SceneSummary } from "../results/documents.js";

const STOP = new Set(
  ("a an and are as at be been but by can could did do does for from had has have he her him his how i if in into is it its " +
    "just me my no not of on or our she so than that the their them then there these they this to too up us was we were what " +
    "when where which who will with would you your yes ok okay oh um uh").split(" "),
);

const VERSION = "1.0.0";

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9']+/g)?.filter((w) => w.length > 2 && !STOP.has(w)) ?? [];
}

function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * Picks the scene's most representative transcript sentences: each sentence scores the mean
 * frequency (over the whole media's transcript) of its content words, so sentences about what the
 * media keeps returning to win. Then the scene's top labels and flags are stated plainly. It never
 * invents text; a language model (the LLM summarizer) writes better prose.
 */
export function createExtractiveSummarizer(options: { maxSentences?: number; maxLabels?: number } = {}): SceneSummarizer {
  const maxSentences = options.maxSentences ?? 2;
  const maxLabels = options.maxLabels ?? 4;
  const engine: EngineInfo = {
    name: "extractive-summarizer",
    version: VERSION,
    settings: { maxSentences, maxLabels, method: "word-frequency sentence extraction" },
    note: "Local extractive summary: picks transcript sentences and lists labels; it does not write new prose as Bedrock would.",
  };
  return {
    async summarize(scenes: SceneInput[]) {
      const freq = new Map<string, number>();
      for (const s of scenes) for (const t of s.transcript) for (const w of words(t.text)) freq.set(w, (freq.get(w) ?? 0) + 1);
      const out: SceneSummary[] = scenes.map((scene) => {
        const sentences = scene.transcript.flatMap((t, order) =>
          t.text.split(/(?<=[.!?])\s+/).map((text) => text.trim()).filter(Boolean).map((text) => ({ text, speaker: t.speaker, order })),
        );
        const scored = sentences.map((s, i) => {
          const ws = words(s.text);
          const score = ws.length ? ws.reduce((n, w) => n + (freq.get(w) ?? 0), 0) / ws.length : 0;
          return { ...s, i, score };
        });
        const picked = scored.filter((s) => s.score > 0).sort((a, b) => b.score - a.score || a.i - b.i).slice(0, maxSentences).sort((a, b) => a.i - b.i);
        const labels = scene.labels.slice(0, maxLabels).map((l) => l.name);
        const parts: string[] = [];
        if (labels.length) parts.push(`Shows ${joinNames(labels.map((l) => l.toLowerCase()))}.`);
        if (picked.length) parts.push(picked.map((p) => `${p.speaker}: “${p.text}”`).join(" "));
        else if (scene.transcript.length) parts.push(`Speech by ${joinNames([...new Set(scene.transcript.map((t) => t.speaker))])}, no words recognised.`);
        if (scene.moderation.length) parts.push(`Moderation: ${scene.moderation.join(", ")}.`);
        if (!parts.length) parts.push("Nothing recognised in this scene.");
        return {
          index: scene.index,
          startMs: scene.startMs,
          endMs: scene.endMs,
          shotIndexes: scene.shotIndexes,
          summary: parts.join(" "),
          labels,
          moderation: scene.moderation,
          speakers: [...new Set(scene.transcript.map((t) => t.speaker))],
          summarizer: "extractive",
        };
      });
      return { scenes: out, engine };
    },
  };
}

export * from "./bedrock-summarizer.js";
export {
  buildConverseInput, MAX_IMAGE_BYTES, MAX_IMAGES_PER_SCENE, MAX_SUMMARY_CHARS, readAnswer, SUMMARY_JSON_SCHEMA, SUMMARY_TOOL_NAME,
  SummaryAnswer, SYSTEM_PROMPT, type AnswerMode,
} from "./converse-protocol.js";

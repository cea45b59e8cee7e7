export * from "./runtime/runtime.js";
export * from "./runtime/config.js";
export * from "./runtime/bus/index.js";
export * from "./runtime/object-store.js";
export { SqliteStateStore } from "./store/stage-state.js";
export type { Store } from "./store/index.js";
export * from "./engines/index.js";
export * from "./engines/summarize/llm.js";
export * from "./server/index.js";

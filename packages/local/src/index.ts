export * from "./runtime/runtime.js";
export * from "./runtime/config.js";
export * from "./runtime/bus.js";
export * from "./runtime/object-store.js";
export * from "./runtime/state-store.js";
export * from "./engines/index.js";
export * from "./engines/summarize/llm.js";
export * from "./server/index.js";

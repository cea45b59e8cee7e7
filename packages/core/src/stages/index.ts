export * from "./common.js";
export * from "./run-once.js";
export * from "./plan.js";
export * from "./media-stages.js";
export * from "./analysis-stages.js";
export * from "./join-stages.js";
export * from "./memory-state-store.js";
export * from "./frame-spacing.js";

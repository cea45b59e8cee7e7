export * from "./errors.js";
export * from "./human-loop-name.js";
export * from "./task-input.js";
export * from "./review-queue.js";
export * from "./requeue.js";
export * from "./status-event.js";
export * from "./output.js";

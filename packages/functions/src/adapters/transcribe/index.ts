export * from "./errors.js";
export * from "./job.js";
export * from "./state-change.js";
export * from "./parse-transcript.js";
export * from "./collect.js";

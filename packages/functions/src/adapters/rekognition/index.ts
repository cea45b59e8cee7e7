export * from "./errors.js";
export * from "./jobs.js";
export * from "./results.js";
export * from "./completion.js";
export * from "./backlog.js";
export * from "./image.js";
export * from "./segments.js";

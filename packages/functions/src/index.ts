export * from "./errors.js";
export * from "./config.js";
export * from "./adapters/eventbridge-publish.js";
export * from "./s3-object-created.js";
export * from "./ingest.js";
export * from "./stage-handler.js";

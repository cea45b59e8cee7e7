import { readConfig, StageConfig } from "../config.js";
import { createStageHandler } from "../stage-handler.js";

export const handler = createStageHandler("request-review", readConfig(StageConfig, process.env));

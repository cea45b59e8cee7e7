import { readConfig, StageConfig } from "../config.js";
import { createStageHandler } from "../stage-handler.js";

export const handler = createStageHandler("summarize-scenes", readConfig(StageConfig, process.env));

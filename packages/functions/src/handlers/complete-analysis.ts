import { readConfig, StageConfig } from "../config.js";
import { createStageHandler } from "../stage-handler.js";

export const handler = createStageHandler("complete-analysis", readConfig(StageConfig, process.env));

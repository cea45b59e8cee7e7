import { readConfig, StageConfig } from "../config.js";
import { createStageHandler } from "../stage-handler.js";

export const handler = createStageHandler("extract-audio", readConfig(StageConfig, process.env));

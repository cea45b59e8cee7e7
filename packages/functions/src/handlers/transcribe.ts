import { readConfig, StageConfig } from "../config.js";
import { createStageHandler } from "../stage-handler.js";

export const handler = createStageHandler("transcribe", readConfig(StageConfig, process.env));

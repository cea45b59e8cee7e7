import { readConfig, StageConfig } from "../config.js";
import { createStageHandler } from "../stage-handler.js";

export const handler = createStageHandler("probe", readConfig(StageConfig, process.env));

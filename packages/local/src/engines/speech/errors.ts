import { NonRetryableError } from "@media-pipeline/core";

/**
 * A speech engine cannot run with this input or configuration (unreadable audio, a model directory
 * without a recognisable model). Non-retryable: running it again gives the same answer.
 */
export class SpeechEngineError extends NonRetryableError {}

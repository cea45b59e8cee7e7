import { NonRetryableError } from "@media-pipeline/core";

/** The review table refused a request in a way a retry will not fix (missing table, access denied…). */
export class ReviewTableError extends NonRetryableError {}

/** A task given to `open`, or an item read back, does not fit the review contract. */
export class ReviewItemError extends ReviewTableError {}

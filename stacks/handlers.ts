import type { StageName } from "@media-pipeline/core";

/**
 * Every Lambda entry point the stacks deploy, relative to the project root (SST bundles them at
 * `app.finish()`). Each names its module and export (`handler`, or one export per route for the review API). Route stages follow the `handlers/<stage>.ts` rule.
 */
const root = "packages/functions/src/handlers";

export const HANDLERS = {
  /** S3 Object Created (default bus) → Media Received. */
  ingest: `${root}/ingest.handler`,
  /** Transcribe Job State Change (default bus) → Transcript Ready. */
  transcribeComplete: `${root}/transcribe-complete.handler`,
  /** The transcribe stage's delayed check (SQS) → Transcript Ready / Stage Failed, or a later check. */
  transcribeCheck: `${root}/transcribe-check.handler`,
  /**
   * SageMaker A2I HumanLoop Status Change (default bus) → Review Completed, a re-queued human loop, or
   * Stage Failed for request-review (the re-queue policy: packages/functions/src/adapters/a2i/requeue.ts).
   */
  reviewComplete: `${root}/review-complete.handler`,
  /** The review stack's custom resource provider: A2I human task UI and flow definition (SageMaker). */
  a2iResource: `${root}/a2i-resource.handler`,
  /** Rekognition video job completion (SNS) → Labels Detected / Moderation Completed / Shots Detected / Text Detected. */
  rekognitionComplete: `${root}/rekognition-complete.handler`,
  /** POST /uploads: a mediaId and a presigned POST, or a multipart upload above the threshold. */
  apiUploads: `${root}/api-uploads.handler`,
  /** POST /uploads/{mediaId}/parts: presigned UploadPart URLs. */
  apiUploadParts: `${root}/api-upload-parts.handler`,
  /** POST /uploads/{mediaId}/complete: CompleteMultipartUpload with the parts' ETags. */
  apiUploadComplete: `${root}/api-upload-complete.handler`,
  /** DELETE /uploads/{mediaId}: AbortMultipartUpload. */
  apiUploadAbort: `${root}/api-upload-abort.handler`,
  /** GET /media/{mediaId}: status per stage and links to results. */
  apiMedia: `${root}/api-media.handler`,
  /** GET /media/{mediaId}/report: the report JSON. */
  apiMediaReport: `${root}/api-media-report.handler`,
  apiMediaReportHtml: `${root}/api-media-report-html.handler`,
  /** GET /media/{mediaId}/captions.vtt and /captions.srt: one module, one export per format. */
  apiMediaCaptions: (format: "vtt" | "srt") => `${root}/api-media-captions.${format}`,
  /** GET /review: the built-in review's page. */
  apiReviewPage: `${root}/api-review-page.handler`,
  /** The built-in review's /reviews routes: one module, one exported handler per route. */
  apiReviews: (route: "me" | "list" | "get" | "claim" | "release" | "verdict") => `${root}/api-reviews.${route}`,
  /** Scheduled: ends undecided review tasks as the model decided; announces unannounced verdicts. */
  reviewSweep: `${root}/review-sweep.handler`,
  /** Review Requested (media bus) → an SNS notice to reviewers with a link to the task. */
  notifyReviewers: `${root}/notify-reviewers.handler`,
} as const;

/** The entry point of a route's stage. */
export const stageHandler = (stage: StageName) => `${root}/${stage}.handler`;

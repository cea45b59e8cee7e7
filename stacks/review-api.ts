import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Topic as SnsTopic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { EVENT_SOURCE, DERIVED_PREFIX } from "@media-pipeline/core";
import { Cron, type Bucket, type EventBus, type Stack, type Table } from "sst/constructs";
import { objectAccess, publishAccess } from "./access.js";
import { deadLetterQueue, functionDelivery, targetDelivery } from "./delivery.js";
import { HANDLERS } from "./handlers.js";
import { SIZES } from "./sizing.js";

/*
 * The built-in review's two background parts, beside its API (stacks/api.ts): telling reviewers a
 * task waits, and ending tasks nobody decides.
 */

/**
 * Reviewers hear about work: every `Review Requested` becomes one message on an SNS topic, with a link
 * to the task on the review page; each address in MEDIA_REVIEWER_EMAILS is subscribed (SNS asks the
 * address to confirm first). Other subscribers (chat, a pager) can subscribe to the same topic.
 */
export function reviewerNotices(stack: Stack, { bus, bucket, pageUrl, emails }: { bus: EventBus; bucket: Bucket; pageUrl: string; emails: string[] }) {
  const topic = new SnsTopic(stack, "ReviewerNotices", { displayName: "media-pipeline reviews" });
  for (const email of emails) topic.addSubscription(new EmailSubscription(email));
  const dlq = deadLetterQueue(stack, "NotifyReviewersDeadLetters");
  bus.addRules(stack, {
    "notify-reviewers": {
      pattern: { source: [EVENT_SOURCE], detailType: ["Review Requested"] },
      targets: {
        notify: {
          function: {
            handler: HANDLERS.notifyReviewers,
            description: "Review Requested → an SNS notice to reviewers with a link to the task",
            environment: { REVIEWER_TOPIC_ARN: topic.topicArn, REVIEW_PAGE_URL: pageUrl },
            permissions: [
              new PolicyStatement({ actions: ["sns:Publish"], resources: [topic.topicArn] }),
              // The task document, for the file name in the notice.
              ...objectAccess(bucket.bucketArn, { read: [DERIVED_PREFIX] }),
            ],
            ...SIZES.light,
            ...functionDelivery(dlq),
          },
          cdk: { target: targetDelivery(dlq) },
        },
      },
    },
  });
  stack.addOutputs({ NotifyReviewersDeadLetterQueue: dlq.queueUrl });
  return { topicArn: topic.topicArn };
}

/**
 * The sweep, every 15 minutes: a task undecided for MEDIA_REVIEW_TIMEOUT_MINUTES ends as the model
 * decided (`Stage Failed` for request-review, then the final report), and a verdict whose announce
 * was lost is announced. The period bounds how late a timeout lands, not the timeout itself.
 */
export function reviewSweep(stack: Stack, { bus, bucket, table, timeoutMinutes }: { bus: EventBus; bucket: Bucket; table: Table; timeoutMinutes: number }) {
  new Cron(stack, "ReviewSweep", {
    schedule: "rate(15 minutes)",
    job: {
      function: {
        handler: HANDLERS.reviewSweep,
        description: "Ends review tasks undecided past the timeout; announces unannounced verdicts",
        environment: { REVIEW_TABLE: table.tableName, EVENT_BUS_NAME: bus.eventBusName, REVIEW_TIMEOUT_MINUTES: String(timeoutMinutes) },
        permissions: [
          new PolicyStatement({
            actions: ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
            resources: [table.tableArn, `${table.tableArn}/index/*`],
          }),
          publishAccess(bus.eventBusArn),
          // review.json beside the media, read back by the reports.
          ...objectAccess(bucket.bucketArn, { write: [DERIVED_PREFIX] }),
        ],
        ...SIZES.light,
      },
    },
  });
}

import { Duration } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import type { LambdaFunctionProps } from "aws-cdk-lib/aws-events-targets";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { FunctionProps, Stack } from "sst/constructs";

/**
 * How an event reaches a Lambda and where it goes when it cannot. Shared by the ingest rule and every
 * route, so that all undeliverable events end up in one kind of place with one message shape.
 *
 * Two retry layers, both ending in the same dead-letter queue:
 * - EventBridge retries *delivery* (the async Invoke call: throttling, a missing permission) up to the
 *   target's retry policy, then sends the event to the target's dead-letter queue.
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
 * - Once Lambda has accepted the event, Lambda retries *execution* (a thrown error) per the function's
 *   async invoke config, then sends it to the function's dead-letter queue.
 *   https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 * Both write the original event as the message body (the error is in message attributes), so one
 * redrive tool can replay either onto the target function.
 */
export const DELIVERY = {
  /** EventBridge: give up on delivery after this long… */
  maxEventAge: Duration.hours(24),
  /** …or this many attempts (EventBridge's maximum is 185). */
  retryAttempts: 185,
  /** Lambda: retries of a failed execution (0–2). Stages are idempotent on (mediaId, stage). */
  functionRetryAttempts: 2,
  functionMaxEventAge: Duration.hours(6),
  /** SQS's maximum, so an outage over a long weekend can still be redriven. */
  dlqRetention: Duration.days(14),
} as const;

/**
 * A dead-letter queue for one target, with an alarm as soon as anything lands in it: a message there
 * is an event the pipeline gave up on, and it expires after `dlqRetention` unless someone redrives it.
 * Created together so that no queue can exist without its alarm.
 */
export function deadLetterQueue(stack: Stack, id: string): Queue {
  const queue = new Queue(stack, id, {
    retentionPeriod: DELIVERY.dlqRetention,
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  new Alarm(stack, `${id}Alarm`, {
    alarmDescription: `Undeliverable events in ${id}: inspect, fix, then redrive.`,
    // Maximum over a minute: a single message must alarm, and SQS publishes this metric each minute.
    metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: "Maximum" }),
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    // SQS stops sending the metric for an idle queue; idle is healthy.
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  return queue;
}

/** Target props for an EventBridge → Lambda target: retry policy and dead-letter queue. */
export function targetDelivery(dlq: Queue): LambdaFunctionProps {
  return { deadLetterQueue: dlq, maxEventAge: DELIVERY.maxEventAge, retryAttempts: DELIVERY.retryAttempts };
}

/** Function props for the Lambda side: async retries and the same dead-letter queue. */
export function functionDelivery(dlq: Queue): Pick<FunctionProps, "deadLetterQueue" | "retryAttempts" | "maxEventAge"> {
  return { deadLetterQueue: dlq, retryAttempts: DELIVERY.functionRetryAttempts, maxEventAge: DELIVERY.functionMaxEventAge };
}

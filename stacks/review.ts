import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { AccountRecovery, CfnUserPoolGroup, UserPool } from "aws-cdk-lib/aws-cognito";
import { BillingMode } from "aws-cdk-lib/aws-dynamodb";
import { Table, use, type StackContext } from "sst/constructs";
// The adapter's key names, so the table and the code that reads it cannot drift apart.
import { REVIEW_QUEUE_INDEX, REVIEW_TABLE_KEYS } from "../packages/functions/src/adapters/review-table/table.js";
import { a2iReview } from "./review-a2i.js";
import { readSettings } from "./settings.js";
import { Storage } from "./storage.js";

export { A2I_RESOURCE_TYPES, readTaskTemplate } from "./review-a2i.js";
export { flowDefinitionArns, flowDefinitionName, REVIEW_TASK, reviewNames, TASK_TEMPLATE_PATH, type ReviewNames } from "./review-names.js";

/** The group a pool user must be in to call the review API. */
export const REVIEWERS_GROUP = "reviewers";

/** How the review API knows its callers: the JWT authorizer's issuer and audience, and the group checked in the functions. */
export interface ReviewerAuth {
  issuer: string;
  audience: string[];
  /** With the app's own pool: the group the functions require; an OIDC audience already names who may review. */
  group?: string;
  /** With the app's own pool: the page's app client (the page signs in with it). */
  clientId?: string;
}

export type ReviewStack =
  | { backend: "builtin"; table: Table; auth: ReviewerAuth }
  | { backend: "a2i"; names: ReturnType<typeof a2iReview>["names"] };

/**
 * Human review of uncertain moderation, by the backend the deployment chose (stacks/settings.ts):
 *
 * - `builtin` (default): the review tasks in a DynamoDB table (claims and verdicts are conditional
 *   writes), reviewers in a Cognito user pool created here with a `reviewers` group, or in an existing
 *   OIDC issuer. The API stack serves the page and the /reviews routes over them; nothing of A2I.
 * - `a2i`: Amazon A2I's human task UI and flow definition (review-a2i.ts), for accounts that have A2I.
 */
export function Review({ stack, app }: StackContext): ReviewStack {
  const { bucket } = use(Storage);
  const settings = readSettings(stack);
  if (settings.reviewBackend === "a2i") return { backend: "a2i", names: a2iReview(stack, app, bucket, settings).names };

  const keys = REVIEW_TABLE_KEYS;
  const queue = REVIEW_QUEUE_INDEX;
  // One item per task (sk "task") and its audit entries (sk "audit#…"); the sparse `queue` index lists
  // open tasks oldest first and ended ones newest first (packages/functions/src/adapters/review-table).
  const table = new Table(stack, "ReviewTasks", {
    fields: { [keys.partitionKey]: "string", [keys.sortKey]: "string", [queue.partitionKey]: "string", [queue.sortKey]: "string" },
    primaryIndex: { partitionKey: keys.partitionKey, sortKey: keys.sortKey },
    globalIndexes: { [queue.indexName]: { partitionKey: queue.partitionKey, sortKey: queue.sortKey } },
    cdk: { table: { billingMode: BillingMode.PAY_PER_REQUEST, pointInTimeRecovery: true } },
  });
  stack.addOutputs({ ReviewTable: table.tableName });

  if (settings.reviewAuth.type === "oidc") {
    return { backend: "builtin", table, auth: { issuer: settings.reviewAuth.issuer, audience: settings.reviewAuth.audience } };
  }

  // Reviewers are invited by an administrator (scripts/add-reviewer.mjs); nobody signs themselves up.
  const pool = new UserPool(stack, "Reviewers", {
    userPoolName: app.logicalPrefixedName("reviewers"),
    selfSignUpEnabled: false,
    signInAliases: { username: true, email: true },
    standardAttributes: { email: { required: true, mutable: true } },
    autoVerify: { email: true },
    passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: false, tempPasswordValidity: Duration.days(7) },
    accountRecovery: AccountRecovery.EMAIL_ONLY,
    userInvitation: {
      emailSubject: "You are invited to review media",
      emailBody: "You can now review media for media-pipeline. Your user name is {username} and your temporary password is {####}; you will choose a new one when you first sign in on the review page.",
    },
    // Reviewer accounts outlive a redeploy; removing the stage must not silently delete them.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // A public client (a browser page holds no secret): user name and password, or SRP; tokens an hour,
  // the page refreshes them for a working day and a bit.
  const client = pool.addClient("ReviewPage", {
    authFlows: { userPassword: true, userSrp: true },
    generateSecret: false,
    preventUserExistenceErrors: true,
    idTokenValidity: Duration.hours(1),
    accessTokenValidity: Duration.hours(1),
    refreshTokenValidity: Duration.days(1),
  });
  new CfnUserPoolGroup(stack, "ReviewersGroup", {
    userPoolId: pool.userPoolId,
    groupName: REVIEWERS_GROUP,
    description: "May claim and decide moderation review tasks",
  });
  stack.addOutputs({ ReviewerUserPoolId: pool.userPoolId, ReviewerUserPoolClientId: client.userPoolClientId });
  return {
    backend: "builtin",
    table,
    auth: {
      // Cognito's issuer, as its ID tokens carry it; the audience of an ID token is the app client.
      issuer: `https://cognito-idp.${stack.region}.amazonaws.com/${pool.userPoolId}`,
      audience: [client.userPoolClientId],
      group: REVIEWERS_GROUP,
      clientId: client.userPoolClientId,
    },
  };
}

import { createRequire } from "node:module";

/**
 * The AWS SDK v3 clients the harness itself uses against moto_server. They come from the copy that
 * packages/functions resolves (it has newer S3/EventBridge clients than the root), so commands and
 * clients always belong to one copy.
 */
const fromFunctions = createRequire(new URL("../../../packages/functions/src/", import.meta.url));
export const s3sdk = fromFunctions("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
export const ebsdk = fromFunctions("@aws-sdk/client-eventbridge") as typeof import("@aws-sdk/client-eventbridge");
export const sqssdk = fromFunctions("@aws-sdk/client-sqs") as typeof import("@aws-sdk/client-sqs");
export const ddbsdk = fromFunctions("@aws-sdk/client-dynamodb") as typeof import("@aws-sdk/client-dynamodb");
export const snssdk = fromFunctions("@aws-sdk/client-sns") as typeof import("@aws-sdk/client-sns");
export const cognitosdk = fromFunctions("@aws-sdk/client-cognito-identity-provider") as typeof import("@aws-sdk/client-cognito-identity-provider");

export interface AwsConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
}

export function clientsFor(config: AwsConfig) {
  return {
    s3: new s3sdk.S3Client({ ...config, forcePathStyle: true }),
    events: new ebsdk.EventBridgeClient(config),
    sqs: new sqssdk.SQSClient(config),
    dynamo: new ddbsdk.DynamoDBClient(config),
    sns: new snssdk.SNSClient(config),
    cognito: new cognitosdk.CognitoIdentityProviderClient(config),
  };
}
export type HarnessClients = ReturnType<typeof clientsFor>;

import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { AwsStub } from "aws-sdk-client-mock";
import { PRESIGNING_S3_CONFIG } from "../src/api/cloud-api.js";
import type { ApiEvent } from "../src/api/http.js";

/** The real presigners sign locally: dummy credentials and a region are all they need; the API's own client settings. */
export const presigningS3 = () =>
  new S3Client({ ...PRESIGNING_S3_CONFIG, region: "us-east-1", credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } });

/** An API Gateway payload 2.0 event for a route. */
export function apiEvent(routeKey: string, options: { mediaId?: string; body?: unknown } = {}): ApiEvent {
  return {
    version: "2.0",
    routeKey,
    rawPath: routeKey.split(" ")[1]!.replace("{mediaId}", options.mediaId ?? ""),
    rawQueryString: "",
    headers: { "content-type": "application/json" },
    requestContext: { domainName: "abc123.execute-api.us-east-1.amazonaws.com", stage: "$default" } as ApiEvent["requestContext"],
    ...(options.mediaId ? { pathParameters: { mediaId: options.mediaId } } : {}),
    ...(options.body !== undefined ? { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) } : {}),
    isBase64Encoded: false,
  };
}

/**
 * A DynamoDB mock that keeps items in a map by (pk, sk): PutItem, GetItem, UpdateItem (SET only) and
 * the state store's Query. Enough to exercise the API's reads and writes with real request shapes.
 */
export function fakeTable(dynamo: AwsStub<any, any, any>) {
  const items = new Map<string, Record<string, unknown>>();
  const id = (key: Record<string, unknown>) => `${key.pk}|${key.sk}`;
  dynamo.on(PutItemCommand).callsFake((input) => {
    const item = unmarshall(input.Item);
    if (items.has(id(item))) throw Object.assign(new Error("exists"), { name: "ConditionalCheckFailedException" });
    items.set(id(item), item);
    return {};
  });
  dynamo.on(GetItemCommand).callsFake((input) => {
    const item = items.get(id(unmarshall(input.Key)));
    return item ? { Item: marshall(item) } : {};
  });
  dynamo.on(UpdateItemCommand).callsFake((input) => {
    const key = unmarshall(input.Key);
    const item = items.get(id(key));
    if (!item) throw Object.assign(new Error("missing"), { name: "ConditionalCheckFailedException" });
    const values = unmarshall(input.ExpressionAttributeValues);
    for (const [name, attr] of Object.entries(input.ExpressionAttributeNames as Record<string, string>)) {
      const placeholder = `:${name.slice(1)}`;
      if (placeholder in values) item[attr] = values[placeholder];
    }
    return {};
  });
  dynamo.on(QueryCommand).callsFake((input) => {
    const { ":pk": pk, ":stagePrefix": prefix } = unmarshall(input.ExpressionAttributeValues);
    return { Items: [...items.values()].filter((i) => i.pk === pk && String(i.sk).startsWith(prefix)).map((i) => marshall(i)) };
  });
  return items;
}


import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { createEventBridgePublish } from "../adapters/eventbridge-publish.js";
import { IngestConfig, readConfig } from "../config.js";
import { createIngestHandler } from "../ingest.js";

// Built once per cold start, reused across invocations.
const config = readConfig(IngestConfig, process.env);
const publish = createEventBridgePublish({ client: new EventBridgeClient({}), eventBusName: config.EVENT_BUS_NAME });

export const handler = createIngestHandler({ publish });

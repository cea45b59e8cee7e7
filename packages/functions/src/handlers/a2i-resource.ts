import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { createA2iResourceHandler } from "../adapters/a2i/sagemaker-resources.js";

/** The review stack's custom resource provider (onEvent): human task UI and flow definition. */
export const handler = createA2iResourceHandler({ client: new SageMakerClient({}) });

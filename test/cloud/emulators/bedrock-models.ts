import { AwsServiceError } from "./http.js";

/*
 * The Bedrock models the emulator answers for, and how Bedrock refuses the others. A model id may be
 * a base model id (`amazon.nova-lite-v1:0`), a cross-region inference profile id (`us.` + base id) or
 * either's ARN. Newer models are served only through an inference profile: called by their base id,
 * Bedrock refuses on-demand throughput.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-supported-models-features.html
 */

export interface EmulatedModel {
  id: string;
  /** Takes image content blocks. */
  images: boolean;
  /** Callable only through an inference profile. */
  profileOnly: boolean;
}

const MODELS: EmulatedModel[] = [
  { id: "amazon.nova-micro-v1:0", images: false, profileOnly: false },
  { id: "amazon.nova-lite-v1:0", images: true, profileOnly: false },
  { id: "amazon.nova-pro-v1:0", images: true, profileOnly: false },
  { id: "amazon.nova-premier-v1:0", images: true, profileOnly: true },
  { id: "anthropic.claude-3-haiku-20240307-v1:0", images: true, profileOnly: false },
  { id: "anthropic.claude-3-sonnet-20240229-v1:0", images: true, profileOnly: false },
  { id: "anthropic.claude-3-opus-20240229-v1:0", images: true, profileOnly: false },
  { id: "anthropic.claude-3-5-sonnet-20240620-v1:0", images: true, profileOnly: false },
  { id: "anthropic.claude-3-5-sonnet-20241022-v2:0", images: true, profileOnly: false },
  { id: "anthropic.claude-3-5-haiku-20241022-v1:0", images: false, profileOnly: false },
  { id: "anthropic.claude-3-7-sonnet-20250219-v1:0", images: true, profileOnly: true },
  { id: "anthropic.claude-sonnet-4-20250514-v1:0", images: true, profileOnly: true },
  { id: "anthropic.claude-opus-4-20250514-v1:0", images: true, profileOnly: true },
  { id: "anthropic.claude-haiku-4-5-20251001-v1:0", images: true, profileOnly: true },
  { id: "meta.llama3-2-11b-instruct-v1:0", images: true, profileOnly: true },
  { id: "meta.llama3-2-90b-instruct-v1:0", images: true, profileOnly: true },
  { id: "mistral.pixtral-large-2502-v1:0", images: true, profileOnly: true },
];

const PROFILE = /^(us|us-gov|eu|apac|jp|au|ca|global)\.(.+)$/;
const BASE_ID = /^[a-z0-9-]+\.[a-z0-9.-]+(:\d+)?(:[a-z0-9-]+)?$/;
const ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d{0,12}:(foundation-model|inference-profile)\/(.+)$/;

/** The model a Converse call names, or the error Bedrock answers for it. */
export function resolveModel(modelId: string): EmulatedModel {
  let id = modelId;
  let viaProfile = false;
  const arn = ARN.exec(id);
  if (arn) {
    viaProfile = arn[1] === "inference-profile";
    id = arn[2]!;
  }
  const profile = PROFILE.exec(id);
  if (profile) {
    viaProfile = true;
    id = profile[2]!;
  }
  if (!BASE_ID.test(id)) throw new AwsServiceError("ValidationException", "The provided model identifier is invalid.");
  const model = MODELS.find((m) => m.id === id);
  if (!model) throw new AwsServiceError("ResourceNotFoundException", "Could not resolve the foundation model from the provided model identifier.", 404);
  if (model.profileOnly && !viaProfile) {
    throw new AwsServiceError(
      "ValidationException",
      `Invocation of model ID ${id} with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.`,
    );
  }
  return model;
}

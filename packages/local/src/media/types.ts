// Transitional: the vision engines' type imports move to @media-pipeline/media.
export type * from "@media-pipeline/media";

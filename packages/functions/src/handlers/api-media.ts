import { NotImplementedError } from "../errors.js";

// The upload API and media status are the upload issue's work (presigned uploads, status per stage);
// until then the route exists and answers with a clear error rather than pretending.
export const handler = async (): Promise<never> => {
  throw new NotImplementedError("api");
};

import { DERIVED_PREFIX, UPLOAD_PREFIX } from "@media-pipeline/core";
import { Api, use, type StackContext } from "sst/constructs";
import { objectAccess, stateAccess } from "./access.js";
import { HANDLERS } from "./handlers.js";
import { SIZES } from "./sizing.js";
import { Storage } from "./storage.js";

/**
 * The HTTP API: request an upload (a mediaId and a presigned PUT URL) and read a media item's progress
 * and report. Every route requires SigV4-signed requests (IAM authorization) unless it says otherwise:
 * callers are other services or a backend holding AWS credentials, never an anonymous browser.
 */
export function ApiStack({ stack }: StackContext) {
  const { bucket, table } = use(Storage);

  const api = new Api(stack, "Api", {
    defaults: {
      authorizer: "iam",
      function: {
        environment: { MEDIA_BUCKET: bucket.bucketName, STATE_TABLE: table.tableName },
        ...SIZES.light,
      },
    },
    routes: {
      "POST /uploads": {
        function: {
          handler: HANDLERS.apiUploads,
          description: "Assigns a mediaId and presigns the upload's PUT under media/",
          // Presigning signs with the function's credentials: the URL can do exactly what the role can.
          permissions: [...objectAccess(bucket.bucketArn, { write: [UPLOAD_PREFIX] }), stateAccess(table.tableArn)],
        },
      },
      "GET /media/{mediaId}": {
        function: {
          handler: HANDLERS.apiMedia,
          description: "Progress of a media item, and its report (presigned) once analysis completed",
          permissions: [...objectAccess(bucket.bucketArn, { read: [DERIVED_PREFIX] }), stateAccess(table.tableArn)],
        },
      },
    },
  });

  stack.addOutputs({ ApiUrl: api.url });
  return { api };
}

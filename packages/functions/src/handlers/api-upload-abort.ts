import { createCloudApi } from "../api/cloud-api.js";
import { createRoutes } from "../api/routes.js";

// DELETE /uploads/{mediaId}: AbortMultipartUpload.
// Clients and settings are built once per cold start; a bad environment fails here, loudly.
export const handler = createRoutes(createCloudApi(process.env)).abortUpload;

import { createCloudApi } from "../api/cloud-api.js";
import { createRoutes } from "../api/routes.js";

// POST /uploads/{mediaId}/complete: CompleteMultipartUpload with the parts' ETags.
// Clients and settings are built once per cold start; a bad environment fails here, loudly.
export const handler = createRoutes(createCloudApi(process.env)).completeUpload;

import { createCloudApi } from "../api/cloud-api.js";
import { createRoutes } from "../api/routes.js";

// POST /uploads/{mediaId}/parts: presigned UploadPart URLs.
// Clients and settings are built once per cold start; a bad environment fails here, loudly.
export const handler = createRoutes(createCloudApi(process.env)).uploadParts;

import { createCloudApi } from "../api/cloud-api.js";
import { createRoutes } from "../api/routes.js";

// POST /uploads: a mediaId and a presigned POST (or a multipart upload above the threshold).
// Clients and settings are built once per cold start; a bad environment fails here, loudly.
export const handler = createRoutes(createCloudApi(process.env)).createUpload;

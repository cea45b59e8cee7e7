import { createCloudApi } from "../api/cloud-api.js";
import { createRoutes } from "../api/routes.js";

// GET /media/{mediaId}/report: the report JSON from S3.
// Clients and settings are built once per cold start; a bad environment fails here, loudly.
export const handler = createRoutes(createCloudApi(process.env)).getReport;

import { createCloudApi } from "../api/cloud-api.js";
import { createRoutes } from "../api/routes.js";

// GET /media/{mediaId}: status per stage and links to results.
// Clients and settings are built once per cold start; a bad environment fails here, loudly.
export const handler = createRoutes(createCloudApi(process.env)).getMedia;

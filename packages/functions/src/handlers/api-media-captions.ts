import { createCloudApi } from "../api/cloud-api.js";
import { createRoutes } from "../api/routes.js";

// GET /media/{mediaId}/captions.vtt and /captions.srt: the caption files from S3, one export per route.
// Clients and settings are built once per cold start; a bad environment fails here, loudly.
const routes = createRoutes(createCloudApi(process.env));
export const vtt = routes.getCaptionsVtt;
export const srt = routes.getCaptionsSrt;

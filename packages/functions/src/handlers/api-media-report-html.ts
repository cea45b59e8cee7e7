import { createCloudApi } from "../api/cloud-api.js";
import { createRoutes } from "../api/routes.js";

// GET /media/{mediaId}/report.html: the self-contained report page, keyframes inlined from S3.
export const handler = createRoutes(createCloudApi(process.env)).getReportHtml;

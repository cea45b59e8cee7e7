export { startServer, type RunningServer, type StartServerOptions } from "./server.js";
export { Router, HttpError, readJson, sendJson, sendError, validate } from "./router.js";
export { generateToken, hasToken } from "./auth.js";
export { signGrant, signedQuery, verifyGrant, keyPath, type UploadGrant } from "./signing.js";
export { uploadsModule, ALLOWED_CONTENT_TYPES, type UploadOptions } from "./uploads.js";
export { mediaModule } from "./media.js";
export type { RouteDef, RouteModule, RouteRequest, ServerContext } from "./types.js";
export { eventsModule, eventsStream, type EventsStreamOptions } from "./events-stream.js";
export { webhooks, webhooksModule, WebhookDispatcher, signWebhook, verifyWebhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./webhooks.js";

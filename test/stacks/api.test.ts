import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { HANDLERS } from "../../stacks/handlers.js";
import { appTemplates, SYNTHESIS_TIMEOUT_MS, resourcesOf } from "../helpers/stack-templates.js";

/*
 * The API stack as the app deploys it by default (its auth modes: test/api-stack.test.ts).
 */

let api: Template;

beforeAll(async () => {
  ({ ApiStack: api } = await appTemplates());
}, SYNTHESIS_TIMEOUT_MS);

describe("api", () => {
  it("requires IAM authorization on every route", () => {
    const apiRoutes = resourcesOf(api, "AWS::ApiGatewayV2::Route");
    expect(apiRoutes.map((r) => r.RouteKey).sort()).toEqual(["DELETE /uploads/{mediaId}", "GET /media/{mediaId}", "GET /media/{mediaId}/report", "GET /media/{mediaId}/report.html", "POST /uploads", "POST /uploads/{mediaId}/complete", "POST /uploads/{mediaId}/parts"]);
    for (const route of apiRoutes) expect(route.AuthorizationType, route.RouteKey).toBe("AWS_IAM");
    const handlers = resourcesOf(api, "AWS::Lambda::Function").map((f) => f.Handler).filter(Boolean);
    expect(handlers).toEqual(expect.arrayContaining([HANDLERS.apiUploads, HANDLERS.apiMedia]));
  });
});

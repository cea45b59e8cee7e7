import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { HANDLERS } from "../../stacks/handlers.js";
import { actionsOf, appTemplates, resourceOf, resourcesOf, statementsOfFunction, SYNTHESIS_TIMEOUT_MS, targetFunction } from "../helpers/stack-templates.js";

/*
 * The API stack as the app deploys it by default (its auth modes: test/api-stack.test.ts): the upload
 * and media routes behind IAM, the built-in review's page, /reviews routes behind the reviewers' JWT
 * authorizer, its notices and its sweep; with the A2I backend none of the review part.
 */

let api: Template;
let a2iApi: Template;

beforeAll(async () => {
  ({ ApiStack: api } = await appTemplates());
  ({ ApiStack: a2iApi } = await appTemplates("alternatives"));
}, SYNTHESIS_TIMEOUT_MS);

const UPLOAD_ROUTES = [
  "DELETE /uploads/{mediaId}", "GET /media/{mediaId}", "GET /media/{mediaId}/captions.srt", "GET /media/{mediaId}/captions.vtt", "GET /media/{mediaId}/report",
  "GET /media/{mediaId}/report.html", "POST /uploads", "POST /uploads/{mediaId}/complete", "POST /uploads/{mediaId}/parts",
];
const REVIEW_ROUTES = ["GET /reviews", "GET /reviews/me", "GET /reviews/{taskId}", "POST /reviews/{taskId}/claim", "POST /reviews/{taskId}/release", "POST /reviews/{taskId}/verdict"];

const routeFunction = (t: Template, route: Record<string, any>) => {
  const integration = resourceOf(t, route.Target["Fn::Join"][1][1].Ref);
  return resourceOf(t, integration.Properties.IntegrationUri["Fn::GetAtt"][0]);
};

describe("api", () => {
  it("requires IAM on the upload and media routes, the reviewers' JWT on every /reviews route, nothing on the page", () => {
    const apiRoutes = resourcesOf(api, "AWS::ApiGatewayV2::Route");
    expect(apiRoutes.map((r) => r.RouteKey).sort()).toEqual([...UPLOAD_ROUTES, "GET /review", ...REVIEW_ROUTES].sort());
    const [authorizer, ...others] = resourcesOf(api, "AWS::ApiGatewayV2::Authorizer");
    expect(others).toEqual([]);
    expect(authorizer).toMatchObject({ AuthorizerType: "JWT", IdentitySource: ["$request.header.Authorization"] });
    // The reviewers' pool and the page's client: an upload caller's credentials are not tokens of it.
    expect(JSON.stringify(authorizer.JwtConfiguration.Issuer)).toContain("https://cognito-idp.us-east-1.amazonaws.com/");
    expect(JSON.stringify(authorizer.JwtConfiguration.Issuer)).toMatch(/Review:.*Reviewers/);
    expect(JSON.stringify(authorizer.JwtConfiguration.Audience)).toMatch(/Review:.*ReviewersReviewPage/);
    for (const route of apiRoutes) {
      if (UPLOAD_ROUTES.includes(route.RouteKey)) expect(route.AuthorizationType, route.RouteKey).toBe("AWS_IAM");
      else if (route.RouteKey === "GET /review") expect(route.AuthorizationType).toBe("NONE");
      else expect(route, route.RouteKey).toMatchObject({ AuthorizationType: "JWT", AuthorizerId: { Ref: authorizer.id } });
    }
    const handlers = resourcesOf(api, "AWS::Lambda::Function").map((f) => f.Handler).filter(Boolean);
    expect(handlers).toEqual(expect.arrayContaining([HANDLERS.apiUploads, HANDLERS.apiMedia, HANDLERS.apiReviewPage, HANDLERS.apiReviews("verdict")]));
  });

  it("lets only the verdict route publish and write the outcome; every task route reads the table and presigns media", () => {
    const byKey = Object.fromEntries(resourcesOf(api, "AWS::ApiGatewayV2::Route").map((r) => [r.RouteKey, routeFunction(api, r)]));
    // SST grants X-Ray to every function: not the route's own access.
    const actions = (key: string) => actionsOf(statementsOfFunction(api, byKey[key]!)).filter((a) => !a.startsWith("xray:")).sort();
    expect(actions("GET /reviews/me")).toEqual([]);
    expect(actions("GET /review")).toEqual([]);
    expect(actions("GET /reviews")).toEqual(["dynamodb:GetItem", "dynamodb:Query", "s3:GetObject"]);
    expect(actions("POST /reviews/{taskId}/claim")).toEqual(["dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "s3:GetObject"]);
    expect(actions("POST /reviews/{taskId}/verdict")).toEqual(["dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "events:PutEvents", "s3:GetObject", "s3:PutObject"]);
    const verdict = byKey["POST /reviews/{taskId}/verdict"]!.Properties.Environment.Variables;
    expect(verdict).toMatchObject({ REVIEWER_GROUP: "reviewers", EVENT_BUS_NAME: expect.anything(), REVIEW_TABLE: expect.anything() });
    expect(byKey["GET /reviews"]!.Properties.Environment.Variables).not.toHaveProperty("EVENT_BUS_NAME");
    expect(byKey["GET /review"]!.Properties.Environment.Variables).toMatchObject({ USER_POOL_CLIENT_ID: expect.anything() });
  });

  it("tells reviewers of each Review Requested through an SNS topic, and sweeps undecided tasks on a schedule", () => {
    const rules = resourcesOf(api, "AWS::Events::Rule");
    const notify = rules.find((r) => r.EventPattern)!;
    expect(notify.EventPattern).toEqual({ source: ["media-pipeline"], "detail-type": ["Review Requested"] });
    const notifier = targetFunction(api, notify);
    expect(notifier.Properties.Handler).toBe(HANDLERS.notifyReviewers);
    // Besides X-Ray and its dead-letter queue, only the publish and the task document.
    const own = actionsOf(statementsOfFunction(api, notifier)).filter((a) => !/^(xray|sqs):/.test(a));
    expect(own.sort()).toEqual(["s3:GetObject", "sns:Publish"]);
    expect(notifier.Properties.Environment.Variables.REVIEW_PAGE_URL["Fn::Join"][1].at(-1)).toBe("/review");
    const sweep = rules.find((r) => r.ScheduleExpression)!;
    expect(sweep.ScheduleExpression).toBe("rate(15 minutes)");
    const sweeper = targetFunction(api, sweep);
    expect(sweeper.Properties.Handler).toBe(HANDLERS.reviewSweep);
    expect(sweeper.Properties.Environment.Variables.REVIEW_TIMEOUT_MINUTES).toBe("4320");
    // No address given: no e-mail subscription (MEDIA_REVIEWER_EMAILS adds them; test/api-stack.test.ts).
    expect(resourcesOf(api, "AWS::SNS::Subscription")).toEqual([]);
  });

  it("with the A2I backend, serves no review page, routes, authorizer, notices or sweep", () => {
    expect(resourcesOf(a2iApi, "AWS::ApiGatewayV2::Route").map((r) => r.RouteKey).sort()).toEqual(UPLOAD_ROUTES);
    expect(resourcesOf(a2iApi, "AWS::ApiGatewayV2::Authorizer")).toEqual([]);
    expect(resourcesOf(a2iApi, "AWS::Events::Rule")).toEqual([]);
    expect(resourcesOf(a2iApi, "AWS::SNS::Topic")).toEqual([]);
  });
});

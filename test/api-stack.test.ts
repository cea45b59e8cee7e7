import { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { initProject } from "sst/project.js";
import { withPrivateArtifacts } from "./helpers/synth.js";
import { beforeAll, describe, expect, it } from "vitest";
import sstConfig from "../sst.config.js";
import { ApiStack, readApiAuth } from "../stacks/api.js";
import { Bus } from "../stacks/bus.js";
import { Review } from "../stacks/review.js";
import { HANDLERS } from "../stacks/handlers.js";
import { Storage } from "../stacks/storage.js";

// Offline synthesis as in helpers/stack-templates.ts, of the API and the stacks it uses.
process.env.NODE_ENV = "test";

type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOf = (t: Template, type: string): Array<Record<string, any>> =>
  Object.entries(t.findResources(type) as Record<string, Resource>).map(([id, r]) => ({ id, ...r.Properties }));

async function synthesize(env: Record<string, string | undefined>): Promise<Template> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  try {
    const config = await sstConfig.config({ stage: "test" });
    const app = new App({ mode: "deploy", name: config.name, stage: "test", region: config.region, account: "123456789012" });
    app.stack(Storage).stack(Review).stack(Bus).stack(ApiStack, { id: "Api" });
    await app.finish();
    return Template.fromStack(getStack(ApiStack));
  } finally {
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  }
}

let iam: Template;
let jwt: Template;
beforeAll(async () => {
  await initProject({ stage: "test" });
  // Bundles in a folder of its own: other test files synthesize at the same time (test/helpers/synth.ts).
  await withPrivateArtifacts(async () => {
    iam = await synthesize({ MEDIA_API_AUTH: undefined });
    jwt = await synthesize({
      MEDIA_API_AUTH: "jwt", MEDIA_API_JWT_ISSUER: "https://issuer.example.com/", MEDIA_API_JWT_AUDIENCE: "client-a, client-b",
      MEDIA_REVIEWER_EMAILS: "alice@example.com, bob@example.com",
      // Reviewers from an existing OIDC issuer instead of the app's user pool.
      MEDIA_REVIEW_OIDC_ISSUER: "https://login.example.org/", MEDIA_REVIEW_OIDC_AUDIENCE: "review-app",
    });
  });
}, 600_000);

/** The upload and media routes (the built-in review's routes have their own tests: test/stacks/api.test.ts). */
const uploadRoutes = (t: Template) => resourcesOf(t, "AWS::ApiGatewayV2::Route").filter((r) => r.RouteKey in ROUTES);

const ROUTES: Record<string, string> = {
  "POST /uploads": HANDLERS.apiUploads,
  "POST /uploads/{mediaId}/parts": HANDLERS.apiUploadParts,
  "POST /uploads/{mediaId}/complete": HANDLERS.apiUploadComplete,
  "DELETE /uploads/{mediaId}": HANDLERS.apiUploadAbort,
  "GET /media/{mediaId}": HANDLERS.apiMedia,
  "GET /media/{mediaId}/report": HANDLERS.apiMediaReport,
  "GET /media/{mediaId}/report.html": HANDLERS.apiMediaReportHtml,
};

/** The function behind a route: route → integration → IntegrationUri → function. */
function routeFunction(t: Template, routeKey: string): Record<string, any> & { id: string } {
  const route = resourcesOf(t, "AWS::ApiGatewayV2::Route").find((r) => r.RouteKey === routeKey)!;
  const integrationId = route.Target["Fn::Join"][1][1].Ref;
  const integration = t.toJSON().Resources[integrationId] as Resource;
  const fnId = integration.Properties.IntegrationUri["Fn::GetAtt"][0];
  return { id: fnId, ...(t.toJSON().Resources[fnId] as Resource).Properties };
}

/** Statements of the policies attached to a function's role. */
function statementsOf(t: Template, fn: Record<string, any>): Array<{ Action: string | string[]; Resource: unknown }> {
  const roleId = fn.Role["Fn::GetAtt"][0];
  return resourcesOf(t, "AWS::IAM::Policy")
    .filter((p) => p.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.PolicyDocument.Statement)
    // SST adds X-Ray to every function; not the route's own access.
    .filter((s) => ![s.Action].flat().every((a: string) => a.startsWith("xray:")));
}

/** `{ action: [resource suffix, …] }` with the bucket/table tokens reduced to what follows them. */
function access(t: Template, routeKey: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of statementsOf(t, routeFunction(t, routeKey))) {
    for (const action of [s.Action].flat()) {
      for (const resource of [s.Resource].flat() as any[]) {
        const text = JSON.stringify(resource);
        // Object ARNs are Fn::Join [bucket ARN, "/media/*"]; the table is its imported ARN.
        (out[action] ??= []).push(text.includes("State") ? "table" : (resource["Fn::Join"]?.[1]?.at(-1) ?? text));
      }
    }
  }
  return out;
}

describe("api stack", () => {
  it("exposes exactly the upload and media routes, each on its own function", () => {
    const routes = uploadRoutes(iam);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const [key, handler] of Object.entries(ROUTES)) {
      const fn = routeFunction(iam, key);
      expect(fn.Handler, key).toBe(handler);
      const own = Object.keys(fn.Environment.Variables).filter((k) => !/^(SST_|AWS_)/.test(k));
      expect(own.sort(), key).toEqual(["MEDIA_BUCKET", "STATE_TABLE"]);
    }
    expect(new Set(Object.keys(ROUTES).map((k) => routeFunction(iam, k).id)).size).toBe(Object.keys(ROUTES).length);
  });

  it("requires IAM authorization on every route by default", () => {
    for (const route of uploadRoutes(iam)) expect(route.AuthorizationType, route.RouteKey).toBe("AWS_IAM");
    // The one authorizer is the reviewers' (their routes only).
    expect(resourcesOf(iam, "AWS::ApiGatewayV2::Authorizer").map((a) => a.Name)).toEqual(["reviewers"]);
  });

  it("uses a JWT authorizer on every upload and media route when configured, apart from the reviewers' one", () => {
    const authorizers = resourcesOf(jwt, "AWS::ApiGatewayV2::Authorizer");
    expect(authorizers.map((a) => a.Name).sort()).toEqual(["jwt", "reviewers"]);
    const authorizer = authorizers.find((a) => a.Name === "jwt");
    const reviewers = authorizers.find((a) => a.Name === "reviewers")!;
    // Different issuers and audiences: an upload caller's token is refused on /reviews, a reviewer's on /uploads.
    expect(reviewers.JwtConfiguration).toEqual({ Issuer: "https://login.example.org/", Audience: ["review-app"] });
    expect(authorizer).toMatchObject({
      AuthorizerType: "JWT",
      IdentitySource: ["$request.header.Authorization"],
      JwtConfiguration: { Issuer: "https://issuer.example.com/", Audience: ["client-a", "client-b"] },
    });
    const routes = uploadRoutes(jwt);
    expect(routes).toHaveLength(Object.keys(ROUTES).length);
    for (const route of routes) {
      expect(route.AuthorizationType, route.RouteKey).toBe("JWT");
      expect(route.AuthorizerId).toEqual({ Ref: authorizer!.id });
    }
  });

  it("subscribes each address of MEDIA_REVIEWER_EMAILS to the reviewers' notices", () => {
    const [topic] = resourcesOf(jwt, "AWS::SNS::Topic");
    const subscriptions = resourcesOf(jwt, "AWS::SNS::Subscription");
    expect(subscriptions.map((s) => [s.Protocol, s.Endpoint]).sort()).toEqual([["email", "alice@example.com"], ["email", "bob@example.com"]]);
    for (const s of subscriptions) expect(s.TopicArn).toEqual({ Ref: topic.id });
  });

  it("with an OIDC issuer for reviewers, creates no user pool and leaves membership to the issuer's audience", () => {
    const review = (key: string) => routeFunction(jwt, key).Environment.Variables;
    expect(review("GET /reviews")).not.toHaveProperty("REVIEWER_GROUP");
    expect(review("GET /review")).not.toHaveProperty("USER_POOL_CLIENT_ID");
    expect(review("GET /reviews").REVIEW_TABLE).toEqual({ "Fn::ImportValue": expect.stringMatching(/Review:.*ReviewTasks/) });
    // With the pool (the default), the page signs in to it and the functions require its group.
    expect(routeFunction(iam, "GET /reviews").Environment.Variables.REVIEWER_GROUP).toBe("reviewers");
  });

  it("refuses an incomplete JWT setting at synthesis", () => {
    expect(() => readApiAuth({ MEDIA_API_AUTH: "jwt" })).toThrow(/MEDIA_API_JWT_ISSUER.*MEDIA_API_JWT_AUDIENCE/);
    expect(() => readApiAuth({ MEDIA_API_AUTH: "none" })).toThrow(/neither iam nor jwt/);
    expect(readApiAuth({})).toEqual({ type: "iam" });
  });

  it("grants each route exactly the S3 and DynamoDB actions it uses (least privilege)", () => {
    const write = { "s3:PutObject": ["/media/*"] };
    const expected: Record<string, Record<string, string[]>> = {
      "POST /uploads": { ...write, "dynamodb:PutItem": ["table"] },
      "POST /uploads/{mediaId}/parts": { ...write, "dynamodb:GetItem": ["table"] },
      "POST /uploads/{mediaId}/complete": { ...write, "dynamodb:GetItem": ["table"], "dynamodb:UpdateItem": ["table"] },
      "DELETE /uploads/{mediaId}": { "s3:AbortMultipartUpload": ["/media/*"], "dynamodb:GetItem": ["table"], "dynamodb:UpdateItem": ["table"] },
      "GET /media/{mediaId}": { "s3:GetObject": ["/derived/*"], "dynamodb:GetItem": ["table"], "dynamodb:Query": ["table"] },
      "GET /media/{mediaId}/report": { "s3:GetObject": ["/derived/*"], "dynamodb:GetItem": ["table"], "dynamodb:Query": ["table"] },
      "GET /media/{mediaId}/report.html": { "s3:GetObject": ["/derived/*"], "dynamodb:GetItem": ["table"], "dynamodb:Query": ["table"] },
    };
    for (const [key, actions] of Object.entries(expected)) expect(access(iam, key), key).toEqual(actions);
  });

  it("points the S3 grants at the media bucket and the DynamoDB grants at the state table", () => {
    for (const key of Object.keys(ROUTES)) {
      for (const s of statementsOf(iam, routeFunction(iam, key))) {
        const text = JSON.stringify(s.Resource);
        if ([s.Action].flat().some((a) => a.startsWith("s3:"))) expect(text, key).toMatch(/Fn::ImportValue.*Media/);
        else expect(text, key).toMatch(/Fn::ImportValue.*State/);
      }
    }
  });
});

import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startCloudApp, type CloudApp } from "./harness/app.js";
import { cognitosdk, ebsdk, snssdk } from "./harness/clients.js";
import { signedFetch } from "./harness/sigv4.js";
import { createReviewer, reviewerPool, signIn, type ReviewerTokens } from "./harness/reviewers.js";
import { tempDir } from "../helpers/flow.js";

/*
 * The harness's stand-ins for what the built-in review needs, on a hand-made cloud assembly run by the
 * real harness against a real moto_server: a Cognito user pool, app clients, groups and a domain in the
 * shapes the CDK synthesizes; an HTTP API whose routes are authorized as API Gateway does it (SigV4 for
 * AWS_IAM, a JWT authorizer on the pool, none); schedules; a topic with email subscriptions. Every
 * route runs one tiny function that answers with the `requestContext.authorizer` it was given.
 */
vi.setConfig({ testTimeout: 60_000 });

const STACK = "HarnessAuth";
const REGION = "us-east-1";
const SCOPE = "aws.cognito.signin.user.admin";

const fn = (handler: string) => ({
  Type: "AWS::Lambda::Function",
  Properties: { Code: { S3Bucket: "cdk-assets", S3Key: "fn.zip" }, Handler: handler, Runtime: "nodejs20.x", Timeout: 10, MemorySize: 128 },
});
const integration = (fnId: string) => ({
  Type: "AWS::ApiGatewayV2::Integration",
  Properties: { ApiId: { Ref: "Api" }, IntegrationType: "AWS_PROXY", IntegrationUri: { "Fn::GetAtt": [fnId, "Arn"] }, PayloadFormatVersion: "2.0" },
});
const route = (key: string, auth: Record<string, unknown>) => ({
  Type: "AWS::ApiGatewayV2::Route",
  Properties: { ApiId: { Ref: "Api" }, RouteKey: key, Target: { "Fn::Join": ["", ["integrations/", { Ref: "EchoIntegration" }]] }, ...auth },
});

/** The template, with Cognito, authorizer, route, schedule and email shapes as aws-cdk-lib 2.224 synthesizes them. */
const TEMPLATE = {
  Resources: {
    Bucket: { Type: "AWS::S3::Bucket" },
    Bus: { Type: "AWS::Events::EventBus", Properties: { Name: "harness-auth-bus" } },
    UserPool: {
      Type: "AWS::Cognito::UserPool",
      Properties: {
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: "verified_email", Priority: 1 }] },
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        AutoVerifiedAttributes: ["email"],
        EmailVerificationMessage: "The verification code to your new account is {####}",
        EmailVerificationSubject: "Verify your new account",
        Policies: { PasswordPolicy: { MinimumLength: 12 } },
        Schema: [{ Mutable: true, Name: "email", Required: true }],
        SmsVerificationMessage: "The verification code to your new account is {####}",
        UsernameAttributes: ["email"],
        UsernameConfiguration: { CaseSensitive: false },
        VerificationMessageTemplate: {
          DefaultEmailOption: "CONFIRM_WITH_CODE",
          EmailMessage: "The verification code to your new account is {####}",
          EmailSubject: "Verify your new account",
          SmsMessage: "The verification code to your new account is {####}",
        },
      },
      UpdateReplacePolicy: "Delete",
      DeletionPolicy: "Delete",
    },
    UserPoolClient: {
      Type: "AWS::Cognito::UserPoolClient",
      Properties: {
        AllowedOAuthFlows: ["implicit", "code"],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ["profile", "phone", "email", "openid", "aws.cognito.signin.user.admin"],
        CallbackURLs: ["https://example.com"],
        ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        IdTokenValidity: 60,
        PreventUserExistenceErrors: "ENABLED",
        SupportedIdentityProviders: ["COGNITO"],
        TokenValidityUnits: { IdToken: "minutes" },
        UserPoolId: { Ref: "UserPool" },
      },
    },
    // Another app of the same pool: its tokens are not for the API.
    OtherClient: {
      Type: "AWS::Cognito::UserPoolClient",
      Properties: { ClientName: "other", ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], UserPoolId: { Ref: "UserPool" } },
    },
    Reviewers: { Type: "AWS::Cognito::UserPoolGroup", Properties: { Description: "People who decide reviews", GroupName: "reviewers", UserPoolId: { Ref: "UserPool" } } },
    Admins: { Type: "AWS::Cognito::UserPoolGroup", Properties: { GroupName: "admins", Precedence: 1, UserPoolId: { Ref: "UserPool" } } },
    Domain: { Type: "AWS::Cognito::UserPoolDomain", Properties: { Domain: "harness-auth-review", UserPoolId: { Ref: "UserPool" } } },

    Echo: fn("index.handler"),
    Sweep: fn("index.handler"),
    Expire: fn("review-expire.handler"),
    Api: { Type: "AWS::ApiGatewayV2::Api", Properties: { Name: "Api", ProtocolType: "HTTP" } },
    EchoIntegration: integration("Echo"),
    Authorizer: {
      Type: "AWS::ApiGatewayV2::Authorizer",
      Properties: {
        ApiId: { Ref: "Api" }, AuthorizerType: "JWT", IdentitySource: ["$request.header.Authorization"], Name: "ReviewerPool",
        JwtConfiguration: {
          Audience: [{ Ref: "UserPoolClient" }],
          Issuer: { "Fn::Join": ["", [`https://cognito-idp.${REGION}.amazonaws.com/`, { Ref: "UserPool" }]] },
        },
      },
    },
    Uploads: route("POST /uploads", { AuthorizationType: "AWS_IAM" }),
    Reviews: route("GET /reviews", { AuthorizationType: "JWT", AuthorizerId: { Ref: "Authorizer" } }),
    Scoped: route("GET /reviews/scoped", { AuthorizationType: "JWT", AuthorizerId: { Ref: "Authorizer" }, AuthorizationScopes: [SCOPE] }),
    Health: route("GET /health", {}),

    SweepRule: {
      Type: "AWS::Events::Rule",
      Properties: { ScheduleExpression: "rate(1 minute)", State: "ENABLED", Targets: [{ Arn: { "Fn::GetAtt": ["Sweep", "Arn"] }, Id: "Target0" }] },
    },
    ExpireRule: {
      Type: "AWS::Events::Rule",
      Properties: { ScheduleExpression: "cron(0 3 * * ? *)", State: "ENABLED", Targets: [{ Arn: { "Fn::GetAtt": ["Expire", "Arn"] }, Id: "Target0" }] },
    },
    Topic: { Type: "AWS::SNS::Topic" },
    EmailReviewer: { Type: "AWS::SNS::Subscription", Properties: { Endpoint: "alice@example.com", Protocol: "email", TopicArn: { Ref: "Topic" } } },
    EmailJsonReviewer: { Type: "AWS::SNS::Subscription", Properties: { Endpoint: "bob@example.com", Protocol: "email-json", TopicArn: { Ref: "Topic" } } },
  },
  Outputs: {
    EventBusName: { Value: { Ref: "Bus" } },
    MediaBucket: { Value: { Ref: "Bucket" } },
    ReviewerUserPoolId: { Value: { Ref: "UserPool" } },
    ReviewerUserPoolClientId: { Value: { Ref: "UserPoolClient" } },
    OtherClientId: { Value: { Ref: "OtherClient" } },
    PoolArn: { Value: { "Fn::GetAtt": ["UserPool", "Arn"] } },
    PoolProviderName: { Value: { "Fn::GetAtt": ["UserPool", "ProviderName"] } },
    PoolProviderUrl: { Value: { "Fn::GetAtt": ["UserPool", "ProviderURL"] } },
    ClientIdAttribute: { Value: { "Fn::GetAtt": ["UserPoolClient", "ClientId"] } },
    ReviewersGroup: { Value: { Ref: "Reviewers" } },
    TopicArn: { Value: { Ref: "Topic" } },
  },
};

/** The function: what API Gateway authorized (for a request), or the event itself (for a schedule). */
const ECHO = `export const handler = async (event) => event.requestContext
  ? { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ authorizer: event.requestContext.authorizer ?? null }) }
  : event;
`;

/** A cloud assembly as `cdk synth` writes one: manifest, template, asset manifest and the staged asset. */
function writeAssembly(dir: string): void {
  const asset = path.join(dir, "asset.fn");
  mkdirSync(asset, { recursive: true });
  for (const file of ["index.mjs", "review-expire.mjs"]) writeFileSync(path.join(asset, file), ECHO, { mode: 0o644 });
  for (const d of [dir, asset]) chmodSync(d, 0o755);
  writeFileSync(path.join(dir, `${STACK}.template.json`), JSON.stringify(TEMPLATE));
  writeFileSync(path.join(dir, `${STACK}.assets.json`), JSON.stringify({
    version: "36.0.0",
    files: { fn: { source: { path: "asset.fn", packaging: "zip" }, destinations: { current: { bucketName: "cdk-assets", objectKey: "fn.zip" } } } },
  }));
  writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({
    version: "36.0.0",
    artifacts: {
      [`${STACK}.assets`]: { type: "cdk:asset-manifest", properties: { file: `${STACK}.assets.json` } },
      [STACK]: { type: "aws:cloudformation:stack", environment: `aws://123456789012/${REGION}`, properties: { templateFile: `${STACK}.template.json` }, dependencies: [`${STACK}.assets`] },
    },
  }));
}

/** An independent SigV4 signer (the SDK's), to sign requests the way any AWS client does. */
const fromFunctions = createRequire(new URL("../../packages/functions/src/", import.meta.url));
const { SignatureV4 } = fromFunctions("@smithy/signature-v4") as typeof import("@smithy/signature-v4");
const { Hash } = fromFunctions("@smithy/hash-node") as typeof import("@smithy/hash-node");

async function sdkSigned(
  url: string, body: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  { service = "execute-api", region = REGION } = {},
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new SignatureV4({ credentials, region, service, sha256: Hash.bind(null, "sha256") });
  const signed = await signer.sign({
    method: "POST", protocol: u.protocol, hostname: u.hostname, path: u.pathname, query: {},
    headers: { host: u.host, "content-type": "application/json" }, body,
  });
  const { host: _host, ...headers } = signed.headers;
  return headers;
}

let app: CloudApp;
let started: number;
let tokens: ReviewerTokens;
let otherTokens: { IdToken?: string };
const out = (key: string) => app.deployment.outputs[STACK]![key]!;
const get = (p: string, authorization?: string) => fetch(`${app.apiUrl}${p}`, authorization === undefined ? {} : { headers: { authorization } });
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"));

beforeAll(async () => {
  const dir = await tempDir("harness-auth");
  chmodSync(dir, 0o755);
  writeAssembly(path.join(dir, "assembly"));
  started = Date.now();
  app = await startCloudApp({ assemblyDir: path.join(dir, "assembly"), stage: "harness-auth", workDir: path.join(dir, "app") });
  await createReviewer(app, "alice", { groups: ["reviewers", "admins"], password: "Correct-Horse-9-Battery" });
  tokens = await signIn(app, "alice", "Correct-Horse-9-Battery");
  // The same person signed in through the pool's other app client.
  ({ AuthenticationResult: otherTokens = {} } = await app.clients.cognito.send(new cognitosdk.InitiateAuthCommand({
    ClientId: out("OtherClientId"), AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "alice@example.com", PASSWORD: "Correct-Horse-9-Battery" },
  })));
}, 180_000);
afterAll(async () => {
  vi.useRealTimers();
  await app?.stop();
});

describe("Cognito resources from the template", () => {
  it("creates the pool, its clients, groups and domain in moto, with CloudFormation's Ref and attributes", async () => {
    const id = out("ReviewerUserPoolId");
    expect(id).toMatch(/^us-east-1_/);
    expect(out("PoolArn")).toBe(`arn:aws:cognito-idp:${REGION}:123456789012:userpool/${id}`);
    expect(out("PoolProviderName")).toBe(`cognito-idp.${REGION}.amazonaws.com/${id}`);
    expect(out("PoolProviderUrl")).toBe(`https://cognito-idp.${REGION}.amazonaws.com/${id}`);
    expect(out("ClientIdAttribute")).toBe(out("ReviewerUserPoolClientId"));
    expect(out("ReviewersGroup")).toBe("reviewers");

    const cognito = app.clients.cognito;
    const { UserPool } = await cognito.send(new cognitosdk.DescribeUserPoolCommand({ UserPoolId: id }));
    expect(UserPool).toMatchObject({ UsernameAttributes: ["email"], AutoVerifiedAttributes: ["email"], AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
    expect(UserPool?.Policies?.PasswordPolicy?.MinimumLength).toBe(12);
    const { UserPoolClient } = await cognito.send(new cognitosdk.DescribeUserPoolClientCommand({ UserPoolId: id, ClientId: out("ReviewerUserPoolClientId") }));
    expect(UserPoolClient?.ExplicitAuthFlows).toContain("ALLOW_USER_PASSWORD_AUTH");
    expect(UserPoolClient?.ClientName).toMatch(/UserPoolClient/);
    const { Groups = [] } = await cognito.send(new cognitosdk.ListGroupsCommand({ UserPoolId: id }));
    expect(Groups.map((g) => [g.GroupName, g.Precedence ?? null])).toEqual(expect.arrayContaining([["reviewers", null], ["admins", 1]]));
    const { DomainDescription } = await cognito.send(new cognitosdk.DescribeUserPoolDomainCommand({ Domain: "harness-auth-review" }));
    expect(DomainDescription?.UserPoolId).toBe(id);
  });

  it("records each route's authorization and the JWT authorizer as the template configures them", () => {
    const routes = Object.fromEntries(app.deployment.apiRoutes.map((r) => [r.routeKey, r]));
    expect(routes["POST /uploads"]).toMatchObject({ authorizationType: "AWS_IAM", authorizationScopes: [] });
    expect(routes["GET /health"]).toMatchObject({ authorizationType: "NONE" });
    expect(routes["GET /reviews/scoped"]).toMatchObject({ authorizationType: "JWT", authorizationScopes: [SCOPE] });
    expect(routes["GET /reviews"]?.jwt).toMatchObject({
      name: "ReviewerPool", identitySource: ["$request.header.Authorization"],
      issuer: `https://cognito-idp.${REGION}.amazonaws.com/${out("ReviewerUserPoolId")}`, audience: [out("ReviewerUserPoolClientId")],
    });
  });
});

describe("reviewers in the pool", () => {
  it("creates a reviewer with a verified address and their groups, and signs them in for real tokens", async () => {
    const id = claimsOf(tokens.idToken);
    // moto lists a user's groups in no fixed order.
    expect(id).toMatchObject({ email: "alice@example.com", aud: out("ReviewerUserPoolClientId"), token_use: "id" });
    expect([...(id["cognito:groups"] as string[])].sort()).toEqual(["admins", "reviewers"]);
    expect(claimsOf(tokens.accessToken)).toMatchObject({ client_id: out("ReviewerUserPoolClientId"), token_use: "access" });
    expect(tokens.refreshToken).toBeTruthy();
    const { UserAttributes = [] } = await app.clients.cognito.send(new cognitosdk.AdminGetUserCommand({ UserPoolId: out("ReviewerUserPoolId"), Username: "alice@example.com" }));
    expect(Object.fromEntries(UserAttributes.map((a) => [a.Name, a.Value]))).toMatchObject({ email: "alice@example.com", email_verified: "true" });
  });

  it("generates a password the pool takes, and defaults to the reviewers group", async () => {
    const bob = await createReviewer(app, "bob");
    const bobs = claimsOf((await signIn(app, "bob", bob.password)).idToken);
    expect(bobs["cognito:groups"]).toEqual(["reviewers"]);
  });

  it("says clearly when the app has no reviewer pool", () => {
    const outputs = { [STACK]: { EventBusName: "x" } };
    expect(() => reviewerPool({ ...app, deployment: { ...app.deployment, outputs } })).toThrow(/no ReviewerUserPoolId.*A2I/);
  });
});

describe("JWT routes", () => {
  it("passes a valid ID token (with or without Bearer) and hands over the claims as API Gateway does", async () => {
    for (const authorization of [`Bearer ${tokens.idToken}`, tokens.idToken]) {
      const r = await get("/reviews", authorization);
      expect(r.status).toBe(200);
      const { authorizer } = (await r.json()) as { authorizer: { jwt: { claims: Record<string, string>; scopes: string[] | null } } };
      const token = claimsOf(tokens.idToken);
      expect(authorizer.jwt.scopes).toBeNull();
      // An array claim as API Gateway passes it: `[a b]`, in the token's order (moto's is not fixed).
      expect(authorizer.jwt.claims["cognito:groups"]).toBe(`[${(token["cognito:groups"] as string[]).join(" ")}]`);
      expect(authorizer.jwt.claims).toMatchObject({
        email: "alice@example.com", aud: out("ReviewerUserPoolClientId"),
        exp: String(token.exp), iat: String(token.iat), iss: token.iss, sub: token.sub, token_use: "id",
      });
      expect(Object.values(authorizer.jwt.claims).every((v) => typeof v === "string")).toBe(true);
    }
  });

  it("passes an access token on its client_id (it has no aud)", async () => {
    const r = await get("/reviews", `Bearer ${tokens.accessToken}`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).authorizer.jwt.claims.client_id).toBe(out("ReviewerUserPoolClientId"));
  });

  it("on a route with scopes, passes a token with one of them and refuses one without (403 insufficient_scope)", async () => {
    const ok = await get("/reviews/scoped", `Bearer ${tokens.accessToken}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).authorizer.jwt.scopes).toEqual([SCOPE]);
    const refused = await get("/reviews/scoped", `Bearer ${tokens.idToken}`);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ message: "Forbidden" });
    expect(refused.headers.get("www-authenticate")).toMatch(/error="insufficient_scope"/);
  });

  const unauthorized = async (authorization: string | undefined, reason: RegExp) => {
    const r = await get("/reviews", authorization);
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ message: "Unauthorized" });
    expect(r.headers.get("www-authenticate")).toMatch(/^Bearer scope="" error="invalid_token" error_description="/);
    expect(r.headers.get("www-authenticate")).toMatch(reason);
  };

  it("refuses no token, a tampered one, one for another client and an unsigned one with 401", async () => {
    await unauthorized(undefined, /missing token/);
    const [header, payload, signature] = tokens.idToken.split(".");
    const escalated = Buffer.from(JSON.stringify({ ...claimsOf(tokens.idToken), "cognito:groups": ["superusers"] })).toString("base64url");
    await unauthorized(`Bearer ${header}.${escalated}.${signature}`, /signature is invalid/);
    await unauthorized(`Bearer ${otherTokens.IdToken}`, /valid audience/);
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    await unauthorized(`Bearer ${none}`, /signing method is not RSA/);
  });

  it("refuses an expired token with 401", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: (claimsOf(tokens.idToken).exp + 1) * 1000 });
    try {
      await unauthorized(`Bearer ${tokens.idToken}`, /the token has expired/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses a SigV4-signed request with 401", async () => {
    const r = await fetch(`${app.apiUrl}/reviews`, { headers: await signedHeadersFor(`${app.apiUrl}/reviews`) });
    expect(r.status).toBe(401);
  });
});

/** GET headers signed with the harness's credentials. */
async function signedHeadersFor(url: string): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new SignatureV4({ credentials: app.moto.clientConfig.credentials, region: REGION, service: "execute-api", sha256: Hash.bind(null, "sha256") });
  const { host: _host, ...headers } = (await signer.sign({ method: "GET", protocol: u.protocol, hostname: u.hostname, path: u.pathname, query: {}, headers: { host: u.host } })).headers;
  return headers;
}

describe("AWS_IAM routes", () => {
  const body = JSON.stringify({ filename: "a.mp4", contentType: "video/mp4", size: 10 });
  const post = (headers: Record<string, string>, b = body) => fetch(`${app.apiUrl}/uploads`, { method: "POST", headers, body: b });

  it("passes a request signed with the harness's credentials (signedFetch), with the caller in authorizer.iam", async () => {
    const r = await signedFetch(app, "/uploads", { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).authorizer.iam).toMatchObject({ accessKey: "testing", accountId: "123456789012" });
    // A link the API gave names it as its callers reach it (https): followed on the harness's origin.
    const link = await signedFetch(app, `https://${new URL(app.apiUrl).host}/uploads`, { method: "POST", body });
    expect(link.status).toBe(200);
  });

  it("passes a request the SDK's signer signed, with or without the functions' session token", async () => {
    expect((await post(await sdkSigned(`${app.apiUrl}/uploads`, body, app.moto.clientConfig.credentials))).status).toBe(200);
    const role = { accessKeyId: "testing", secretAccessKey: "testing", sessionToken: "testing" };
    expect((await post(await sdkSigned(`${app.apiUrl}/uploads`, body, role))).status).toBe(200);
  });

  const forbidden = async (r: Response, message: RegExp) => {
    expect(r.status).toBe(403);
    expect(((await r.json()) as { message: string }).message).toMatch(message);
  };

  it("refuses a tampered, wrongly keyed, wrongly scoped or missing signature with 403", async () => {
    const signed = await sdkSigned(`${app.apiUrl}/uploads`, body, app.moto.clientConfig.credentials);
    await forbidden(await post(signed, body.replace("a.mp4", "b.mp4")), /signature we calculated does not match/);
    await forbidden(await post({ ...signed, authorization: signed.authorization!.replace(/Signature=(.)/, (_, c) => `Signature=${c === "0" ? "1" : "0"}`) }), /does not match/);
    await forbidden(await post(await sdkSigned(`${app.apiUrl}/uploads`, body, { accessKeyId: "testing", secretAccessKey: "wrong" })), /does not match/);
    await forbidden(await post(await sdkSigned(`${app.apiUrl}/uploads`, body, { accessKeyId: "AKIAOTHER", secretAccessKey: "testing" })), /security token included in the request is invalid/);
    await forbidden(await post(await sdkSigned(`${app.apiUrl}/uploads`, body, app.moto.clientConfig.credentials, { service: "s3" })), /correct service/);
    await forbidden(await post(await sdkSigned(`${app.apiUrl}/uploads`, body, app.moto.clientConfig.credentials, { region: "eu-west-1" })), /valid region/);
    await forbidden(await post({ "content-type": "application/json" }), /^Forbidden$/);
  });

  it("refuses a JWT with 403", async () => {
    await forbidden(await post({ authorization: `Bearer ${tokens.idToken}` }), /^Forbidden$/);
  });

  it("lets anything through a route without authorization", async () => {
    const r = await get("/health");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ authorizer: null });
  });
});

describe("schedules", () => {
  it("records scheduled rules in moto and in the deployment", async () => {
    const expire = app.deployment.schedules.find((s) => s.expression.startsWith("cron"));
    expect(expire).toMatchObject({ expression: "cron(0 3 * * ? *)", enabled: true, ruleArn: expect.stringMatching(/^arn:aws:events:us-east-1:123456789012:rule\//) });
    expect(app.deployment.schedules.map((s) => s.expression).sort()).toEqual(["cron(0 3 * * ? *)", "rate(1 minute)"]);
    const rule = await app.clients.events.send(new ebsdk.DescribeRuleCommand({ Name: expire!.ruleName }));
    expect(rule.ScheduleExpression).toBe("cron(0 3 * * ? *)");
  });

  it("fires a schedule on demand with EventBridge's Scheduled Event, by handler file, function or rule name", async () => {
    const at = new Date("2026-03-01T03:00:00.250Z");
    const expire = app.deployment.schedules.find((s) => s.expression.startsWith("cron"))!;
    for (const match of ["review-expire", app.lambda.get(expire.functionArn).name, expire.ruleName]) {
      const outcome = await app.fireSchedule(match, at);
      expect(outcome.ok).toBe(true);
      expect(outcome.ok && outcome.result).toEqual({
        version: "0", id: expect.any(String), "detail-type": "Scheduled Event", source: "aws.events", account: "123456789012",
        time: "2026-03-01T03:00:00Z", region: REGION, resources: [expire.ruleArn], detail: {},
      });
    }
    await expect(app.fireSchedule("no-such-handler", at)).rejects.toThrow(/names 0 schedules.*cron\(0 3/);
  });
});

describe("email subscriptions", () => {
  it("subscribes the addresses in moto, and shows what they would receive", async () => {
    const topicArn = out("TopicArn");
    const { Subscriptions = [] } = await app.clients.sns.send(new snssdk.ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(Subscriptions.map((s) => [s.Protocol, s.Endpoint])).toEqual(expect.arrayContaining([["email", "alice@example.com"], ["email-json", "bob@example.com"]]));

    const received = await app.topicMessages(topicArn);
    expect(await app.topicMessages(topicArn)).toBe(received);
    await app.clients.sns.send(new snssdk.PublishCommand({ TopicArn: topicArn, Subject: "A review is waiting", Message: "Task 1 needs a decision" }));
    await app.clients.sns.send(new snssdk.PublishCommand({ TopicArn: topicArn, Message: "no subject" }));
    const messages = await received();
    expect(messages.map((m) => [m.Subject, m.Message])).toEqual([["A review is waiting", "Task 1 needs a decision"], [undefined, "no subject"]]);
    expect(await received()).toHaveLength(2);
  });
});

describe("rate schedules in real time", () => {
  it("fires a rate(1 minute) schedule about a minute after the deployment", async () => {
    const deadline = started + 90_000;
    while (!app.lambda.invocations.get("Sweep") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
    expect(app.lambda.invocations.get("Sweep")).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55_000);
  }, 120_000);
});

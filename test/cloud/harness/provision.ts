import { createHash } from "node:crypto";
import type { AssemblyStack, TemplateResource } from "./assembly.js";
import { cognitosdk, ddbsdk, ebsdk, s3sdk, snssdk, sqssdk, type HarnessClients } from "./clients.js";
import { dependenciesOf, resolve, type Deployed, type Scope } from "./intrinsics.js";
import type { FunctionSpec } from "./lambda-service.js";

/** What the harness must route itself: moto cannot invoke Lambda functions (no container engine). */
export interface Deployment {
  region: string;
  account: string;
  functions: FunctionSpec[];
  /** Rules whose targets are Lambda functions: each gets a delivery queue in moto that the harness drains. */
  ruleTargets: RuleTarget[];
  /** SNS → Lambda subscriptions, stood in by an SQS subscription the harness drains. */
  snsTargets: { topicArn: string; functionArn: string; queueUrl: string; subscriptionArn: string; deadLetterArn?: string }[];
  /** SQS event source mappings. */
  queueSources: { queueUrl: string; queueArn: string; functionArn: string; batchSize: number; reportBatchItemFailures: boolean }[];
  /** HTTP API routes (payload format 2.0), with how API Gateway authorizes each. */
  apiRoutes: ApiRoute[];
  /** Scheduled rules (`rate(…)`, `cron(…)`) onto functions: moto stores them but never fires them. */
  schedules: Schedule[];
  /** A2I flow definitions the stacks create (custom resources), for the A2I emulator. */
  flowDefinitions: { arn: string; name: string; outputS3Uri: string }[];
  /** Every stack's outputs, by stack name then output key. */
  outputs: Record<string, Record<string, string>>;
  buses: Map<string, string>;
  /** The templates' queues: URL by queue ARN (dead-letter targets are named by ARN). */
  queueUrls: Map<string, string>;
  /** Resource types the templates use that the harness does not create, with their counts. */
  notEmulated: Record<string, number>;
}

export interface ApiRoute {
  routeKey: string;
  functionArn: string;
  authorizationType: "NONE" | "AWS_IAM" | "JWT";
  /** The route's JWT authorizer (authorizationType JWT). */
  jwt?: JwtAuthorizerConfig;
  /** With a JWT authorizer: the token must carry at least one of these scopes. */
  authorizationScopes: string[];
}

/** An `AWS::ApiGatewayV2::Authorizer` of type JWT, as the template configures it. */
export interface JwtAuthorizerConfig {
  authorizerId: string;
  name: string;
  /** Where the token is, e.g. `$request.header.Authorization`. */
  identitySource: string[];
  issuer: string;
  audience: string[];
}

export interface Schedule {
  ruleName: string;
  ruleArn: string;
  /** `rate(5 minutes)` or `cron(0 3 * * ? *)`, as the template has it. */
  expression: string;
  enabled: boolean;
  functionArn: string;
  /** The target's constant `Input` (JSON text), which EventBridge sends instead of the event. */
  input?: string;
}

export interface RuleTarget {
  ruleName: string;
  busName: string;
  pattern: unknown;
  functionArn: string;
  queueUrl: string;
  queueArn: string;
  retryAttempts: number;
  maxEventAgeSeconds: number;
  deadLetterArn?: string;
}

/** Types that only describe permissions, logs, alarms or registries: nothing the flow of events needs. */
const DESCRIPTIVE = new Set([
  "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Lambda::Permission", "AWS::SQS::QueuePolicy", "AWS::S3::BucketPolicy",
  "AWS::SNS::TopicPolicy", "AWS::CloudWatch::Alarm", "AWS::Logs::LogGroup", "Custom::LogRetention", "AWS::EventSchemas::Registry",
  "AWS::EventSchemas::Schema", "AWS::Events::Archive", "AWS::ApiGatewayV2::Stage", "AWS::CDK::Metadata", "AWS::SSM::Parameter",
  "Custom::A2IHumanTaskUi", "AWS::Cognito::IdentityPoolRoleAttachment",
]);

/**
 * The template properties that are also the create call's parameters, per Cognito resource type. A
 * property outside its list is refused rather than dropped: a pool setting the harness silently left
 * out (MFA, triggers) would change what signing in does.
 */
const USER_POOL_SETTINGS = [
  "Policies", "DeletionProtection", "AutoVerifiedAttributes", "AliasAttributes", "UsernameAttributes", "SmsVerificationMessage",
  "EmailVerificationMessage", "EmailVerificationSubject", "VerificationMessageTemplate", "SmsAuthenticationMessage", "MfaConfiguration",
  "UserAttributeUpdateSettings", "DeviceConfiguration", "EmailConfiguration", "SmsConfiguration", "UserPoolTags", "AdminCreateUserConfig",
  "Schema", "UserPoolAddOns", "UsernameConfiguration", "AccountRecoverySetting", "UserPoolTier",
];
const USER_POOL_CLIENT_SETTINGS = [
  "UserPoolId", "GenerateSecret", "RefreshTokenValidity", "AccessTokenValidity", "IdTokenValidity", "TokenValidityUnits", "ReadAttributes",
  "WriteAttributes", "ExplicitAuthFlows", "SupportedIdentityProviders", "CallbackURLs", "LogoutURLs", "DefaultRedirectURI", "AllowedOAuthFlows",
  "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient", "AnalyticsConfiguration", "PreventUserExistenceErrors", "EnableTokenRevocation",
  "EnablePropagateAdditionalUserContextData", "AuthSessionValidity", "RefreshTokenRotation",
];

function settingsOf(logicalId: string, p: Record<string, any>, allowed: string[]): Record<string, any> {
  const unknown = Object.keys(p).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new Error(`${logicalId}: the harness does not apply ${unknown.join(", ")}`);
  return p;
}

export const shortHash = (...parts: string[]) => createHash("sha256").update(parts.join("/")).digest("hex").slice(0, 12).toUpperCase();

/** A physical name as CloudFormation generates one: `<stack>-<logicalId>-<random>`, within the limit. */
function physicalName(stackName: string, logicalId: string, max: number, lower = false): string {
  const suffix = shortHash(stackName, logicalId);
  const name = `${stackName.slice(0, Math.floor((max - 14) / 2))}-${logicalId.slice(0, max - 14 - Math.min(stackName.length, Math.floor((max - 14) / 2)))}-${suffix}`;
  return lower ? name.toLowerCase() : name;
}

/**
 * Creates in moto_server every resource of the templates that moto supports, in deployment order and
 * with the templates' own names, patterns, keys and settings; records the Lambda side (functions,
 * triggers, API routes) for the harness's stand-ins. Returns what the harness needs to route events.
 */
export async function provision(
  stacks: AssemblyStack[],
  clients: HarnessClients,
  aws: { endpoint: string; region: string; account: string },
): Promise<Deployment> {
  const deployment: Deployment = {
    region: aws.region, account: aws.account, functions: [], ruleTargets: [], snsTargets: [], queueSources: [], apiRoutes: [], schedules: [],
    flowDefinitions: [], outputs: {}, buses: new Map(), queueUrls: new Map(), notEmulated: {},
  };
  const exports = new Map<string, string>();
  const layerDirs = new Map<string, string>();

  for (const stack of stacks) {
    const scope: Scope = {
      stackName: stack.stackName, region: aws.region, account: aws.account, resources: new Map(), exports,
      conditions: stack.template.Conditions ?? {},
      parameters: Object.fromEntries(Object.entries(stack.template.Parameters ?? {}).map(([k, p]) => [k, p.Default ?? ""])),
    };
    const arnOf = (service: string, resource: string) => `arn:aws:${service}:${aws.region}:${aws.account}:${resource}`;
    const jwtAuthorizers = new Map<string, JwtAuthorizerConfig>();
    for (const [logicalId, resource] of order(stack.template.Resources)) {
      const p = (resolve(resource.Properties ?? {}, scope) ?? {}) as Record<string, any>;
      const put = (d: Deployed) => scope.resources.set(logicalId, d);
      switch (resource.Type) {
        case "AWS::S3::Bucket": {
          const name = p.BucketName ?? physicalName(stack.stackName, logicalId, 63, true);
          await clients.s3.send(new s3sdk.CreateBucketCommand({ Bucket: name }));
          if (p.CorsConfiguration) {
            await clients.s3.send(new s3sdk.PutBucketCorsCommand({
              Bucket: name,
              CORSConfiguration: { CORSRules: p.CorsConfiguration.CorsRules.map((r: any) => ({
                ID: r.Id, AllowedHeaders: r.AllowedHeaders, AllowedMethods: r.AllowedMethods, AllowedOrigins: r.AllowedOrigins,
                ExposeHeaders: r.ExposedHeaders, MaxAgeSeconds: r.MaxAge,
              })) },
            }));
          }
          put({ ref: name, attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${aws.region}.amazonaws.com` } });
          break;
        }
        case "Custom::S3BucketNotifications": {
          // CDK's notifications handler calls PutBucketNotificationConfiguration with exactly this.
          const config = p.NotificationConfiguration ?? {};
          await clients.s3.send(new s3sdk.PutBucketNotificationConfigurationCommand({
            Bucket: p.BucketName,
            NotificationConfiguration: config.EventBridgeConfiguration ? { EventBridgeConfiguration: {} } : {},
          }));
          put({ ref: `${p.BucketName}-notifications`, attributes: {} });
          break;
        }
        case "AWS::DynamoDB::Table": {
          const name = p.TableName ?? physicalName(stack.stackName, logicalId, 255);
          await clients.dynamo.send(new ddbsdk.CreateTableCommand({
            TableName: name, AttributeDefinitions: p.AttributeDefinitions, KeySchema: p.KeySchema,
            BillingMode: p.BillingMode ?? "PROVISIONED",
            ...(p.ProvisionedThroughput ? { ProvisionedThroughput: p.ProvisionedThroughput } : {}),
            ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
          }));
          if (p.TimeToLiveSpecification?.Enabled) {
            await clients.dynamo.send(new ddbsdk.UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: p.TimeToLiveSpecification }));
          }
          put({ ref: name, attributes: { Arn: arnOf("dynamodb", `table/${name}`), StreamArn: arnOf("dynamodb", `table/${name}/stream/0`) } });
          break;
        }
        case "AWS::Events::EventBus": {
          await clients.events.send(new ebsdk.CreateEventBusCommand({ Name: p.Name }));
          const arn = arnOf("events", `event-bus/${p.Name}`);
          deployment.buses.set(logicalId, p.Name);
          put({ ref: p.Name, attributes: { Arn: arn, Name: p.Name } });
          break;
        }
        case "AWS::SQS::Queue": {
          const name = p.QueueName ?? physicalName(stack.stackName, logicalId, 80);
          const attributes: Record<string, string> = {};
          for (const key of ["VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "MaximumMessageSize"]) {
            if (p[key] !== undefined) attributes[key] = String(p[key]);
          }
          if (p.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(p.RedrivePolicy);
          const { QueueUrl } = await clients.sqs.send(new sqssdk.CreateQueueCommand({ QueueName: name, Attributes: attributes }));
          const arn = arnOf("sqs", name);
          deployment.queueUrls.set(arn, QueueUrl!);
          put({ ref: QueueUrl!, attributes: { Arn: arn, QueueName: name, QueueUrl: QueueUrl! } });
          break;
        }
        case "AWS::SNS::Topic": {
          const name = p.TopicName ?? physicalName(stack.stackName, logicalId, 256);
          const { TopicArn: arn } = await clients.sns.send(new snssdk.CreateTopicCommand({ Name: name }));
          put({ ref: arn!, attributes: { TopicArn: arn!, TopicName: name } });
          break;
        }
        case "AWS::SNS::Subscription": {
          if (p.Protocol === "email" || p.Protocol === "email-json") {
            // Created as it is, addressed to the person: nothing is mailed from here (app.topicMessages
            // shows what that person would receive). moto counts it confirmed at once, where SNS would
            // hold it pending until the person follows the confirmation link.
            const { SubscriptionArn } = await clients.sns.send(new snssdk.SubscribeCommand({
              TopicArn: p.TopicArn, Protocol: p.Protocol, Endpoint: p.Endpoint, ReturnSubscriptionArn: true,
              ...(p.FilterPolicy ? { Attributes: { FilterPolicy: JSON.stringify(p.FilterPolicy), ...(p.FilterPolicyScope ? { FilterPolicyScope: p.FilterPolicyScope } : {}) } } : {}),
            }));
            put({ ref: SubscriptionArn!, attributes: {} });
            break;
          }
          if (p.Protocol !== "lambda") throw new Error(`${logicalId}: SNS protocol ${p.Protocol} is not stood in by the harness`);
          // SNS invokes Lambda asynchronously; here an SQS subscription carries the message to the harness.
          const q = await harnessQueue(clients, `sns-${shortHash(stack.stackName, logicalId)}`);
          const { SubscriptionArn: subscriptionArn } = await clients.sns.send(new snssdk.SubscribeCommand({
            TopicArn: p.TopicArn, Protocol: "sqs", Endpoint: q.arn, ReturnSubscriptionArn: true,
          }));
          deployment.snsTargets.push({ topicArn: p.TopicArn, functionArn: p.Endpoint, queueUrl: q.url, subscriptionArn: subscriptionArn!, deadLetterArn: p.RedrivePolicy?.deadLetterTargetArn });
          put({ ref: subscriptionArn!, attributes: {} });
          break;
        }
        case "AWS::Lambda::LayerVersion": {
          const dir = stack.assets.get(p.Content?.S3Key);
          if (!dir) throw new Error(`${logicalId}: layer asset ${p.Content?.S3Key} is not in the assembly`);
          const arn = arnOf("lambda", `layer:${physicalName(stack.stackName, logicalId, 64)}:1`);
          layerDirs.set(arn, dir);
          put({ ref: arn, attributes: { LayerVersionArn: arn } });
          break;
        }
        case "AWS::Lambda::Function": {
          const name = p.FunctionName ?? physicalName(stack.stackName, logicalId, 64);
          const arn = arnOf("lambda", `function:${name}`);
          if (p.Code?.ZipFile !== undefined) {
            // Inline code: CDK's own custom-resource handlers (bucket notifications), whose effect the
            // harness applies itself when it meets the custom resource.
            deployment.notEmulated["AWS::Lambda::Function (inline custom-resource handler)"] = (deployment.notEmulated["AWS::Lambda::Function (inline custom-resource handler)"] ?? 0) + 1;
            put({ ref: name, attributes: { Arn: arn } });
            break;
          }
          const codeDir = p.Code?.S3Key ? stack.assets.get(p.Code.S3Key) : undefined;
          if (!codeDir) throw new Error(`${logicalId}: code asset ${p.Code?.S3Key ?? "(inline)"} is not in the assembly`);
          deployment.functions.push({
            name, arn, logicalId, stackName: stack.stackName, handler: p.Handler, runtime: p.Runtime,
            timeoutSeconds: p.Timeout ?? 3, memoryMb: p.MemorySize ?? 128, ephemeralMb: p.EphemeralStorage?.Size ?? 512,
            environment: Object.fromEntries(Object.entries(p.Environment?.Variables ?? {}).map(([k, v]) => [k, String(v)])),
            codeDir, layerDirs: (p.Layers ?? []).map((l: string) => {
              const dir = layerDirs.get(l);
              if (!dir) throw new Error(`${logicalId}: layer ${l} is not in the assembly`);
              return dir;
            }),
            retryAttempts: 2, maxEventAgeSeconds: 21_600, deadLetterArn: p.DeadLetterConfig?.TargetArn,
          });
          put({ ref: name, attributes: { Arn: arn } });
          break;
        }
        case "AWS::Lambda::EventInvokeConfig": {
          const fn = deployment.functions.find((f) => f.name === p.FunctionName || f.arn === p.FunctionName);
          if (fn) {
            fn.retryAttempts = p.MaximumRetryAttempts ?? 2;
            fn.maxEventAgeSeconds = p.MaximumEventAgeInSeconds ?? 21_600;
          }
          put({ ref: `${logicalId}`, attributes: {} });
          break;
        }
        case "AWS::Lambda::EventSourceMapping": {
          const fn = deployment.functions.find((f) => f.name === p.FunctionName || f.arn === p.FunctionName);
          const queueUrl = deployment.queueUrls.get(p.EventSourceArn);
          if (!fn || !queueUrl) throw new Error(`${logicalId}: only SQS event sources onto functions of the app are stood in`);
          deployment.queueSources.push({
            queueUrl, queueArn: p.EventSourceArn, functionArn: fn.arn, batchSize: p.BatchSize ?? 10,
            reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes("ReportBatchItemFailures"),
          });
          put({ ref: shortHash(logicalId), attributes: {} });
          break;
        }
        case "AWS::Events::Rule": {
          const busName = p.EventBusName ?? "default";
          const name = p.Name ?? physicalName(stack.stackName, logicalId, 64);
          const ruleArn = arnOf("events", `rule/${busName === "default" ? "" : `${busName}/`}${name}`);
          if (p.ScheduleExpression) {
            // The rule alone: moto never fires a schedule, and it takes a rule without a pattern for one
            // matching every event on the default bus, failing PutEvents on a Lambda target. The
            // dispatcher fires the targets instead (rate schedules as time passes, any through fireSchedule).
            await clients.events.send(new ebsdk.PutRuleCommand({ Name: name, ScheduleExpression: p.ScheduleExpression, State: p.State ?? "ENABLED", Description: p.Description }));
            for (const target of p.Targets ?? []) {
              if (!String(target.Arn).includes(":function:")) throw new Error(`${logicalId}: target ${target.Arn} is not a Lambda function`);
              if (target.InputPath || target.InputTransformer) throw new Error(`${logicalId}: target ${target.Id} transforms its input, which the harness does not`);
              deployment.schedules.push({
                ruleName: name, ruleArn, expression: p.ScheduleExpression, enabled: (p.State ?? "ENABLED") === "ENABLED", functionArn: target.Arn,
                ...(target.Input === undefined ? {} : { input: target.Input }),
              });
            }
            put({ ref: name, attributes: { Arn: ruleArn } });
            break;
          }
          await clients.events.send(new ebsdk.PutRuleCommand({
            Name: name, EventBusName: busName, EventPattern: JSON.stringify(p.EventPattern), State: p.State ?? "ENABLED", Description: p.Description,
          }));
          const targets = [];
          for (const target of p.Targets ?? []) {
            if (!String(target.Arn).includes(":function:")) throw new Error(`${logicalId}: target ${target.Arn} is not a Lambda function`);
            // The rule keeps its exact pattern; its Lambda target becomes a queue the harness drains and
            // invokes the function from, as the Lambda service's async invoke queue would.
            const q = await harnessQueue(clients, `rule-${shortHash(stack.stackName, logicalId, target.Id)}`);
            targets.push({ Id: target.Id, Arn: q.arn });
            deployment.ruleTargets.push({
              ruleName: name, busName, pattern: p.EventPattern, functionArn: target.Arn, queueUrl: q.url, queueArn: q.arn,
              retryAttempts: target.RetryPolicy?.MaximumRetryAttempts ?? 185,
              maxEventAgeSeconds: target.RetryPolicy?.MaximumEventAgeInSeconds ?? 86_400,
              deadLetterArn: target.DeadLetterConfig?.Arn,
            });
          }
          if (targets.length) await clients.events.send(new ebsdk.PutTargetsCommand({ Rule: name, EventBusName: busName, Targets: targets }));
          put({ ref: name, attributes: { Arn: ruleArn } });
          break;
        }
        case "AWS::IAM::Role": {
          // Not created: moto does not evaluate IAM, so a role here would prove nothing. Its ARN is real
          // in shape, since services check it (Rekognition's NotificationChannel.RoleArn).
          const name = p.RoleName ?? physicalName(stack.stackName, logicalId, 64);
          deployment.notEmulated[resource.Type] = (deployment.notEmulated[resource.Type] ?? 0) + 1;
          put({ ref: name, attributes: { Arn: `arn:aws:iam::${aws.account}:role/${name}`, RoleId: shortHash(name) } });
          break;
        }
        case "AWS::ApiGatewayV2::Api":
          put({ ref: shortHash(stack.stackName, logicalId).toLowerCase().slice(0, 10), attributes: { ApiEndpoint: "http://api.harness" } });
          break;
        case "AWS::ApiGatewayV2::Integration":
          put({ ref: `integration-${shortHash(logicalId).toLowerCase()}`, attributes: { uri: p.IntegrationUri } });
          break;
        case "AWS::ApiGatewayV2::Authorizer": {
          // Lambda (REQUEST) authorizers would need the harness to run and cache them: refused loudly.
          if (p.AuthorizerType !== "JWT") throw new Error(`${logicalId}: ${p.AuthorizerType} authorizers are not stood in by the harness (JWT and IAM are)`);
          if (!p.JwtConfiguration?.Issuer) throw new Error(`${logicalId}: a JWT authorizer needs JwtConfiguration.Issuer`);
          const id = shortHash(stack.stackName, logicalId).toLowerCase().slice(0, 6);
          jwtAuthorizers.set(id, {
            authorizerId: id, name: p.Name ?? logicalId, identitySource: p.IdentitySource ?? [],
            issuer: p.JwtConfiguration.Issuer, audience: p.JwtConfiguration.Audience ?? [],
          });
          put({ ref: id, attributes: { AuthorizerId: id } });
          break;
        }
        case "AWS::ApiGatewayV2::Route": {
          const integrationId = String(p.Target ?? "").replace(/^integrations\//, "");
          const integration = [...scope.resources.values()].find((d) => d.ref === integrationId);
          if (!integration) throw new Error(`${logicalId}: route ${p.RouteKey} has no integration`);
          const authorizationType = p.AuthorizationType ?? "NONE";
          if (authorizationType !== "NONE" && authorizationType !== "AWS_IAM" && authorizationType !== "JWT") {
            throw new Error(`${logicalId}: route ${p.RouteKey} uses ${authorizationType} authorization, which the harness does not evaluate`);
          }
          const jwt = authorizationType === "JWT" ? jwtAuthorizers.get(p.AuthorizerId) : undefined;
          if (authorizationType === "JWT" && !jwt) throw new Error(`${logicalId}: route ${p.RouteKey} names authorizer ${p.AuthorizerId}, which is not a JWT authorizer of the stack`);
          deployment.apiRoutes.push({
            routeKey: p.RouteKey, functionArn: integration.attributes.uri!, authorizationType,
            ...(jwt ? { jwt } : {}), authorizationScopes: p.AuthorizationScopes ?? [],
          });
          put({ ref: shortHash(logicalId), attributes: {} });
          break;
        }
        case "AWS::Cognito::UserPool": {
          const { UserPoolName, LambdaConfig, ...settings } = p;
          // Triggers would have to run as the app's functions: refused until the harness invokes them.
          if (LambdaConfig && Object.keys(LambdaConfig).length) throw new Error(`${logicalId}: user pool triggers (LambdaConfig) are not stood in by the harness`);
          const { UserPool } = await clients.cognito.send(new cognitosdk.CreateUserPoolCommand({
            PoolName: UserPoolName ?? physicalName(stack.stackName, logicalId, 128), ...settingsOf(logicalId, settings, USER_POOL_SETTINGS),
          }));
          const id = UserPool!.Id!;
          const provider = `cognito-idp.${aws.region}.amazonaws.com/${id}`;
          put({ ref: id, attributes: { Arn: UserPool!.Arn!, ProviderName: provider, ProviderURL: `https://${provider}`, UserPoolId: id } });
          break;
        }
        case "AWS::Cognito::UserPoolClient": {
          const { ClientName, ...settings } = p;
          const { UserPoolClient } = await clients.cognito.send(new cognitosdk.CreateUserPoolClientCommand({
            ClientName: ClientName ?? physicalName(stack.stackName, logicalId, 128), ...(settingsOf(logicalId, settings, USER_POOL_CLIENT_SETTINGS) as { UserPoolId: string }),
          }));
          const id = UserPoolClient!.ClientId!;
          put({ ref: id, attributes: { ClientId: id, Name: UserPoolClient!.ClientName!, ...(UserPoolClient!.ClientSecret ? { ClientSecret: UserPoolClient!.ClientSecret } : {}) } });
          break;
        }
        case "AWS::Cognito::UserPoolGroup": {
          const { GroupName, ...settings } = p;
          const name = GroupName ?? physicalName(stack.stackName, logicalId, 128);
          await clients.cognito.send(new cognitosdk.CreateGroupCommand({
            GroupName: name, ...(settingsOf(logicalId, settings, ["UserPoolId", "Description", "Precedence", "RoleArn"]) as { UserPoolId: string }),
          }));
          put({ ref: name, attributes: {} });
          break;
        }
        case "AWS::Cognito::IdentityPool": {
          // SST's Cognito construct adds one (browser callers trade their tokens for AWS credentials).
          const { IdentityPoolName, ...settings } = p;
          const name = IdentityPoolName ?? physicalName(stack.stackName, logicalId, 128).replace(/-/g, "_");
          const created = await cognitoIdentityCall(aws, "CreateIdentityPool", {
            IdentityPoolName: name, AllowUnauthenticatedIdentities: false,
            ...settingsOf(logicalId, settings, [
              "AllowUnauthenticatedIdentities", "AllowClassicFlow", "CognitoIdentityProviders", "DeveloperProviderName",
              "OpenIdConnectProviderARNs", "SamlProviderARNs", "SupportedLoginProviders",
            ]),
          });
          put({ ref: created.IdentityPoolId, attributes: { Name: name } });
          break;
        }
        case "AWS::Cognito::UserPoolDomain": {
          const { CloudFrontDomain } = await clients.cognito.send(new cognitosdk.CreateUserPoolDomainCommand(
            settingsOf(logicalId, p, ["Domain", "UserPoolId", "CustomDomainConfig", "ManagedLoginVersion"]) as { Domain: string; UserPoolId: string },
          ));
          put({ ref: p.Domain, attributes: { CloudFrontDistribution: CloudFrontDomain ?? "" } });
          break;
        }
        case "Custom::A2IFlowDefinition": {
          // AwsCustomResource keeps the SDK call as JSON; our own provider takes the same parameters as properties.
          const call = typeof p.Create === "string" ? JSON.parse(p.Create).parameters : p;
          const name = call.FlowDefinitionName;
          const arn = arnOf("sagemaker", `flow-definition/${name}`);
          deployment.flowDefinitions.push({ arn, name, outputS3Uri: call.OutputConfig?.S3OutputPath });
          put({ ref: name, attributes: { FlowDefinitionArn: arn, Arn: arn } });
          break;
        }
        default: {
          deployment.notEmulated[resource.Type] = (deployment.notEmulated[resource.Type] ?? 0) + 1;
          if (!DESCRIPTIVE.has(resource.Type)) {
            // Unknown to the harness: flows that rely on it would silently not run, so say it loudly.
            deployment.notEmulated[`UNSUPPORTED ${resource.Type}`] = (deployment.notEmulated[`UNSUPPORTED ${resource.Type}`] ?? 0) + 1;
          }
          const name = physicalName(stack.stackName, logicalId, 64);
          put({ ref: name, attributes: new Proxy({}, { get: (_, attr) => arnOf("placeholder", `${name}/${String(attr)}`) }) as Record<string, string> });
        }
      }
    }
    const outputs: Record<string, string> = {};
    for (const [key, output] of Object.entries(stack.template.Outputs ?? {})) {
      const value = String(resolve(output.Value, scope));
      outputs[key] = value;
      if (output.Export) exports.set(String(resolve(output.Export.Name, scope)), value);
    }
    deployment.outputs[stack.stackName] = outputs;
  }
  return deployment;
}

/** Resources in an order where each comes after what it references. */
function order(resources: Record<string, TemplateResource>): [string, TemplateResource][] {
  const done = new Set<string>();
  const out: [string, TemplateResource][] = [];
  const visit = (id: string, path: string[]) => {
    if (done.has(id) || !resources[id]) return;
    if (path.includes(id)) throw new Error(`circular reference: ${[...path, id].join(" → ")}`);
    for (const dep of dependenciesOf(resources[id] as any)) visit(dep, [...path, id]);
    done.add(id);
    out.push([id, resources[id]!]);
  };
  Object.keys(resources).forEach((id) => visit(id, []));
  return out;
}

/** A queue of the harness's own (`harness-<name>`): its URL and ARN. */
export async function harnessQueue(clients: HarnessClients, name: string) {
  const { QueueUrl } = await clients.sqs.send(new sqssdk.CreateQueueCommand({ QueueName: `harness-${name}` }));
  const { Attributes } = await clients.sqs.send(new sqssdk.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

/**
 * Cognito Identity's JSON protocol (no client of it is among the dependencies). moto reads the service
 * from the credential scope and checks no signature.
 */
async function cognitoIdentityCall(aws: { endpoint: string; region: string }, action: string, body: Record<string, unknown>): Promise<any> {
  const response = await fetch(aws.endpoint, {
    method: "POST", body: JSON.stringify(body),
    headers: {
      "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityService.${action}`,
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${aws.region}/cognito-identity/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Cognito Identity ${action} failed (${response.status}): ${text.slice(0, 400)}`);
  return JSON.parse(text);
}

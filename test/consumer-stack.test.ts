import { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { initProject } from "sst/project.js";
import { withPrivateArtifacts } from "./helpers/synth.js";
import { beforeAll, describe, expect, it } from "vitest";
import { ANALYSIS_COMPLETED_PATTERN, CONSUMER_HANDLER, MediaConsumer } from "../examples/consumer/stack.js";

// The example consumer alone, offline: it imports the media bus by name and creates nothing else of the pipeline.
process.env.NODE_ENV = "test";

type Resource = { Type: string; Properties: Record<string, any> };
let consumer: Template;

beforeAll(async () => {
  await initProject({ stage: "test" });
  process.env.MEDIA_BUS_NAME = "test-media-pipeline-Media";
  try {
    const app = new App({ mode: "deploy", name: "media-consumer", stage: "test", region: "us-east-1", account: "123456789012" });
    app.stack(MediaConsumer);
    // Bundles in a folder of its own: other test files synthesize at the same time (test/helpers/synth.ts).
    await withPrivateArtifacts(() => app.finish());
    consumer = Template.fromStack(getStack(MediaConsumer));
  } finally {
    delete process.env.MEDIA_BUS_NAME;
  }
}, 120_000);

describe("example consumer stack", () => {
  it("subscribes to Analysis Completed v1 on the imported media bus", () => {
    consumer.resourceCountIs("AWS::Events::EventBus", 0);
    const rules = Object.values(consumer.findResources("AWS::Events::Rule")) as Resource[];
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.EventBusName).toBe("test-media-pipeline-Media");
    expect(rule.EventPattern).toEqual({ source: ["media-pipeline"], "detail-type": ["Analysis Completed"], detail: { version: [1] } });
    expect(ANALYSIS_COMPLETED_PATTERN.detailType).toEqual(["Analysis Completed"]);
  });

  it("targets its function, retrying and dead-lettering undeliverable events", () => {
    const rule = (Object.values(consumer.findResources("AWS::Events::Rule")) as Resource[])[0]!.Properties;
    expect(rule.Targets).toHaveLength(1);
    const [target] = rule.Targets;
    expect(target).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
      DeadLetterConfig: { Arn: { "Fn::GetAtt": [expect.stringMatching(/^ConsumerDeadLetters/), "Arn"] } },
    });
    const fnId = target.Arn["Fn::GetAtt"][0];
    const fn = consumer.toJSON().Resources[fnId] as Resource;
    expect(fn.Type).toBe("AWS::Lambda::Function");
    expect(fn.Properties.Handler).toBe(CONSUMER_HANDLER);
    // EventBridge may invoke it, from this rule only.
    const [ruleId] = Object.keys(consumer.findResources("AWS::Events::Rule"));
    consumer.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
      FunctionName: { "Fn::GetAtt": [fnId, "Arn"] },
      SourceArn: { "Fn::GetAtt": [ruleId, "Arn"] },
    });
  });

  it("refuses to synthesize without the bus name", () => {
    expect(() => MediaConsumer({ stack: {} as never, app: {} as never })).toThrow(/MEDIA_BUS_NAME/);
  });
});

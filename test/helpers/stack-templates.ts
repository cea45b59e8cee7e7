import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { initProject } from "sst/project.js";
import { inject } from "vitest";
import sstConfig from "../../sst.config.js";
import { ApiStack } from "../../stacks/api.js";
import { Bus } from "../../stacks/bus.js";
import { Pipeline } from "../../stacks/pipeline.js";
import { Review } from "../../stacks/review.js";
import { Storage } from "../../stacks/storage.js";
import { withPrivateArtifacts } from "./synth.js";

/*
 * The app's stack templates, synthesized offline once per test run and shared by the test files of
 * test/stacks/ (one per stack). The first file to ask synthesizes (NODE_ENV=test keeps app.finish() from
 * looking up bootstrap resources, a stage keeps initProject from prompting, and SST bundles into a
 * folder of its own: helpers/synth.ts) and writes the templates into the run's folder, which
 * test/global-setup.ts provides and removes; the others wait for that file and read it. Without the
 * global setup (a runner config without it), each file synthesizes for itself.
 */

const STACKS = { Storage, Review, Bus, Pipeline, ApiStack } as const;
export type StackName = keyof typeof STACKS;
export type AppTemplates = Record<StackName, Template>;

/**
 * The app as deployed by default, and with every other choice at once (one synthesis, not one per
 * choice): the vision stages on sampled frames (3 s apart) and review through Amazon A2I.
 */
const VARIANTS = {
  video: {},
  alternatives: { MEDIA_VISION_MODE: "frames", MEDIA_FRAME_SAMPLE_SECONDS: "3", MEDIA_REVIEW_BACKEND: "a2i" },
} satisfies Record<string, Record<string, string>>;
export type Variant = keyof typeof VARIANTS;

type Json = Record<string, unknown>;
let initialized = false;

async function synthesize(variant: Variant): Promise<Record<StackName, Json>> {
  process.env.NODE_ENV = "test";
  const env: Record<string, string> = VARIANTS[variant];
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    if (!initialized) await initProject({ stage: "test" });
    initialized = true;
    return await withPrivateArtifacts(async () => {
      const config = await sstConfig.config({ stage: "test" });
      const app = new App({ mode: "deploy", name: config.name, stage: "test", region: config.region, account: "123456789012" });
      await sstConfig.stacks(app);
      await app.finish();
      return Object.fromEntries(Object.entries(STACKS).map(([name, stack]) => [name, Template.fromStack(getStack(stack)).toJSON()])) as Record<StackName, Json>;
    });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Synthesizes into the run's folder once; every other caller waits for the file. */
async function shared(dir: string, variant: Variant): Promise<Record<StackName, Json>> {
  const file = path.join(dir, `${variant}.json`);
  const failed = path.join(dir, `${variant}.failed`);
  try {
    mkdirSync(path.join(dir, `${variant}.lock`));
  } catch {
    // Another test file synthesizes it: wait (the caller's hook timeout bounds the wait).
    for (;;) {
      if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8"));
      if (existsSync(failed)) throw new Error(`Synthesis of the ${variant} app failed in another test file:\n${readFileSync(failed, "utf8")}`);
      await sleep(250);
    }
  }
  try {
    const templates = await synthesize(variant);
    writeFileSync(`${file}.tmp`, JSON.stringify(templates));
    renameSync(`${file}.tmp`, file); // whole or not at all for the readers
    return templates;
  } catch (error) {
    writeFileSync(failed, String((error as Error)?.stack ?? error));
    throw error;
  }
}

function runDir(): string | undefined {
  try {
    return inject("stackTemplatesDir");
  } catch {
    return undefined;
  }
}

/**
 * Every stack's template of the app in `variant`, synthesized once per test run.
 * @example const { Pipeline: pipeline } = await appTemplates(); // in beforeAll
 */
export async function appTemplates(variant: Variant = "video"): Promise<AppTemplates> {
  const dir = runDir();
  const json = dir ? await shared(dir, variant) : await synthesize(variant);
  return Object.fromEntries(Object.entries(json).map(([name, t]) => [name, Template.fromJSON(t)])) as AppTemplates;
}

/** How long a file may wait for the synthesis (the bundling of every function) on a loaded machine. */
export const SYNTHESIS_TIMEOUT_MS = 900_000;

export type Resource = { Type: string; Properties: Record<string, any> };

/** A template's resources of one type, each with its logical id beside its properties. */
export const resourcesOf = (t: Template, type: string): Array<Record<string, any>> =>
  Object.entries(t.findResources(type) as Record<string, Resource>).map(([id, r]) => ({ id, ...r.Properties }));
export const resourceOf = (t: Template, id: string) => t.toJSON().Resources[id] as Resource;
/** The function a rule's (single) target invokes. */
export const targetFunction = (t: Template, rule: Record<string, any>) => resourceOf(t, rule.Targets[0].Arn["Fn::GetAtt"][0]);
/** Statements of the policies attached to a role. */
export const roleStatements = (t: Template, roleId: string) =>
  resourcesOf(t, "AWS::IAM::Policy")
    .filter((p) => p.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.PolicyDocument.Statement);
export const statementsOfFunction = (t: Template, fn: Resource) => roleStatements(t, fn.Properties.Role["Fn::GetAtt"][0]);
export const actionsOf = (statements: any[]) => statements.flatMap((s) => [s.Action].flat());

declare module "vitest" {
  export interface ProvidedContext {
    /** test/global-setup.ts: a folder of this run's, where the stack templates are shared. */
    stackTemplatesDir: string;
  }
}

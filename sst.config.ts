import { LoggingFormat } from "aws-cdk-lib/aws-lambda";
import type { SSTConfig } from "sst";
import { ApiStack } from "./stacks/api.js";
import { Bus } from "./stacks/bus.js";
import { Pipeline } from "./stacks/pipeline.js";
import { Review } from "./stacks/review.js";
import { Storage } from "./stacks/storage.js";

export default {
  config(_input) {
    return { name: "media-pipeline", region: "us-east-1" };
  },
  // A method, not an arrow property: SST strips `stacks(app) {}` when it loads the config shallowly.
  stacks(app) {
    app.setDefaultFunctionProps({
      runtime: "nodejs22.x",
      // Graviton: cheaper per GB-second. The ffmpeg stages override it with x86_64, the architecture of
      // the layer's static binaries (stacks/pipeline.ts).
      architecture: "arm_64",
      memorySize: "1024 MB",
      timeout: "1 minute",
      // One JSON line per log call, so CloudWatch Logs Insights can filter on mediaId and stage.
      loggingFormat: LoggingFormat.JSON,
      logRetention: "one_month",
      // Not minified: SST keeps the sourcemap out of the bundle, so readable stack traces need plain code.
      // esbuild bundles the workspace packages from their TypeScript sources, never from a dist/ (the
      // `paths` of tsconfig.base.json say why): `sst deploy` needs no build, and cannot ship a stale one.
      nodejs: { format: "esm", sourcemap: true },
    });
    // In dependency order: Review's flow definition is filtered on by Bus and started by Pipeline.
    app.stack(Storage).stack(Review).stack(Bus).stack(Pipeline).stack(ApiStack, { id: "Api" });
  },
} satisfies SSTConfig;

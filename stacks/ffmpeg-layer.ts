import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { Architecture, Code, LayerVersion } from "aws-cdk-lib/aws-lambda";
import type { Stack } from "sst/constructs";

/** Where the layer puts the binaries (Lambda mounts layers at /opt); the media module reads these. */
export const FFMPEG_ENV = { MEDIA_PIPELINE_FFMPEG: "/opt/bin/ffmpeg", MEDIA_PIPELINE_FFPROBE: "/opt/bin/ffprobe" };

/**
 * A Lambda layer with the static Linux x86_64 ffmpeg and ffprobe that the npm installer packages ship
 * (the same binaries `npm install` gives the local runtime on Linux), so nothing is downloaded at
 * deploy time. The functions that use it run on x86_64. The packages are optional, per-platform
 * dependencies: on a machine that is not Linux x86_64 they are absent, and this says how to get them.
 */
export function ffmpegLayer(stack: Stack): LayerVersion {
  const require = createRequire(path.join(process.cwd(), "package.json"));
  const dir = mkdtempSync(path.join(os.tmpdir(), "ffmpeg-layer-"));
  mkdirSync(path.join(dir, "bin"));
  for (const [pkg, bin] of [["@ffmpeg-installer/linux-x64", "ffmpeg"], ["@ffprobe-installer/linux-x64", "ffprobe"]] as const) {
    let source: string;
    try {
      source = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), bin);
    } catch (cause) {
      throw new Error(`The ffmpeg layer needs ${pkg} (installed by npm on Linux x86_64; elsewhere run \`npm install --no-save --os=linux --cpu=x64 ${pkg}\`)`, { cause });
    }
    copyFileSync(source, path.join(dir, "bin", bin));
  }
  return new LayerVersion(stack, "Ffmpeg", {
    code: Code.fromAsset(dir),
    compatibleArchitectures: [Architecture.X86_64],
    description: "Static ffmpeg and ffprobe from @ffmpeg-installer/@ffprobe-installer (linux-x64)",
  });
}

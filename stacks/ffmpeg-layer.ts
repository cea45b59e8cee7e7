import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { FileSystem } from "aws-cdk-lib";
import { Architecture, Code, LayerVersion } from "aws-cdk-lib/aws-lambda";
import type { Stack } from "sst/constructs";
import { useProject } from "sst/project.js";
import { EXECUTABLE_MODE, findBadModes } from "./asset-modes.js";

/** Where the layer puts the binaries (Lambda mounts layers at /opt); the media module reads these. */
export const FFMPEG_ENV = { MEDIA_PIPELINE_FFMPEG: "/opt/bin/ffmpeg", MEDIA_PIPELINE_FFPROBE: "/opt/bin/ffprobe" };

const BINARIES = [["@ffmpeg-installer/linux-x64", "ffmpeg"], ["@ffprobe-installer/linux-x64", "ffprobe"]] as const;

/**
 * A Lambda layer with the static Linux x86_64 ffmpeg and ffprobe that the npm installer packages ship
 * (the same binaries `npm install` gives the local runtime on Linux), so nothing is downloaded at
 * deploy time. The functions that use it run on x86_64. The packages are optional, per-platform
 * dependencies: on a machine that is not Linux x86_64 they are absent, and this says how to get them.
 */
export function ffmpegLayer(stack: Stack): LayerVersion {
  const dir = stageFfmpegLayer(artifactsDir());
  return new LayerVersion(stack, "Ffmpeg", {
    // CDK's asset hash covers names and contents, not modes: adding the modes makes a change of mode
    // a new asset (a new S3 key), so an account that already holds a zip with other modes gets this one.
    code: Code.fromAsset(dir, { assetHash: FileSystem.fingerprint(dir, { extraHash: `modes:${JSON.stringify(modesOf(dir))}` }) }),
    compatibleArchitectures: [Architecture.X86_64],
    description: "Static ffmpeg and ffprobe from @ffmpeg-installer/@ffprobe-installer (linux-x64)",
  });
}

/** `bin/ffmpeg` → `755`, for every file of the staged layer. */
function modesOf(dir: string): Record<string, string> {
  return Object.fromEntries(
    BINARIES.map(([, bin]) => [`bin/${bin}`, (statSync(path.join(dir, "bin", bin)).mode & 0o7777).toString(8)]),
  );
}

/** SST's build artifacts folder (`.sst/artifacts`), where it also stages the function bundles. */
function artifactsDir(): string {
  try {
    return useProject().paths.artifacts;
  } catch {
    // Synthesized without SST's project loaded (a bare CDK app).
    return path.join(process.cwd(), ".sst", "artifacts");
  }
}

/**
 * Stages the layer's directory (`bin/ffmpeg`, `bin/ffprobe`) under `root` and returns it. The files
 * are set to 0755 explicitly rather than copied with the package's mode: `@ffprobe-installer`'s
 * install script only runs `chmod u+x` (0744), and Lambda runs the function as a user that owns
 * neither file. The directory is named after the packages' versions and the binaries' sizes, built
 * beside and renamed into place, so concurrent syntheses share one immutable copy and a synthesis
 * stages the same bytes, modes and times every time (no temporary directory left per run).
 */
export function stageFfmpegLayer(root: string): string {
  const require = createRequire(path.join(process.cwd(), "package.json"));
  const sources = BINARIES.map(([pkg, bin]) => {
    let pkgDir: string;
    try {
      pkgDir = path.dirname(require.resolve(`${pkg}/package.json`));
    } catch (cause) {
      throw new Error(`The ffmpeg layer needs ${pkg} (installed by npm on Linux x86_64; elsewhere run \`npm install --no-save --os=linux --cpu=x64 ${pkg}\`)`, { cause });
    }
    const version = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")).version as string;
    const file = path.join(pkgDir, bin);
    return { pkg, bin, version, file, size: statSync(file).size };
  });
  const key = createHash("sha256")
    .update(JSON.stringify({ layout: 1, mode: EXECUTABLE_MODE, sources: sources.map(({ pkg, version, bin, size }) => [pkg, version, bin, size]) }))
    .digest("hex")
    .slice(0, 16);
  const dir = path.join(root, `ffmpeg-layer-${key}`);
  if (existsSync(path.join(dir, "bin")) && findBadModes(dir).length === 0) return dir;

  mkdirSync(root, { recursive: true });
  const building = mkdtempSync(path.join(root, `.ffmpeg-layer-${key}-`));
  try {
    // Directories too, whatever the umask: the zip stores files only, but a copy of this directory
    // laid out as /opt (the offline harness) must let another user through.
    mkdirSync(path.join(building, "bin"));
    for (const d of [building, path.join(building, "bin")]) chmodSync(d, 0o755);
    // A fixed time: the staged files are the same whoever stages them, and when.
    const epoch = new Date("2000-01-01T00:00:00Z");
    for (const { bin, file } of sources) {
      const target = path.join(building, "bin", bin);
      copyFileSync(file, target);
      chmodSync(target, EXECUTABLE_MODE); // not subject to the umask, unlike a mode given at creation
      utimesSync(target, epoch, epoch);
    }
    const bad = findBadModes(building);
    if (bad.length) throw new Error(`The ffmpeg layer was staged with wrong modes: ${JSON.stringify(bad)}`);
    // Only a copy with wrong modes (staged by an older version of this code) is replaced; a good one
    // may be in use by a concurrent synthesis and stays.
    if (existsSync(dir) && findBadModes(dir).length) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(building, dir);
    } catch (error) {
      // Another synthesis put the same directory in place first: use it.
      if (!existsSync(path.join(dir, "bin"))) throw error;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { detectAsrModel } from "../engines/speech/sherpa-asr.js";
import { GITHUB_API, GITHUB_DOWNLOADS, MODEL_RELEASE, MODELS, modelByName, SELECTED_FILE, type ModelEntry } from "./catalog.js";

const run = promisify(execFile);

/** A model that could not be installed; nothing half-installed is left behind. */
export class ModelInstallError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ModelInstallError";
  }
}

export interface InstallOptions {
  /** The models directory; the model lands in `<dir>/<name>/` and becomes the selected one. */
  dir: string;
  /** GitHub's API and download addresses (a mirror, or a loopback server in tests). */
  api?: string;
  downloads?: string;
  /** The archive's SHA-256 as hex, for an asset GitHub gives no digest for (from a source you trust). */
  sha256?: string;
  onProgress?: (bytes: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

export interface Installed {
  entry: ModelEntry;
  dir: string;
  bytes: number;
  sha256: string;
  /** Where the checksum the archive was checked against came from. */
  checkedAgainst: "github-digest" | "given";
}

interface Asset { name: string; size?: number; digest?: string | null }

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Downloads a model's archive from sherpa-onnx's release, checks its SHA-256 against the digest GitHub
 * computed when the asset was uploaded (the release API's `digest`, or `sha256` when given), unpacks
 * it with tar, checks that it is a model the transcriber can load, and selects it. The archive and the
 * unpacked files go through a temporary name first, so a failure at any step leaves no model behind.
 * @example await installModel("whisper-tiny.en", { dir: modelsDir() })
 */
export async function installModel(name: string, options: InstallOptions): Promise<Installed> {
  const entry = modelByName(name);
  if (!entry) throw new ModelInstallError(`no model named ${name}; the models are: ${MODELS.map((m) => m.name).join(", ")}`);
  const given = options.sha256?.toLowerCase();
  if (given !== undefined && !HEX64.test(given)) throw new ModelInstallError(`--sha256 must be 64 hexadecimal digits, got ${options.sha256}`);
  await mkdir(options.dir, { recursive: true });

  const asset = await releaseAsset(entry, options);
  const published = asset.digest?.startsWith("sha256:") ? asset.digest.slice("sha256:".length).toLowerCase() : undefined;
  if (given && published && given !== published) {
    throw new ModelInstallError(`the SHA-256 given (${given}) is not the one GitHub publishes for ${entry.archive} (${published})`);
  }
  const expected = given ?? published;
  if (!expected) {
    throw new ModelInstallError(
      `GitHub gives no SHA-256 digest for ${entry.archive} (assets uploaded before it computed them have none): ` +
        "pass --sha256 <hex> with the checksum from a source you trust; nothing is installed unchecked",
    );
  }

  const work = await mkdtemp(path.join(options.dir, `.install-${entry.name}-`));
  try {
    const archive = path.join(work, entry.archive);
    const { bytes, sha256 } = await download(entry, archive, asset.size, options);
    if (sha256 !== expected) {
      throw new ModelInstallError(`${entry.archive} is not the published file: its SHA-256 is ${sha256}, expected ${expected}; nothing was installed`);
    }
    // GNU tar refuses members that leave the directory (absolute names, "..") unless told otherwise.
    await run("tar", ["-xjf", archive, "-C", work, "--no-same-owner"], { signal: options.signal }).catch((cause: unknown) => {
      throw new ModelInstallError(`could not unpack ${entry.archive}: ${(cause as Error).message}`, { cause });
    });
    const unpacked = path.join(work, entry.directory);
    await detectAsrModel(unpacked).catch((cause: unknown) => {
      throw new ModelInstallError(`${entry.archive} does not hold the ${entry.kind} model expected in ${entry.directory}/: ${(cause as Error).message}`, { cause });
    });
    const target = path.join(options.dir, entry.name);
    await rm(target, { recursive: true, force: true });
    await rename(unpacked, target);
    await writeFile(path.join(options.dir, SELECTED_FILE), `${entry.name}\n`);
    return { entry, dir: target, bytes, sha256, checkedAgainst: given ? "given" : "github-digest" };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The release asset's size and digest: from the release by its tag, then its asset pages (a release lists at most some assets inline). */
async function releaseAsset(entry: ModelEntry, options: InstallOptions): Promise<Asset> {
  const api = (options.api ?? GITHUB_API).replace(/\/$/, "");
  const { owner, repo, tag } = MODEL_RELEASE;
  const release = (await getJson(`${api}/repos/${owner}/${repo}/releases/tags/${tag}`, options.signal)) as { id?: number; assets?: Asset[] };
  let found = release.assets?.find((a) => a.name === entry.archive);
  for (let page = 1; !found && release.id !== undefined && page <= 50; page++) {
    const assets = (await getJson(`${api}/repos/${owner}/${repo}/releases/${release.id}/assets?per_page=100&page=${page}`, options.signal)) as Asset[];
    if (!Array.isArray(assets) || assets.length === 0) break;
    found = assets.find((a) => a.name === entry.archive);
  }
  if (!found) throw new ModelInstallError(`${entry.archive} is not in the ${tag} release of ${owner}/${repo}`);
  return found;
}

async function getJson(url: string, signal: AbortSignal | undefined): Promise<unknown> {
  const response = await fetch(url, { headers: { accept: "application/vnd.github+json", "user-agent": "media-pipeline" }, ...(signal ? { signal } : {}) }).catch((cause: unknown) => {
    throw new ModelInstallError(`could not reach ${new URL(url).host} to read the release (${(cause as Error).message})`, { cause });
  });
  if (!response.ok) throw new ModelInstallError(`${url} answered ${response.status} ${response.statusText}`);
  return response.json();
}

/** Streams the archive to `file`, hashing it on the way; the size GitHub lists must match too. */
async function download(entry: ModelEntry, file: string, size: number | undefined, options: InstallOptions): Promise<{ bytes: number; sha256: string }> {
  const base = (options.downloads ?? GITHUB_DOWNLOADS).replace(/\/$/, "");
  const { owner, repo, tag } = MODEL_RELEASE;
  const url = `${base}/${owner}/${repo}/releases/download/${tag}/${entry.archive}`;
  const response = await fetch(url, { headers: { "user-agent": "media-pipeline" }, redirect: "follow", ...(options.signal ? { signal: options.signal } : {}) }).catch((cause: unknown) => {
    throw new ModelInstallError(`could not download ${url} (${(cause as Error).message})`, { cause });
  });
  if (!response.ok || !response.body) throw new ModelInstallError(`${url} answered ${response.status} ${response.statusText}`);
  const hash = createHash("sha256");
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      options.onProgress?.(bytes, size);
      done(null, chunk);
    },
  });
  const body = Readable.fromWeb(response.body as never);
  const written = options.signal ? pipeline(body, count, createWriteStream(file), { signal: options.signal }) : pipeline(body, count, createWriteStream(file));
  await written.catch((cause: unknown) => {
    throw new ModelInstallError(`downloading ${entry.archive} failed after ${bytes} bytes (${(cause as Error).message})`, { cause });
  });
  if (size !== undefined && bytes !== size) throw new ModelInstallError(`${entry.archive}: ${bytes} bytes arrived, the release lists ${size}`);
  return { bytes, sha256: hash.digest("hex") };
}

/** Whether `<dir>/<name>` holds an unpacked model. */
export function isInstalled(dir: string, name: string): boolean {
  return existsSync(path.join(dir, name));
}

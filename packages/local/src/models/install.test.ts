import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectAsrModel } from "../engines/speech/sherpa-asr.js";
import { loadConfig } from "../runtime/config.js";
import { modelByName, selectedModelDir } from "./catalog.js";
import { installModel, ModelInstallError } from "./install.js";

/*
 * The installer against a loopback server that answers as GitHub does: the release by its tag (assets
 * with `digest: "sha256:…"`), further asset pages, and a download that redirects to where the bytes are.
 * The archive is a small model of the layout sherpa-onnx publishes, made here with tar.
 */

const run = promisify(execFile);
const entry = modelByName("whisper-tiny.en")!;
let dir: string;
let server: Server;
let base: string;
let archive: Buffer;
let sha: string;
/** What the server answers; each test sets what it needs. */
const answers = { digest: "" as string | null, inline: true, bytes: undefined as Buffer | undefined, requests: [] as string[] };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mp-models-"));
  const src = path.join(dir, "src", entry.directory);
  await mkdir(src, { recursive: true });
  await writeFile(path.join(src, "tiny.en-encoder.int8.onnx"), "not a real network");
  await writeFile(path.join(src, "tiny.en-decoder.int8.onnx"), "not a real network");
  await writeFile(path.join(src, "tiny.en-tokens.txt"), "the 0\ncat 1\n");
  await run("tar", ["-cjf", path.join(dir, entry.archive), "-C", path.join(dir, "src"), entry.directory]);
  archive = await readFile(path.join(dir, entry.archive));
  sha = createHash("sha256").update(archive).digest("hex");

  server = createServer((req, res) => {
    answers.requests.push(req.url!);
    const asset = { name: entry.archive, size: (answers.bytes ?? archive).length, digest: answers.digest };
    const others = [{ name: "sherpa-onnx-other.tar.bz2", size: 1, digest: null }];
    const json = (body: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.url === "/repos/k2-fsa/sherpa-onnx/releases/tags/asr-models") return json({ id: 42, assets: answers.inline ? [...others, asset] : others });
    if (req.url === "/repos/k2-fsa/sherpa-onnx/releases/42/assets?per_page=100&page=1") return json(others);
    if (req.url === "/repos/k2-fsa/sherpa-onnx/releases/42/assets?per_page=100&page=2") return json([asset]);
    if (req.url?.startsWith("/repos/k2-fsa/sherpa-onnx/releases/42/assets")) return json([]);
    if (req.url === `/k2-fsa/sherpa-onnx/releases/download/asr-models/${entry.archive}`) return res.writeHead(302, { location: `/objects/${entry.archive}` }).end();
    if (req.url === `/objects/${entry.archive}`) return res.writeHead(200, { "content-type": "application/octet-stream" }).end(answers.bytes ?? archive);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const fresh = async (name: string) => {
  const models = path.join(dir, name);
  await rm(models, { recursive: true, force: true });
  return models;
};
const options = (models: string) => ({ dir: models, api: base, downloads: base });

describe("installModel", () => {
  it("downloads through the redirect, checks GitHub's digest, unpacks, and the transcriber's config finds it", async () => {
    Object.assign(answers, { digest: `sha256:${sha}`, inline: true, bytes: undefined });
    const models = await fresh("ok");
    const done = await installModel("whisper-tiny.en", options(models));
    expect(done).toMatchObject({ dir: path.join(models, "whisper-tiny.en"), bytes: archive.length, sha256: sha, checkedAgainst: "github-digest" });
    expect(await detectAsrModel(done.dir)).toMatchObject({ kind: "whisper", encoder: path.join(done.dir, "tiny.en-encoder.int8.onnx") });
    expect(selectedModelDir(models)).toBe(done.dir);
    // Nothing else is left in the models directory: no archive, no temporary directory.
    expect((await readdir(models)).sort()).toEqual(["selected", "whisper-tiny.en"]);
    expect(loadConfig({}, { MEDIA_PIPELINE_MODELS_DIR: models }, dir).asrModelDir).toBe(done.dir);
    // A configured model directory still wins.
    expect(loadConfig({}, { MEDIA_PIPELINE_MODELS_DIR: models, MEDIA_PIPELINE_ASR_MODEL_DIR: "/elsewhere" }, dir).asrModelDir).toBe("/elsewhere");
  });

  it("finds the asset on the release's asset pages when the release does not list it inline", async () => {
    Object.assign(answers, { digest: `sha256:${sha}`, inline: false, bytes: undefined, requests: [] });
    const done = await installModel("whisper-tiny.en", options(await fresh("paged")));
    expect(done.sha256).toBe(sha);
    expect(answers.requests).toContain("/repos/k2-fsa/sherpa-onnx/releases/42/assets?per_page=100&page=2");
  });

  it("refuses a download whose bytes are not the published ones, and installs nothing", async () => {
    const tampered = Buffer.from(archive);
    tampered[tampered.length - 10] ^= 0xff;
    Object.assign(answers, { digest: `sha256:${sha}`, inline: true, bytes: tampered });
    const models = await fresh("tampered");
    await expect(installModel("whisper-tiny.en", options(models))).rejects.toThrow(/is not the published file: its SHA-256 is [0-9a-f]{64}, expected/);
    expect(await readdir(models)).toEqual([]);
    expect(selectedModelDir(models)).toBeUndefined();
  });

  it("installs nothing unchecked: no digest from GitHub needs --sha256, which must then match the bytes", async () => {
    Object.assign(answers, { digest: null, inline: true, bytes: undefined });
    const models = await fresh("nodigest");
    await expect(installModel("whisper-tiny.en", options(models))).rejects.toThrow(/GitHub gives no SHA-256 digest .* pass --sha256/);
    expect(existsSync(path.join(models, "whisper-tiny.en"))).toBe(false);
    await expect(installModel("whisper-tiny.en", { ...options(models), sha256: "0".repeat(64) })).rejects.toThrow(/is not the published file/);
    expect((await installModel("whisper-tiny.en", { ...options(models), sha256: sha.toUpperCase() })).checkedAgainst).toBe("given");
  });

  it("refuses a --sha256 that contradicts GitHub's digest, a malformed one, and a name it does not know", async () => {
    Object.assign(answers, { digest: `sha256:${sha}`, inline: true, bytes: undefined });
    const models = await fresh("refusals");
    await expect(installModel("whisper-tiny.en", { ...options(models), sha256: "a".repeat(64) })).rejects.toThrow(/not the one GitHub publishes/);
    await expect(installModel("whisper-tiny.en", { ...options(models), sha256: "abc" })).rejects.toThrow(/64 hexadecimal digits/);
    const unknown = installModel("whisper-huge", options(models));
    await expect(unknown).rejects.toBeInstanceOf(ModelInstallError);
    await expect(unknown).rejects.toThrow(/no model named whisper-huge; the models are: whisper-tiny\.en, /);
  });

  it("refuses an archive that does not hold the model it names", async () => {
    const other = path.join(dir, "wrong");
    await mkdir(path.join(other, entry.directory), { recursive: true });
    await writeFile(path.join(other, entry.directory, "README.md"), "no model here");
    await run("tar", ["-cjf", path.join(dir, "wrong.tar.bz2"), "-C", other, entry.directory]);
    const wrong = await readFile(path.join(dir, "wrong.tar.bz2"));
    Object.assign(answers, { digest: `sha256:${createHash("sha256").update(wrong).digest("hex")}`, inline: true, bytes: wrong });
    const models = await fresh("wrong-model");
    await expect(installModel("whisper-tiny.en", options(models))).rejects.toThrow(/does not hold the whisper model expected in sherpa-onnx-whisper-tiny\.en\/: .*found: README\.md/);
    expect(await readdir(models)).toEqual([]);
  });
});

describe("media-pipeline models, as a user runs it", () => {
  const BIN = path.resolve(import.meta.dirname, "../../bin/media-pipeline.js");
  const cli = async (args: string[], env: NodeJS.ProcessEnv) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it("lists the models, installs one from the release, and lists it as the one in use", async () => {
    Object.assign(answers, { digest: `sha256:${sha}`, inline: true, bytes: undefined });
    const models = await fresh("cli");
    const env = { MEDIA_PIPELINE_MODELS_DIR: models, MEDIA_PIPELINE_MODELS_API: base, MEDIA_PIPELINE_MODELS_DOWNLOAD: base };
    const before = await cli(["models", "list", "--json"], env);
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout).models.map((m: { name: string; installed: boolean }) => [m.name, m.installed])).toContainEqual(["whisper-tiny.en", false]);
    const installed = await cli(["models", "install", "whisper-tiny.en"], env);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain(`whisper-tiny.en installed in ${path.join(models, "whisper-tiny.en")}`);
    expect(installed.stdout).toContain(`SHA-256 ${sha}, checked against GitHub's published digest`);
    const listed = await cli(["models", "list"], env);
    expect(listed.stdout).toMatch(/whisper-tiny\.en +whisper .*\[installed, in use\]/);
    const unknown = await cli(["models", "install", "nope"], env);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining("no model named nope")]);
  });
});

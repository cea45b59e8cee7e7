import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { NonRetryableError } from "@media-pipeline/core";

const run = promisify(execFile);

/**
 * The local OCR engine could not run: no tesseract binary, no English model, or it failed on our
 * input. Non-retryable: running it again gives the same answer.
 */
export class TextEngineError extends NonRetryableError {}

export interface TesseractBinary {
  path: string;
  /** e.g. "5.3.0" */
  version: string;
  /** Leptonica's, from the same `--version` output (it reads the images). */
  leptonica: string;
  languages: string[];
}

const memo = new Map<string, Promise<TesseractBinary>>();

/**
 * Finds the tesseract CLI: `MEDIA_PIPELINE_TESSERACT` (or the given path), else `tesseract` on PATH
 * (Debian: `apt-get install tesseract-ocr tesseract-ocr-eng`), and checks it has the language asked
 * for. Memoized per path; a failed lookup is retried next time (the package may be installed since).
 */
export function resolveTesseract(options: { path?: string; language?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TesseractBinary> {
  const env = options.env ?? process.env;
  const language = options.language ?? "eng";
  const key = `${options.path ?? env.MEDIA_PIPELINE_TESSERACT ?? ""}\0${env.PATH ?? ""}\0${language}`;
  let found = memo.get(key);
  if (!found) {
    found = resolveUncached(options.path ?? env.MEDIA_PIPELINE_TESSERACT, env, language);
    memo.set(key, found);
    found.catch(() => memo.delete(key));
  }
  return found;
}

async function resolveUncached(explicit: string | undefined, env: NodeJS.ProcessEnv, language: string): Promise<TesseractBinary> {
  const path = explicit ?? (await onPath("tesseract", env));
  if (!path) {
    throw new TextEngineError(
      "tesseract was not found: install it (Debian: apt-get install tesseract-ocr tesseract-ocr-eng) or set MEDIA_PIPELINE_TESSERACT to its path",
    );
  }
  if (!(await isExecutable(path))) throw new TextEngineError(`${path} is not an executable file (MEDIA_PIPELINE_TESSERACT or PATH)`);
  let versionOutput: string;
  let langsOutput: string;
  try {
    // Tesseract 4 printed its version on stderr, 5 on stdout: read both.
    const v = await run(path, ["--version"], { timeout: 15_000 });
    versionOutput = `${v.stdout}\n${v.stderr}`;
    const l = await run(path, ["--list-langs"], { timeout: 15_000 });
    langsOutput = `${l.stdout}\n${l.stderr}`;
  } catch (cause) {
    throw new TextEngineError(`tesseract at ${path} could not be started`, { cause });
  }
  const { version, leptonica } = parseTesseractVersion(versionOutput);
  const languages = parseLanguages(langsOutput);
  if (!languages.includes(language)) {
    throw new TextEngineError(
      `tesseract at ${path} has no "${language}" model (it has: ${languages.join(", ") || "none"}); Debian: apt-get install tesseract-ocr-${language}`,
    );
  }
  return { path, version, leptonica, languages };
}

/** "tesseract 5.3.0\n leptonica-1.82.0\n …" → { version: "5.3.0", leptonica: "1.82.0" }. */
export function parseTesseractVersion(output: string): { version: string; leptonica: string } {
  return {
    version: /^\s*tesseract\s+v?(\S+)/im.exec(output)?.[1] ?? "unknown",
    leptonica: /leptonica-(\S+)/i.exec(output)?.[1] ?? "unknown",
  };
}

/** `--list-langs`: a header line, then one language per line. */
export function parseLanguages(output: string): string[] {
  return output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^list of available languages/i.test(l) && !/\s/.test(l));
}

/**
 * Reads every image listed in `listFile` (one path a line) in one process, so the model loads once per
 * batch rather than once per image (about 0.2 s of CPU each time on the bench machine). Returns the
 * TSV. `OMP_THREAD_LIMIT=1`: each process stays on one core and the engine's concurrency decides how
 * many run. Aborting kills it (SIGKILL) and rejects with the signal's reason.
 */
export async function runTesseract(
  binary: TesseractBinary,
  listFile: string,
  options: { psm: number; language: string; signal?: AbortSignal; timeoutMs?: number },
): Promise<string> {
  try {
    const { stdout } = await run(binary.path, [listFile, "stdout", "--psm", String(options.psm), "-l", options.language, "tsv"], {
      env: { ...process.env, OMP_THREAD_LIMIT: "1" },
      maxBuffer: 256 * 1024 * 1024,
      timeout: options.timeoutMs ?? 0,
      killSignal: "SIGKILL",
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return stdout;
  } catch (cause) {
    // Stopped on purpose (the stage gave up): the stage's reason, not a broken engine.
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : cause;
    throw new TextEngineError(`tesseract failed on the images listed in ${listFile}`, { cause });
  }
}

async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

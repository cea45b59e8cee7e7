import { spawn as nodeSpawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";
import ffmpeg from "fluent-ffmpeg";
import { MediaPipelineError, NonRetryableError } from "@media-pipeline/core";
import type { FfmpegBinaries } from "./types.js";

/**
 * The one place that knows where ffmpeg lives and how to start it. fluent-ffmpeg's upstream was
 * archived in 2025, so it stays behind this module: callers get a command already pointed at the
 * resolved binaries, and everything else spawns the binaries directly with argument arrays (never a
 * shell: file names may hold spaces, quotes and unicode).
 */

/** `child_process.spawn`, injectable so tests can count decode passes. */
export type SpawnFn = typeof nodeSpawn;

export interface ResolveBinariesOptions {
  /** Defaults to `process.env`; `MEDIA_PIPELINE_FFMPEG` / `MEDIA_PIPELINE_FFPROBE` win over PATH. */
  env?: NodeJS.ProcessEnv;
}

const memo = new Map<string, Promise<FfmpegBinaries>>();

/**
 * Finds ffmpeg and ffprobe: the env overrides, else binaries on PATH (Debian/Homebrew), else the npm
 * installer packages (a static 2018 ffmpeg ~4.1). Memoized per override pair.
 * @example const { ffmpegPath, version, origin } = await resolveFfmpegBinaries()
 */
export function resolveFfmpegBinaries(options: ResolveBinariesOptions = {}): Promise<FfmpegBinaries> {
  const env = options.env ?? process.env;
  const key = `${env.MEDIA_PIPELINE_FFMPEG ?? ""}\0${env.MEDIA_PIPELINE_FFPROBE ?? ""}\0${env.PATH ?? ""}`;
  let found = memo.get(key);
  if (!found) {
    found = resolveUncached(env);
    memo.set(key, found);
    found.catch(() => memo.delete(key));
  }
  return found;
}

async function resolveUncached(env: NodeJS.ProcessEnv): Promise<FfmpegBinaries> {
  const ffmpegFound = locate("ffmpeg", env.MEDIA_PIPELINE_FFMPEG, env);
  const ffprobeFound = locate("ffprobe", env.MEDIA_PIPELINE_FFPROBE, env);
  const run = await runProcess(ffmpegFound.path, ["-hide_banner", "-version"], { timeoutMs: 15_000 }).catch(
    (cause: unknown) => {
      throw new NonRetryableError(`ffmpeg at ${ffmpegFound.path} could not be started`, { cause });
    },
  );
  const probeRun = await runProcess(ffprobeFound.path, ["-version"], { timeoutMs: 15_000 }).catch((cause: unknown) => {
    throw new NonRetryableError(
      `ffprobe at ${ffprobeFound.path} could not be started (npm installs need the package's install script ` +
        `to set the run bit: do not install with --ignore-scripts)`,
      { cause },
    );
  });
  if (run.code !== 0 || probeRun.code !== 0) {
    throw new NonRetryableError(`ffmpeg/ffprobe -version failed: ${(run.stderr || probeRun.stderr).trim()}`);
  }
  return {
    ffmpegPath: ffmpegFound.path,
    ffprobePath: ffprobeFound.path,
    version: parseFfmpegVersion(run.stdout),
    origin: ffmpegFound.origin,
  };
}

/** "ffmpeg version 5.1.6-0+deb12u1 Copyright …" → "5.1.6-0+deb12u1". */
export function parseFfmpegVersion(versionOutput: string): string {
  const match = /^\S+ version (\S+)/m.exec(versionOutput);
  return match?.[1] ?? "unknown";
}

function locate(
  name: "ffmpeg" | "ffprobe",
  override: string | undefined,
  env: NodeJS.ProcessEnv,
): { path: string; origin: FfmpegBinaries["origin"] } {
  if (override) {
    if (!isExecutable(override)) {
      const variable = name === "ffmpeg" ? "MEDIA_PIPELINE_FFMPEG" : "MEDIA_PIPELINE_FFPROBE";
      throw new NonRetryableError(`${variable} points at ${override}, which is not an executable file`);
    }
    return { path: override, origin: /[\\/]@ff(mpeg|probe)-installer[\\/]/.test(override) ? "npm" : "system" };
  }
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, process.platform === "win32" ? `${name}.exe` : name);
    if (isExecutable(candidate)) return { path: candidate, origin: "system" };
  }
  try {
    const require = createRequire(import.meta.url);
    const pkg = require(`@${name}-installer/${name}`) as { path: string };
    if (isExecutable(pkg.path)) return { path: pkg.path, origin: "npm" };
  } catch {
    // not installed for this platform: fall through to the error below
  }
  throw new NonRetryableError(
    `${name} was not found: install it (Debian: apt-get install ffmpeg), set ${
      name === "ffmpeg" ? "MEDIA_PIPELINE_FFMPEG" : "MEDIA_PIPELINE_FFPROBE"
    } to its path, or install @${name}-installer/${name}`,
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A fluent-ffmpeg command bound to the resolved binaries (per command, not the library's globals).
 * @example fluentCommand(binaries, "file:/data/in.mp4").noVideo().save(out)
 */
export function fluentCommand(binaries: FfmpegBinaries, input?: string): ffmpeg.FfmpegCommand {
  const command = input === undefined ? ffmpeg() : ffmpeg(input);
  return command.setFfmpegPath(binaries.ffmpegPath).setFfprobePath(binaries.ffprobePath);
}

/**
 * ffmpeg/ffprobe read `file:` URLs literally, so a name that starts with `-` or holds a `:` is never
 * taken for an option or a protocol.
 */
export function fileInput(path: string): string {
  return `file:${path}`;
}

export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
  spawn?: SpawnFn;
  /** Called with each complete stdout line (used for `-progress pipe:1`). */
  onStdoutLine?: (line: string) => void;
  /** Cap on the stdout kept in the result (ffprobe JSON is small; progress output is not kept). */
  keepStdout?: boolean;
  /** Kills the process (SIGKILL) when aborted; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last 64 KB of stderr: enough for ffmpeg's error lines. */
  stderr: string;
}

/** Runs a binary with an argument array (no shell) and collects its output. Rejects only if it cannot start or times out. */
export function runProcess(file: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const spawn = options.spawn ?? nodeSpawn;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
    let stdout = "";
    let pending = "";
    let stderr = "";
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, options.timeoutMs);
    const signal = options.signal;
    const onAbort = () => child.kill("SIGKILL");
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      if (options.keepStdout !== false) stdout += chunk;
      if (options.onStdoutLine) {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) options.onStdoutLine(line.trimEnd());
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-65_536);
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    child.on("close", (code, exitSignal) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new MediaPipelineError(`${file} was stopped`, { retryable: true, cause: signal.reason }));
        return;
      }
      if (timedOut) {
        reject(new MediaPipelineError(`${file} did not finish within ${options.timeoutMs} ms`, { retryable: true }));
        return;
      }
      if (pending && options.onStdoutLine) options.onStdoutLine(pending.trimEnd());
      resolve({ code, signal: exitSignal, stdout, stderr });
    });
  });
}

const codecMemo = new Map<string, Promise<Set<string>>>();

/**
 * Codec names this ffprobe can decode (the `D` flag of `-codecs`), memoized per binary: a stream
 * whose codec is not here would fail every later stage, so the probe refuses it up front.
 */
export function decodableCodecs(binaries: FfmpegBinaries, spawn?: SpawnFn): Promise<Set<string>> {
  let found = codecMemo.get(binaries.ffprobePath);
  if (!found) {
    found = runProcess(binaries.ffprobePath, ["-hide_banner", "-codecs"], { timeoutMs: 15_000, spawn }).then((run) => {
      const names = new Set<string>();
      for (const line of run.stdout.split("\n")) {
        const match = /^ ([D.])[E.][VASDT.][I.][L.][S.] (\S+)/.exec(line);
        if (match?.[1] === "D") names.add(match[2]);
      }
      return names;
    });
    codecMemo.set(binaries.ffprobePath, found);
    found.catch(() => codecMemo.delete(binaries.ffprobePath));
  }
  return found;
}

/** Lets each adapter take fixed binaries (tests, the CLI's `--ffmpeg`) or resolve them lazily. */
export function binariesFrom(given: FfmpegBinaries | undefined): () => Promise<FfmpegBinaries> {
  return given ? () => Promise.resolve(given) : () => resolveFfmpegBinaries();
}

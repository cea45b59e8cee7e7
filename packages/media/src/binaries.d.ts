import { spawn as nodeSpawn } from "node:child_process";
import ffmpeg from "fluent-ffmpeg";
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
/**
 * Finds ffmpeg and ffprobe: the env overrides, else binaries on PATH (Debian/Homebrew), else the npm
 * installer packages (a static 2018 ffmpeg ~4.1). Memoized per override pair.
 * @example const { ffmpegPath, version, origin } = await resolveFfmpegBinaries()
 */
export declare function resolveFfmpegBinaries(options?: ResolveBinariesOptions): Promise<FfmpegBinaries>;
/** "ffmpeg version 5.1.6-0+deb12u1 Copyright …" → "5.1.6-0+deb12u1". */
export declare function parseFfmpegVersion(versionOutput: string): string;
/**
 * A fluent-ffmpeg command bound to the resolved binaries (per command, not the library's globals).
 * @example fluentCommand(binaries, "file:/data/in.mp4").noVideo().save(out)
 */
export declare function fluentCommand(binaries: FfmpegBinaries, input?: string): ffmpeg.FfmpegCommand;
/**
 * ffmpeg/ffprobe read `file:` URLs literally, so a name that starts with `-` or holds a `:` is never
 * taken for an option or a protocol.
 */
export declare function fileInput(path: string): string;
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
export declare function runProcess(file: string, args: string[], options?: RunOptions): Promise<RunResult>;
/**
 * Codec names this ffprobe can decode (the `D` flag of `-codecs`), memoized per binary: a stream
 * whose codec is not here would fail every later stage, so the probe refuses it up front.
 */
export declare function decodableCodecs(binaries: FfmpegBinaries, spawn?: SpawnFn): Promise<Set<string>>;
/** Lets each adapter take fixed binaries (tests, the CLI's `--ffmpeg`) or resolve them lazily. */
export declare function binariesFrom(given: FfmpegBinaries | undefined): () => Promise<FfmpegBinaries>;
//# sourceMappingURL=binaries.d.ts.map
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MediaPipelineError } from "@media-pipeline/core";

/** Another live process holds this data directory. */
export class RuntimeLockedError extends MediaPipelineError {}

const lockFile = (dataDir: string) => path.join(dataDir, "runtime.lock");

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid written in the data directory's lock file, if there is one (alive or not). */
export function lockHolder(dataDir: string): number | undefined {
  try {
    return Number(readFileSync(lockFile(dataDir), "utf8")) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * One runtime per data directory: a second live process would run stages twice. Takes the lock (a
 * lock left by a dead process is taken over) and returns the function that gives it back; throws
 * `RuntimeLockedError` while another live process holds it.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = lockFile(dataDir);
  const pid = lockHolder(dataDir);
  if (pid && pid !== process.pid && isAlive(pid)) {
    throw new RuntimeLockedError(`Another media-pipeline process (pid ${pid}) is using ${dataDir}; stop it or use another --data-dir`);
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

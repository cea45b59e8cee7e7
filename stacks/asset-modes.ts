import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import path from "node:path";

/**
 * File modes that break a Lambda asset. Lambda runs the function as a non-root user that owns none
 * of the files unpacked from the zip, so only the "other" bits count: an executable must be
 * `r-x` for others (0744, as `@ffprobe-installer`'s `chmod u+x` leaves ffprobe, fails with EACCES),
 * and any other file must be readable by others. The zip keeps the staged files' modes
 * (cdk-assets archives `stat.mode`), so checking the staged directory checks the zip.
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-package.html#gettingstarted-package-permissions
 */
export interface BadMode {
  /** Relative to the asset directory, with `/` separators. */
  path: string;
  /** Octal, four digits (`0744`). */
  mode: string;
  reason: string;
}

/** The one mode an executable may have: rwxr-xr-x, no setuid/setgid/sticky. */
export const EXECUTABLE_MODE = 0o755;

/**
 * Every file of an asset directory whose mode is wrong for Lambda: one with any execute bit, or an
 * ELF binary, or a `#!` script, must be exactly 0755; every other file must be readable by others
 * and carry no special bits. Symbolic links are followed (the zip stores their targets). Directories
 * are not checked: the zip stores files only and Lambda creates the directories.
 * @example expect(findBadModes(".sst/artifacts/ffmpeg-layer-…")).toEqual([])
 */
export function findBadModes(dir: string): BadMode[] {
  const bad: BadMode[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const file = path.join(abs, name);
      const relative = rel ? `${rel}/${name}` : name;
      const stat = statSync(file);
      if (stat.isDirectory()) {
        walk(file, relative);
        continue;
      }
      if (!stat.isFile()) continue;
      const mode = stat.mode & 0o7777;
      const reason = modeProblem(mode, () => looksExecutable(file));
      if (reason) bad.push({ path: relative, mode: octal(mode), reason });
    }
  };
  walk(path.resolve(dir), "");
  return bad;
}

/** Why a file's mode is wrong, or undefined. `executableContent` is asked only when the mode does not decide. */
export function modeProblem(mode: number, executableContent: () => boolean): string | undefined {
  if (mode & 0o111) return mode === EXECUTABLE_MODE ? undefined : `executable (some execute bit set) but not ${octal(EXECUTABLE_MODE)}`;
  if (executableContent()) return `an ELF binary or #! script without execute bits (needs ${octal(EXECUTABLE_MODE)})`;
  if (mode & 0o7000) return "setuid, setgid or sticky bit on a data file";
  if (!(mode & 0o004)) return "not readable by others (Lambda's user owns no file of the asset)";
  return undefined;
}

/** `\x7fELF` or `#!` at the start of the file. */
function looksExecutable(file: string): boolean {
  const head = Buffer.alloc(4);
  const fd = openSync(file, "r");
  try {
    const n = readSync(fd, head, 0, 4, 0);
    return (n >= 4 && head.toString("latin1", 0, 4) === "\x7fELF") || (n >= 2 && head.toString("latin1", 0, 2) === "#!");
  } finally {
    closeSync(fd);
  }
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, "0")}`;

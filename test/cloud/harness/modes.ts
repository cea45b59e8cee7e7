import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import path from "node:path";

/**
 * Files of a staged asset that Lambda's non-root user could not use: an executable (any execute bit,
 * an ELF binary or a `#!` script) that is not exactly 0755, or any file others cannot read. Lambda
 * unzips assets keeping the modes and runs the code as a user that owns none of the files.
 */
export function findBadModes(dir: string): { path: string; mode: string }[] {
  const bad: { path: string; mode: string }[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        const mode = statSync(full).mode & 0o777;
        if ((mode & 0o005) !== 0o005) bad.push({ path: path.relative(dir, full), mode: mode.toString(8).padStart(4, "0") });
        walk(full);
      } else if (entry.isFile()) {
        const mode = statSync(full).mode & 0o777;
        const executable = (mode & 0o111) !== 0 || looksExecutable(full);
        if ((executable && mode !== 0o755) || (mode & 0o004) === 0) bad.push({ path: path.relative(dir, full), mode: mode.toString(8).padStart(4, "0") });
      }
    }
  };
  walk(dir);
  return bad;
}

function looksExecutable(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    return (n === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) || (n >= 2 && head[0] === 0x23 && head[1] === 0x21);
  } finally {
    closeSync(fd);
  }
}

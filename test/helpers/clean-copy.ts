import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from "node:fs";
import path from "node:path";

/**
 * Makes `into` what a fresh clone of `root` is after `npm ci`: the files git knows and nothing built.
 *
 * Files: tracked ones, plus new files git does not ignore (work not committed yet is part of the next
 * clone; the ignored build output, dist/ and .sst/ among it, is not).
 *
 * node_modules: a real `npm ci` takes minutes and needs the network, so the copy gets what npm ci
 * would lay out, made of links into `root`'s install: each top-level entry of `root/node_modules` is
 * linked, except the workspace packages, which npm links to the workspace folders, so here to the
 * COPY's folders (a build that resolves `@media-pipeline/*` must see the copy's unbuilt sources, not
 * `root`'s dist/). Each workspace's own node_modules is linked the same way.
 */
export function makeCleanCopy(root: string, into: string): void {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" });
  for (const file of listed.split("\0").filter(Boolean)) {
    const source = path.join(root, file);
    if (!existsSync(source) && !isLink(source)) continue; // deleted in the work tree, not yet in git
    if (file.split("/").includes("node_modules")) continue; // npm's, even where a link escapes .gitignore
    const target = path.join(into, file);
    mkdirSync(path.dirname(target), { recursive: true });
    if (isLink(source)) symlinkSync(readlinkSync(source), target);
    else copyFileSync(source, target); // keeps the file's mode
  }

  const workspaces = workspaceFolders(into);
  const names = new Map(workspaces.map((dir) => [packageName(into, dir), dir]));
  linkNodeModules(path.join(root, "node_modules"), path.join(into, "node_modules"), into, names, true);
  for (const dir of workspaces) {
    const installed = path.join(root, dir, "node_modules");
    if (existsSync(installed)) linkNodeModules(installed, path.join(into, dir, "node_modules"), into, names, false);
  }
}

/** The workspace folders the root package.json declares (a trailing `/*` means every folder there). */
export function workspaceFolders(root: string): string[] {
  const { workspaces = [] } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { workspaces?: string[] };
  return workspaces.flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(path.join(root, parent), { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(path.join(root, parent, e.name, "package.json")))
      .map((e) => `${parent}/${e.name}`);
  });
}

function packageName(root: string, dir: string): string {
  return (JSON.parse(readFileSync(path.join(root, dir, "package.json"), "utf8")) as { name: string }).name;
}

/** Links `installed`'s entries into `target`; workspace packages point at the copy's folders instead. */
function linkNodeModules(installed: string, target: string, copyRoot: string, workspaces: Map<string, string>, topLevel: boolean): void {
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(installed)) {
    const inScope = [...workspaces.keys()].filter((name) => name.startsWith(`${entry}/`));
    if (!entry.startsWith("@") || inScope.length === 0) {
      if (!workspaces.has(entry)) symlinkSync(path.join(installed, entry), path.join(target, entry));
      continue;
    }
    // A scope holding workspace packages (@media-pipeline): a real folder, so each package can differ.
    mkdirSync(path.join(target, entry), { recursive: true });
    for (const child of readdirSync(path.join(installed, entry))) {
      if (!workspaces.has(`${entry}/${child}`)) symlinkSync(path.join(installed, entry, child), path.join(target, entry, child));
    }
  }
  // npm links every workspace package at the top level; nested folders get only what npm put there.
  for (const [name, dir] of workspaces) {
    if (!topLevel && !existsSync(path.join(installed, name))) continue;
    mkdirSync(path.dirname(path.join(target, name)), { recursive: true });
    symlinkSync(path.relative(path.dirname(path.join(target, name)), path.join(copyRoot, dir)), path.join(target, name));
  }
}

function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

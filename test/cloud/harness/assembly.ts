import { readFileSync } from "node:fs";
import path from "node:path";

/** One stack of a synthesized cloud assembly, with where its assets were staged. */
export interface AssemblyStack {
  stackName: string;
  template: Template;
  /** Asset object key (`<hash>.zip`) → the staged directory, exactly what would be zipped and uploaded. */
  assets: Map<string, string>;
  dependencies: string[];
}

export interface Template {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, { Default?: string }>;
}

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, any>;
  DependsOn?: string | string[];
  Condition?: string;
}

/**
 * Reads a cloud assembly (`manifest.json` + templates + `*.assets.json`) as `cdk deploy` reads it,
 * with the stacks in deployment order (each after the stacks it depends on).
 */
export function readAssembly(dir: string): AssemblyStack[] {
  const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"));
  const artifacts: Record<string, any> = manifest.artifacts ?? {};
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (artifact.type !== "aws:cloudformation:stack") continue;
    const template = JSON.parse(readFileSync(path.join(dir, artifact.properties.templateFile), "utf8")) as Template;
    const assets = new Map<string, string>();
    for (const dep of artifact.dependencies ?? []) {
      const assetArtifact = artifacts[dep];
      if (assetArtifact?.type !== "cdk:asset-manifest") continue;
      const files = JSON.parse(readFileSync(path.join(dir, assetArtifact.properties.file), "utf8")).files ?? {};
      for (const file of Object.values(files) as any[]) {
        if (file.source.packaging !== "zip") continue;
        for (const destination of Object.values(file.destinations) as any[]) {
          assets.set(destination.objectKey, path.join(dir, file.source.path));
        }
      }
    }
    stacks.push({
      stackName: artifact.properties.stackName ?? id,
      template,
      assets,
      dependencies: (artifact.dependencies ?? []).filter((d: string) => artifacts[d]?.type === "aws:cloudformation:stack"),
    });
  }
  // Deployment order: a stack after every stack it depends on.
  const byId = new Map(Object.keys(artifacts).map((id) => [id, artifacts[id]]));
  const ordered: AssemblyStack[] = [];
  const seen = new Set<string>();
  const visit = (s: AssemblyStack) => {
    if (seen.has(s.stackName)) return;
    seen.add(s.stackName);
    for (const d of s.dependencies) {
      const dep = stacks.find((x) => x.stackName === (byId.get(d)?.properties?.stackName ?? d));
      if (dep) visit(dep);
    }
    ordered.push(s);
  };
  stacks.forEach(visit);
  return ordered;
}

/**
 * CloudFormation's intrinsic functions, evaluated the way CloudFormation evaluates them when it
 * deploys a template, so that the harness creates resources from the synthesized templates
 * themselves (names, ARNs, patterns, environment variables) rather than from a hand-written copy.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 */

/** What a deployed resource answers to `Ref` and `Fn::GetAtt`. */
export interface Deployed {
  ref: string;
  attributes: Record<string, string>;
}

export interface Scope {
  stackName: string;
  region: string;
  account: string;
  /** Resources of this stack created so far. */
  resources: Map<string, Deployed>;
  /** Exports of the stacks deployed before this one (Fn::ImportValue). */
  exports: Map<string, string>;
  conditions: Record<string, unknown>;
  parameters: Record<string, string>;
}

export class UnresolvableError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "UnresolvableError";
  }
}

/** Marks a property that `Fn::If` / `AWS::NoValue` removed; dropped from objects and arrays. */
const NO_VALUE = Symbol("AWS::NoValue");

function pseudo(name: string, scope: Scope): string | typeof NO_VALUE {
  switch (name) {
    case "AWS::Region": return scope.region;
    case "AWS::AccountId": return scope.account;
    case "AWS::Partition": return "aws";
    case "AWS::URLSuffix": return "amazonaws.com";
    case "AWS::StackName": return scope.stackName;
    case "AWS::StackId": return `arn:aws:cloudformation:${scope.region}:${scope.account}:stack/${scope.stackName}/00000000-0000-0000-0000-000000000000`;
    case "AWS::NoValue": return NO_VALUE;
    default: throw new UnresolvableError(`unknown pseudo parameter ${name}`);
  }
}

function ref(name: string, scope: Scope): string | typeof NO_VALUE {
  if (name.startsWith("AWS::")) return pseudo(name, scope);
  if (name in scope.parameters) return scope.parameters[name]!;
  const deployed = scope.resources.get(name);
  if (!deployed) throw new UnresolvableError(`Ref to ${name}, which is not deployed (yet) in ${scope.stackName}`);
  return deployed.ref;
}

function getAtt(logicalId: string, attribute: string, scope: Scope): string {
  const deployed = scope.resources.get(logicalId);
  if (!deployed) throw new UnresolvableError(`Fn::GetAtt on ${logicalId}, which is not deployed (yet) in ${scope.stackName}`);
  const value = deployed.attributes[attribute];
  if (value === undefined) throw new UnresolvableError(`${logicalId} has no attribute ${attribute} in the harness`);
  return value;
}

function condition(name: string, scope: Scope): boolean {
  const c = scope.conditions[name];
  if (c === undefined) throw new UnresolvableError(`unknown condition ${name}`);
  return Boolean(resolve(c, scope));
}

function sub(template: string, variables: Record<string, unknown>, scope: Scope): string {
  return template.replace(/\$\{([^}!]+)\}/g, (_, expr: string) => {
    if (expr in variables) return String(resolve(variables[expr], scope));
    const dot = expr.indexOf(".");
    if (dot > 0 && !expr.startsWith("AWS::")) return getAtt(expr.slice(0, dot), expr.slice(dot + 1), scope);
    const value = ref(expr, scope);
    if (value === NO_VALUE) throw new UnresolvableError("AWS::NoValue inside Fn::Sub");
    return value;
  }).replace(/\$\{!/g, "${");
}

/** Resolves every intrinsic in `value`; the result is plain JSON. */
export function resolve(value: unknown, scope: Scope): any {
  const out = resolveInner(value, scope);
  return out === NO_VALUE ? undefined : out;
}

function resolveInner(value: unknown, scope: Scope): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveInner(v, scope)).filter((v) => v !== NO_VALUE);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, arg] = entries[0]!;
    const a = arg as any;
    switch (key) {
      case "Ref": return ref(a as string, scope);
      case "Fn::GetAtt": {
        const [id, attr] = Array.isArray(a) ? a : String(a).split(/\.(.*)/s);
        return getAtt(id, resolve(attr, scope), scope);
      }
      case "Fn::Join": return (resolve(a[1], scope) as unknown[]).join(a[0]);
      case "Fn::Sub": return Array.isArray(a) ? sub(a[0], a[1] ?? {}, scope) : sub(a, {}, scope);
      case "Fn::Select": return (resolve(a[1], scope) as unknown[])[Number(resolve(a[0], scope))];
      case "Fn::Split": return String(resolve(a[1], scope)).split(a[0]);
      case "Fn::ImportValue": {
        const name = resolve(a, scope) as string;
        const exported = scope.exports.get(name);
        if (exported === undefined) throw new UnresolvableError(`Fn::ImportValue ${name}: no stack exports it`);
        return exported;
      }
      case "Fn::GetAZs": return ["a", "b", "c"].map((z) => `${scope.region}${z}`);
      case "Fn::Base64": return Buffer.from(String(resolve(a, scope))).toString("base64");
      case "Fn::If": return condition(a[0], scope) ? resolveInner(a[1], scope) : resolveInner(a[2], scope);
      case "Fn::Equals": return JSON.stringify(resolve(a[0], scope)) === JSON.stringify(resolve(a[1], scope));
      case "Fn::Not": return !resolve(a[0], scope);
      case "Fn::And": return (a as unknown[]).every((c) => resolve(c, scope));
      case "Fn::Or": return (a as unknown[]).some((c) => resolve(c, scope));
      case "Condition": return condition(a, scope);
      default:
        if (key.startsWith("Fn::")) throw new UnresolvableError(`intrinsic ${key} is not supported by the harness`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    const r = resolveInner(v, scope);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

/** Logical ids a resource depends on: DependsOn, Ref and Fn::GetAtt (and `${X}` in Fn::Sub). */
export function dependenciesOf(resource: Record<string, unknown>): Set<string> {
  const deps = new Set<string>([resource.DependsOn ?? []].flat() as string[]);
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== "object") return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === "Ref" && typeof x === "string" && !x.startsWith("AWS::")) deps.add(x);
      else if (k === "Fn::GetAtt") deps.add(Array.isArray(x) ? String(x[0]) : String(x).split(".")[0]!);
      else if (k === "Fn::Sub") {
        const template = Array.isArray(x) ? x[0] : x;
        for (const m of String(template).matchAll(/\$\{([^}.!]+)[^}]*\}/g)) if (!m[1]!.startsWith("AWS::")) deps.add(m[1]!);
        if (Array.isArray(x)) walk(x[1]);
      } else walk(x);
    }
  };
  walk(resource.Properties);
  walk(resource.Condition ? [] : []);
  return deps;
}

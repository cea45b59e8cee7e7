/**
 * A small Liquid renderer for the A2I task template: the subset it uses (`{{ a.b | filter: arg }}`,
 * `{% if %}` / `{% elsif %}` / `{% else %}` / `{% endif %}`, `{% for x in list %}` / `{% endfor %}`),
 * with Liquid's rules where they matter (only nil and false are falsy; output of nil is empty).
 * Filters are passed in, so a test supplies A2I's `grant_read_access` as it likes. Anything else in a
 * tag is an error, so a template that starts using more Liquid fails its test instead of rendering wrong.
 */

export type LiquidFilter = (value: unknown, ...args: unknown[]) => unknown;

type Node =
  | { kind: "text"; text: string }
  | { kind: "output"; expr: string }
  | { kind: "if"; branches: Array<{ cond: string | undefined; body: Node[] }> }
  | { kind: "for"; name: string; list: string; body: Node[] };

const TOKEN = /\{\{([\s\S]*?)\}\}|\{%-?([\s\S]*?)-?%\}/g;

function parse(template: string): Node[] {
  const root: Node[] = [];
  const stack: Array<{ node: Extract<Node, { kind: "if" | "for" }>; body: Node[] }> = [];
  const current = () => stack.at(-1)?.body ?? root;
  let last = 0;
  for (const m of template.matchAll(TOKEN)) {
    if (m.index > last) current().push({ kind: "text", text: template.slice(last, m.index) });
    last = m.index + m[0].length;
    if (m[1] !== undefined) {
      current().push({ kind: "output", expr: m[1].trim() });
      continue;
    }
    const [tag = "", ...rest] = m[2]!.trim().split(/\s+/);
    const arg = rest.join(" ");
    const top = stack.at(-1);
    if (tag === "if") {
      const node: Node = { kind: "if", branches: [{ cond: arg, body: [] }] };
      current().push(node);
      stack.push({ node, body: node.branches[0]!.body });
    } else if ((tag === "elsif" || tag === "else") && top?.node.kind === "if") {
      const branch = { cond: tag === "else" ? undefined : arg, body: [] as Node[] };
      top.node.branches.push(branch);
      top.body = branch.body;
    } else if (tag === "for") {
      const f = /^([A-Za-z_]\w*) in (\S+)$/.exec(arg);
      if (!f) throw new Error(`unsupported for: ${arg}`);
      const node: Node = { kind: "for", name: f[1]!, list: f[2]!, body: [] };
      current().push(node);
      stack.push({ node, body: node.body });
    } else if ((tag === "endif" && top?.node.kind === "if") || (tag === "endfor" && top?.node.kind === "for")) {
      stack.pop();
    } else {
      throw new Error(`unsupported or misplaced Liquid tag: {% ${m[2]!.trim()} %}`);
    }
  }
  if (stack.length) throw new Error(`unclosed {% ${stack.at(-1)!.node.kind} %}`);
  if (last < template.length) root.push({ kind: "text", text: template.slice(last) });
  return root;
}

function lookup(path: string, scope: Record<string, unknown>): unknown {
  if (/^-?\d+(\.\d+)?$/.test(path)) return Number(path);
  const quoted = /^"(.*)"$|^'(.*)'$/.exec(path);
  if (quoted) return quoted[1] ?? quoted[2];
  return path.split(".").reduce<unknown>((v, key) => (v == null ? undefined : (v as Record<string, unknown>)[key]), scope);
}

function evaluate(expr: string, scope: Record<string, unknown>, filters: Record<string, LiquidFilter>): unknown {
  const [head = "", ...pipes] = expr.split("|").map((s) => s.trim());
  return pipes.reduce((value, pipe) => {
    const [name = "", args = ""] = pipe.split(/:(.*)/s).map((s) => s.trim());
    const filter = filters[name];
    if (!filter) throw new Error(`unknown Liquid filter: ${name}`);
    return filter(value, ...(args ? args.split(",").map((a) => lookup(a.trim(), scope)) : []));
  }, lookup(head, scope));
}

function render(nodes: Node[], scope: Record<string, unknown>, filters: Record<string, LiquidFilter>): string {
  let out = "";
  for (const node of nodes) {
    if (node.kind === "text") out += node.text;
    else if (node.kind === "output") out += String(evaluate(node.expr, scope, filters) ?? "");
    else if (node.kind === "if") {
      const branch = node.branches.find((b) => {
        if (b.cond === undefined) return true;
        const v = evaluate(b.cond, scope, filters);
        return v !== undefined && v !== null && v !== false;
      });
      if (branch) out += render(branch.body, scope, filters);
    } else {
      const list = evaluate(node.list, scope, filters);
      for (const item of Array.isArray(list) ? list : []) out += render(node.body, { ...scope, [node.name]: item }, filters);
    }
  }
  return out;
}

const escapeHtml = (v: unknown) =>
  String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Liquid's standard filters the task template uses. */
export const STANDARD_FILTERS: Record<string, LiquidFilter> = {
  escape: escapeHtml,
  size: (v) => (Array.isArray(v) || typeof v === "string" ? v.length : 0),
  round: (v, digits = 0) => {
    const f = 10 ** Number(digits);
    return Math.round(Number(v) * f) / f;
  },
};

/**
 * Renders a template against `scope` (A2I's is `{ task: { input } }`).
 * @example renderLiquid("{{ task.input.id | escape }}", { task: { input: { id: "<a>" } } }) // "&lt;a&gt;"
 */
export function renderLiquid(template: string, scope: Record<string, unknown>, filters: Record<string, LiquidFilter> = {}): string {
  return render(parse(template), scope, { ...STANDARD_FILTERS, ...filters });
}

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/*
 * The store owns the database: every SQL statement, pragma and transaction of packages/local lives
 * under src/store/, and the CLI, server and runtime call its methods. This reads the product code
 * (tests aside) as TypeScript, so a `.exec(` of a regular expression, or one inside a string of
 * browser code, is not mistaken for SQL.
 */

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const STORE = path.join(SRC, "store");

/** Methods of a better-sqlite3 connection that run SQL or change the connection. */
const DB_METHODS = new Set(["prepare", "exec", "pragma", "transaction"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name) ? [full] : [];
  });
}

/** Names bound to a regular expression in the file (`const TIMED_LINE = /…/`): their `.exec(` is not SQL. */
function regexNames(file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const init = node.initializer;
      if (ts.isRegularExpressionLiteral(init) || (ts.isNewExpression(init) && init.expression.getText(file) === "RegExp")) names.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return names;
}

/** Where the file touches a database: a connection method called, better-sqlite3 imported, or a runtime's `db` read. */
function databaseUses(fileName: string, text: string): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const regexes = regexNames(file);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) => found.push(`${fileName}:${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}: ${what}`);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && DB_METHODS.has(node.expression.name.text)) {
      const receiver = node.expression.expression;
      const isRegex = ts.isRegularExpressionLiteral(receiver) || (ts.isIdentifier(receiver) && regexes.has(receiver.text));
      if (!(node.expression.name.text === "exec" && isRegex)) at(node, `.${node.expression.name.text}(`);
    }
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && node.moduleSpecifier.text === "better-sqlite3") {
      at(node, "imports better-sqlite3");
    }
    if (ts.isPropertyAccessExpression(node) && node.name.text === "db" && /\b(runtime|rt)$/.test(node.expression.getText(file))) {
      at(node, `${node.getText(file)} (the runtime's connection)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe("the store's boundary", () => {
  it("holds every SQL statement, pragma and transaction of the package: nothing outside src/store touches the connection", () => {
    const outside = sourceFiles(SRC).filter((f) => !f.startsWith(STORE + path.sep));
    expect(outside.length).toBeGreaterThan(50);
    const uses = outside.flatMap((f) => databaseUses(path.relative(SRC, f), readFileSync(f, "utf8")));
    expect(uses).toEqual([]);
  });

  it("tells a connection's calls from a regular expression's exec and from text in strings", () => {
    const text = [
      'import Database from "better-sqlite3";',
      "const WORD = /\\w+/g;",
      'db.prepare("SELECT 1").get();',
      'runtime.db.exec("DELETE FROM media");',
      'this.db.pragma("user_version");',
      "store.db.transaction(() => 1)();",
      'WORD.exec("a b");',
      '/x/.exec("x");',
      'const script = `db.prepare("in a string")`;',
    ].join("\n");
    expect(databaseUses("x.ts", text)).toEqual([
      "x.ts:1: imports better-sqlite3",
      "x.ts:3: .prepare(",
      "x.ts:4: .exec(",
      "x.ts:4: runtime.db (the runtime's connection)",
      "x.ts:5: .pragma(",
      "x.ts:6: .transaction(",
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { MAX_QUERY_CHARS, parseQuery, SearchQueryError } from "./query.js";

describe("parseQuery", () => {
  it("ANDs plain words, keeps a quoted phrase whole and sends a trailing * to the prefix index", () => {
    const q = parseQuery('budget "next year" hir*');
    expect(q.terms).toEqual([
      { text: "budget", phrase: false, prefix: false },
      { text: "next year", phrase: true, prefix: false },
      { text: "hir", phrase: false, prefix: true },
    ]);
    expect(q.stemmed).toBe('"budget" "next year"');
    expect(q.prefix).toBe('"hir"*');
  });

  it("writes every term as an FTS5 string literal, so operators, columns and parentheses are only text", () => {
    expect(parseQuery("budget OR NOT zebra").stemmed).toBe('"budget" "OR" "NOT" "zebra"');
    expect(parseQuery("NEAR(budget year, 2)").stemmed).toBe('"NEAR(budget" "year," "2)"');
    expect(parseQuery("text:budget -secret ^start +plus").stemmed).toBe('"text:budget" "-secret" "^start" "+plus"');
    expect(parseQuery("'; DROP TABLE search_entries; --").stemmed).toBe('"DROP" "TABLE" "search_entries;"');
  });

  it("drops terms with no letter or digit, and a * with nothing before it", () => {
    for (const input of ["*", "-", '""', '"', "()", "* * *", "\"*\"*", "   ", "^", ":", "…", "🙂"]) {
      const q = parseQuery(input);
      expect(q, input).toEqual({ terms: [], stemmed: null, prefix: null });
    }
    expect(parseQuery("budget *").stemmed).toBe('"budget"');
  });

  it("runs an unclosed quote to the end as a phrase, and a * after a closing quote makes a phrase prefix", () => {
    expect(parseQuery('"next ye').terms).toEqual([{ text: "next ye", phrase: true, prefix: false }]);
    expect(parseQuery('"next ye"*').prefix).toBe('"next ye"*');
    expect(parseQuery('a"b').terms.map((t) => t.text)).toEqual(["a", "b"]);
  });

  it("takes control characters as spaces and repeats once", () => {
    expect(parseQuery("bud\u0000get\u0002 budget budget").terms.map((t) => t.text)).toEqual(["bud", "get", "budget"]);
  });

  it("refuses a query too long to be a search", () => {
    expect(() => parseQuery("a".repeat(MAX_QUERY_CHARS + 1))).toThrow(SearchQueryError);
    expect(() => parseQuery(Array.from({ length: 40 }, (_, i) => `w${i}`).join(" "))).toThrow(/at most 32 terms/);
  });
});

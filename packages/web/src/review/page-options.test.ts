import { describe, expect, it } from "vitest";
import { renderReviewPage, reviewPageHeaders } from "./page.js";

/*
 * The review page's options and headers, without a browser: the local page stays as it was, the
 * cloud's carries its sign-in in a config block no text can break out of, and the content security
 * policy opens exactly the origins the options name. page.test.ts and test/review-page-cognito.test.ts
 * run the page itself.
 */

const LOCAL_CSP = "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'none'";
const COGNITO = { kind: "cognito" as const, endpoint: "https://cognito-idp.us-east-1.amazonaws.com/", clientId: "5abc123client" };
const BUCKET = "https://media-bucket.s3.us-east-1.amazonaws.com";

/** The config block's text, as the page's script reads it. */
function configOf(html: string): string | undefined {
  return /<script type="application\/json" id="page-config">([^]*?)<\/script>/.exec(html)?.[1];
}

/** The policy's directives by name. */
function directives(csp: string): Record<string, string[]> {
  return Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

describe("renderReviewPage", () => {
  it("renders the local page without options: no config block, one script", () => {
    const html = renderReviewPage();
    expect(configOf(html)).toBeUndefined();
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('id="main"');
  });

  it("tells the script the Cognito sign-in in a JSON config block", () => {
    const html = renderReviewPage({ signIn: COGNITO, media: [BUCKET] });
    expect(JSON.parse(configOf(html)!)).toEqual({ signIn: COGNITO });
    // The config block comes before the script that reads it.
    expect(html.indexOf('id="page-config"')).toBeLessThan(html.lastIndexOf("<script>"));
  });

  it("signs in with a pasted token when the options name no sign-in", () => {
    expect(JSON.parse(configOf(renderReviewPage({ media: [BUCKET] }))!)).toEqual({ signIn: { kind: "token" } });
  });

  it("escapes the config so no text in it can close the script element or open another", () => {
    const hint = `</script><script>alert(1)</script><!-- & </SCRIPT > "quoted"`;
    const html = renderReviewPage({ signIn: { kind: "token", hint } });
    const text = configOf(html)!;
    expect(text).not.toMatch(/[<>&]/);
    expect(JSON.parse(text)).toEqual({ signIn: { kind: "token", hint } });
    // Two script elements: the config block and the page's own; nothing the hint said became one.
    expect(html.match(/<script/gi)).toHaveLength(2);
    expect(html.match(/<\/script>/gi)).toHaveLength(2);
  });

  it("refuses a Cognito endpoint that is not an http(s) URL, and a missing client id", () => {
    expect(() => renderReviewPage({ signIn: { ...COGNITO, endpoint: "cognito-idp.us-east-1.amazonaws.com" } })).toThrow(/not a URL/);
    expect(() => renderReviewPage({ signIn: { ...COGNITO, endpoint: "javascript:alert(1)" } })).toThrow(/http\(s\) URL/);
    expect(() => renderReviewPage({ signIn: { ...COGNITO, clientId: "" } })).toThrow(/client's id/);
  });
});

describe("reviewPageHeaders", () => {
  it("sends the local server's headers and policy without options", () => {
    expect(reviewPageHeaders()).toEqual({
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": LOCAL_CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    });
  });

  it("lets the page reach Cognito and load media from the bucket, and nothing else", () => {
    const headers = reviewPageHeaders({ signIn: COGNITO, media: [BUCKET, `${BUCKET}/media/x.mp4?X-Amz-Signature=abc`] });
    expect(headers).toMatchObject({ "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" });
    expect(directives(headers["content-security-policy"]!)).toEqual({
      "default-src": ["'self'"],
      "connect-src": ["'self'", "https://cognito-idp.us-east-1.amazonaws.com"],
      // A media URL counts by its origin, once.
      "img-src": ["'self'", "data:", BUCKET],
      "media-src": ["'self'", BUCKET],
      "style-src": ["'unsafe-inline'"],
      "script-src": ["'unsafe-inline'"],
      "frame-ancestors": ["'none'"],
      "form-action": ["'none'"],
    });
  });

  it("opens an emulator's loopback origin the same way", () => {
    const csp = directives(reviewPageHeaders({ signIn: { ...COGNITO, endpoint: "http://127.0.0.1:5123/" }, media: ["http://127.0.0.1:5123"] })["content-security-policy"]!);
    expect(csp["connect-src"]).toEqual(["'self'", "http://127.0.0.1:5123"]);
    expect(csp["media-src"]).toEqual(["'self'", "http://127.0.0.1:5123"]);
  });

  it("lets a pasted-token page reach only its own origin", () => {
    const csp = directives(reviewPageHeaders({ signIn: { kind: "token", hint: "Ask the admin" }, media: [BUCKET] })["content-security-policy"]!);
    expect(csp["connect-src"]).toEqual(["'self'"]);
    expect(csp["img-src"]).toEqual(["'self'", "data:", BUCKET]);
  });

  it("refuses a media origin that would put other text into the policy", () => {
    expect(() => reviewPageHeaders({ media: ["https://bucket.example; script-src *"] })).toThrow(/not a URL/);
    expect(() => reviewPageHeaders({ media: ["*"] })).toThrow(/not a URL/);
    expect(() => reviewPageHeaders({ media: ["data:text/html,x"] })).toThrow(/http\(s\) URL/);
  });
});

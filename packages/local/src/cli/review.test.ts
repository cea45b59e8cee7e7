import { describe, expect, it } from "vitest";
import { buildVerdict, chooseBackend, parseSegmentSpec, parseSegmentSpecs, ReviewCommandError, reviewerName } from "./review.js";
import { clean, formatTime } from "./review-format.js";

/** Runs `fn` and returns the ReviewCommandError it throws (failing if it throws anything else or nothing). */
function refusal(fn: () => unknown): ReviewCommandError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ReviewCommandError);
    return error as ReviewCommandError;
  }
  throw new Error("expected a ReviewCommandError");
}

describe("parseSegmentSpec", () => {
  it("reads index=outcome for each outcome", () => {
    expect(parseSegmentSpec("0=confirmed")).toEqual({ index: 0, outcome: "confirmed" });
    expect(parseSegmentSpec("12=false-positive")).toEqual({ index: 12, outcome: "false-positive" });
    expect(parseSegmentSpec(" 3 = Confirmed ")).toEqual({ index: 3, outcome: "confirmed" });
  });

  it("takes everything after the first colon as the corrected category", () => {
    expect(parseSegmentSpec("1=wrong-category:Suggestive")).toEqual({ index: 1, outcome: "wrong-category", category: "Suggestive" });
    expect(parseSegmentSpec("2=wrong-category: Violence: Graphic ")).toEqual({ index: 2, outcome: "wrong-category", category: "Violence: Graphic" });
  });

  it.each([
    ["confirmed", /no "=" between/],
    ["x=confirmed", /index must be a whole number from 0, got "x"/],
    ["-1=confirmed", /index must be a whole number from 0, got "-1"/],
    ["1.5=confirmed", /got "1.5"/],
    ["=confirmed", /got ""/],
    ["0=maybe", /unknown outcome "maybe": use confirmed, false-positive or wrong-category/],
    ["0=", /unknown outcome ""/],
    ["1=wrong-category", /wrong-category needs the right category, e.g. 1=wrong-category:Suggestive/],
    ["1=wrong-category:  ", /wrong-category needs the right category/],
    ["0=confirmed:Explicit", /a category goes only with wrong-category \(confirmed takes none\)/],
  ])("refuses %j as a usage error that quotes it", (spec, reason) => {
    const e = refusal(() => parseSegmentSpec(spec));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`--segment "${spec}"`);
    expect(e.message).toMatch(reason);
  });

  it("refuses a category longer than the contract allows", () => {
    expect(refusal(() => parseSegmentSpec(`0=wrong-category:${"x".repeat(201)}`)).message).toMatch(/longer than 200/);
  });
});

describe("parseSegmentSpecs", () => {
  it("keeps the order given and refuses one index answered twice", () => {
    expect(parseSegmentSpecs(["1=confirmed", "0=false-positive"]).map((s) => s.index)).toEqual([1, 0]);
    const e = refusal(() => parseSegmentSpecs(["0=confirmed", "0=false-positive"]));
    expect(e).toMatchObject({ exitCode: 2 });
    expect(e.message).toContain("segment 0 is answered by more than one --segment");
  });
});

describe("buildVerdict", () => {
  it("builds the contract's verdict, leaving out what was not given", () => {
    expect(buildVerdict({ verdict: "approved" })).toEqual({ verdict: "approved" });
    expect(buildVerdict({ verdict: "rejected", segments: ["0=confirmed", "1=wrong-category:Suggestive"], comment: "  too much  " })).toEqual({
      verdict: "rejected",
      segments: [{ index: 0, outcome: "confirmed" }, { index: 1, outcome: "wrong-category", category: "Suggestive" }],
      comment: "too much",
    });
    expect(buildVerdict({ verdict: "approved", comment: "   " })).toEqual({ verdict: "approved" });
  });

  it("refuses an unknown verdict and an over-long comment, naming the flag", () => {
    expect(refusal(() => buildVerdict({ verdict: "maybe" })).message).toMatch(/^--verdict: /);
    const e = refusal(() => buildVerdict({ verdict: "approved", comment: "x".repeat(4001) }));
    expect(e).toMatchObject({ exitCode: 2 });
    expect(e.message).toMatch(/^--comment: /);
  });
});

describe("reviewerName", () => {
  it("uses --as, else the OS user", () => {
    expect(reviewerName("carol", () => "root")).toBe("carol");
    expect(reviewerName(undefined, () => "alice.b")).toBe("alice.b");
  });

  it("asks for --as when the OS cannot say, and refuses a name an audit log should not hold", () => {
    expect(refusal(() => reviewerName(undefined, () => { throw new Error("no passwd entry"); })).message).toContain("pass --as");
    for (const bad of ["", "two words", "-dash", "x".repeat(65), "evil\u001b[2J"]) {
      expect(refusal(() => reviewerName(bad, () => "root")).exitCode, bad).toBe(2);
    }
    expect(refusal(() => reviewerName(undefined, () => "John Doe")).message).toMatch(/OS user name "John Doe" cannot be used .*pass --as/);
  });
});

describe("chooseBackend", () => {
  const TOKEN = "s3cret-reviewer-token-value";

  it("uses the data dir unless --server or MEDIA_PIPELINE_SERVER is given, and --data-dir beats the environment", () => {
    expect(chooseBackend({ dataDir: "/tmp/x" }, {}).kind).toBe("data-dir");
    expect(chooseBackend({ dataDir: "/tmp/x" }, { MEDIA_PIPELINE_SERVER: "http://127.0.0.1:1" }).kind).toBe("data-dir");
    const viaEnv = chooseBackend({}, { MEDIA_PIPELINE_SERVER: "http://127.0.0.1:8787/review", MEDIA_PIPELINE_REVIEWER_TOKEN: TOKEN });
    expect(viaEnv).toMatchObject({ kind: "server", origin: "http://127.0.0.1:8787" });
    expect(chooseBackend({ server: "https://review.example" }, { MEDIA_PIPELINE_REVIEWER_TOKEN: TOKEN }).kind).toBe("server");
  });

  it("refuses --server with --data-dir, a URL that is not http(s), and a missing token, never echoing the token", () => {
    expect(refusal(() => chooseBackend({ server: "http://a", dataDir: "b" }, {})).message).toContain("not both");
    const badUrl = refusal(() => chooseBackend({ server: "ftp://x" }, { MEDIA_PIPELINE_REVIEWER_TOKEN: TOKEN }));
    expect(badUrl).toMatchObject({ exitCode: 2 });
    expect(badUrl.message).toContain("--server must be the server's http(s) URL");
    expect(refusal(() => chooseBackend({}, { MEDIA_PIPELINE_SERVER: "nonsense", MEDIA_PIPELINE_REVIEWER_TOKEN: TOKEN })).message).toContain("MEDIA_PIPELINE_SERVER must be");
    const noToken = refusal(() => chooseBackend({ server: "http://127.0.0.1:8787" }, { MEDIA_PIPELINE_REVIEWER_TOKEN: "  " }));
    expect(noToken).toMatchObject({ exitCode: 2 });
    expect(noToken.message).toContain("MEDIA_PIPELINE_REVIEWER_TOKEN is not set");
    expect(badUrl.message).not.toContain(TOKEN);
  });
});

describe("formatting", () => {
  it("writes times as mm:ss.s", () => {
    expect(formatTime(0)).toBe("00:00.0");
    expect(formatTime(12_340)).toBe("00:12.3");
    expect(formatTime(59_960)).toBe("01:00.0");
    expect(formatTime(75 * 60_000 + 3_200)).toBe("75:03.2");
  });

  it("strips control and bidi characters from text it did not write", () => {
    expect(clean("clip\u001b[2J\u202e.mp4")).toBe("clip?[2J?.mp4");
    expect(clean(null)).toBe("");
  });
});

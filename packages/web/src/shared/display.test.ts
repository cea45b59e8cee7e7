import { describe, expect, it } from "vitest";
import { clock, humanize, pct } from "./display.js";

describe("display helpers shared by the report and the review page", () => {
  it("shows media positions padded for the report and short for the player, with hours past an hour", () => {
    expect(clock(21_400)).toBe("00:21");
    expect(clock(21_400, "short")).toBe("0:21");
    expect(clock(754_000, "short")).toBe("12:34");
    expect(clock(3_723_000)).toBe("1:02:03");
    expect(clock(3_723_000, "short")).toBe("1:02:03");
    expect(clock(-5)).toBe("00:00");
  });

  it("shows a confidence with a decimal only when it has one", () => {
    expect(pct(62.4)).toBe("62.4%");
    expect(pct(90)).toBe("90%");
    expect(pct(89.96)).toBe("90%");
  });

  it("turns slugs and enum values into labels, and nothing into nothing", () => {
    expect(humanize("completed-with-failures")).toBe("Completed with failures");
    expect(humanize("false_positive")).toBe("False positive");
    expect(humanize(null)).toBe("");
  });
});

import { describe, expect, it } from "vitest";
import { parseLanguages, parseTesseractVersion, resolveTesseract, TextEngineError } from "./tesseract.js";

describe("tesseract binary", () => {
  it("reads the version and Leptonica's from --version (5.x prints on stdout, 4.x on stderr)", () => {
    expect(parseTesseractVersion("tesseract 5.3.0\n leptonica-1.82.0\n  libgif 5.2.1 : libjpeg 6b\n")).toEqual({ version: "5.3.0", leptonica: "1.82.0" });
    expect(parseTesseractVersion("tesseract v5.5.0.20241111\n leptonica-1.85.0\n")).toEqual({ version: "5.5.0.20241111", leptonica: "1.85.0" });
    expect(parseTesseractVersion("something else")).toEqual({ version: "unknown", leptonica: "unknown" });
  });

  it("reads the installed languages from --list-langs", () => {
    expect(parseLanguages('List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (2):\neng\nosd\n')).toEqual(["eng", "osd"]);
  });

  it("finds Debian's tesseract with its English model", async () => {
    const binary = await resolveTesseract();
    expect(binary.version).toMatch(/^\d+\.\d+/);
    expect(binary.languages).toContain("eng");
  });

  it("says how to install it when it is not on PATH", async () => {
    const missing = resolveTesseract({ env: { PATH: "/nonexistent" } });
    await expect(missing).rejects.toBeInstanceOf(TextEngineError);
    await expect(missing).rejects.toThrow(/apt-get install tesseract-ocr tesseract-ocr-eng/);
  });
});

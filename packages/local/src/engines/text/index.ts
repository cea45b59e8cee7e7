// Text in video (OCR) for the local runtime: the detector, and what it reports.
export { createTextDetector, REPORT_FLOOR, TEXT_CONSUMER, type TextDetectorOptions } from "./detector.js";
export { resolveTesseract, TextEngineError, type TesseractBinary } from "./tesseract.js";
export { stopTextPrepThread } from "./prep-thread.js";
export { REGION_SETTINGS } from "./regions.js";

/**
 * The pages' browser assets: each page's script and stylesheet, bundled by esbuild from src/browser
 * (scripts/build-assets.mjs writes them to generated/assets.ts before anything compiles or bundles this
 * package). The renderers inline them, so each page is one document that loads nothing from elsewhere.
 */
export { REPORT_SCRIPT, REPORT_STYLES, REVIEW_SCRIPT, REVIEW_STYLES } from "./generated/assets.js";

export { renderReportHtml, type RenderOptions } from "./report/html.js";
export { renderReviewPage, reviewPageHeaders, type ReviewPageOptions, type ReviewSignIn } from "./review/page.js";

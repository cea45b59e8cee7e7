export { renderReportHtml, type RenderOptions } from "./report/html.js";
export { renderReviewPage } from "./review/page.js";

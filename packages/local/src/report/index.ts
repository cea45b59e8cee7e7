export { renderReportHtml, type RenderOptions } from "./html.js";

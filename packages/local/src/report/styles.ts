/** The page's stylesheet, inlined so the report opens offline with no requests. */
export const REPORT_STYLES = `
:root {
  --bg: #f4f5f8; --card: #fff; --ink: #0f172a; --ink-2: #334155; --muted: #64748b; --line: #e5e7eb;
  --soft: #f1f5f9; --accent: #4f46e5; --accent-soft: #eef2ff;
  --good: #166534; --good-bg: #dcfce7; --warn: #92400e; --warn-bg: #fef3c7; --bad: #991b1b; --bad-bg: #fee2e2;
  --review: #f59e0b; --flagged: #dc2626;
  --radius: 14px;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "DejaVu Sans", Arial, sans-serif;
}
code, .ver { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .86em; }
.wrap { max-width: 1120px; margin: 0 auto; padding: 0 28px; }
.muted { color: var(--muted); }
.num, .time { font-variant-numeric: tabular-nums; }
.time { color: var(--ink-2); white-space: nowrap; }
[id] { scroll-margin-top: 72px; }

/* Header */
.hero { background: linear-gradient(180deg, #fff 0%, #fafbff 100%); border-bottom: 1px solid var(--line); padding: 34px 0 22px; }
.eyebrow { display: flex; align-items: center; gap: 8px; color: var(--accent); font-size: 12px; font-weight: 700; letter-spacing: .08em; text-transform: uppercase; }
.kind-icon { display: inline-grid; place-items: center; width: 22px; height: 22px; border-radius: 6px; background: var(--accent-soft); font-size: 11px; letter-spacing: 0; }
.hero h1 { margin: 10px 0 14px; font-size: 30px; line-height: 1.2; letter-spacing: -.015em; overflow-wrap: anywhere; }
.badges { display: flex; flex-wrap: wrap; gap: 8px; }
.failed-line { margin: 12px 0 0; color: var(--bad); font-size: 14px; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 1px; margin: 22px 0 0; background: var(--line); border: 1px solid var(--line); border-radius: 12px; overflow: hidden; }
.facts > div { background: #fff; padding: 12px 16px; min-width: 0; }
.facts dt { color: var(--muted); font-size: 11.5px; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; }
.facts dd { margin: 2px 0 0; font-weight: 600; overflow-wrap: anywhere; }
.ids { margin: 14px 0 0; color: var(--muted); font-size: 12.5px; overflow-wrap: anywhere; }

/* Section nav */
.toc { position: sticky; top: 0; z-index: 10; background: rgba(255,255,255,.9); backdrop-filter: saturate(1.4) blur(8px); border-bottom: 1px solid var(--line); }
.toc .wrap { display: flex; gap: 4px; overflow-x: auto; scrollbar-width: none; }
.toc a { flex: none; padding: 12px 12px; color: var(--ink-2); font-size: 14px; font-weight: 500; text-decoration: none; border-bottom: 2px solid transparent; }
.toc a:hover { color: var(--accent); border-bottom-color: var(--accent); }

/* Cards */
main { padding: 8px 0 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: 22px 24px; margin: 20px 0; box-shadow: 0 1px 2px rgba(15,23,42,.04), 0 4px 16px -8px rgba(15,23,42,.06); }
.card-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 14px; margin-bottom: 16px; }
.card-head h2 { margin: 0; font-size: 19px; letter-spacing: -.01em; display: flex; align-items: center; gap: 8px; }
.card-head p { margin: 0; font-size: 13.5px; }
.count { font-size: 12px; font-weight: 600; color: var(--muted); background: var(--soft); border-radius: 999px; padding: 1px 8px; }
.na { margin: 0; padding: 14px 16px; border: 1px dashed #cbd5e1; border-radius: 10px; color: var(--muted); background: #fafbfc; }
.nothing { margin: 0; color: var(--muted); }
.problem { margin: 0 0 14px; padding: 12px 16px; border: 1px solid #fecaca; background: #fef2f2; color: var(--bad); border-radius: 10px; font-size: 14px; overflow-wrap: anywhere; }
.problem.pending { border-color: #fde68a; background: #fffbeb; color: var(--warn); }
.problem:last-child { margin-bottom: 0; }

/* Badges and chips */
.badge { display: inline-flex; align-items: center; gap: 6px; padding: 3px 11px; border-radius: 999px; font-size: 12.5px; font-weight: 600; white-space: nowrap; }
.badge::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: currentColor; opacity: .85; }
.badge.good { color: var(--good); background: var(--good-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.neutral { color: #475569; background: var(--soft); }
.badge.info { color: #3730a3; background: #e0e7ff; }
.chip { display: inline-block; margin: 2px 4px 2px 0; padding: 1px 9px; border-radius: 999px; background: var(--soft); color: var(--ink-2); font-size: 12.5px; }
.chip.small { font-size: 11.5px; padding: 0 7px; color: var(--muted); }
.chip.warn { background: var(--warn-bg); color: var(--warn); }
.chip.spk { background: color-mix(in srgb, var(--c) 10%, #fff); color: var(--c); font-weight: 600; }

/* Timeline */
.tl { position: relative; }
.tl-row { display: grid; grid-template-columns: 108px 1fr; gap: 12px; align-items: center; margin: 8px 0; }
.tl-name { color: var(--muted); font-size: 11.5px; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; }
.tl-track { position: relative; height: 26px; background: var(--soft); border-radius: 6px; }
.tl-shots .tl-track { height: 62px; overflow: hidden; border-radius: 8px; background: #e2e8f0; }
.tl-track > a { position: absolute; top: 0; bottom: 0; display: block; text-decoration: none; }
.tl-shot { background: #cbd5e1; border-right: 2px solid #fff; overflow: hidden; }
.tl-shot img { width: 100%; height: 100%; object-fit: cover; display: block; transition: transform .2s; }
.tl-shot:hover img { transform: scale(1.06); }
.tl-shot-n { position: absolute; left: 5px; bottom: 4px; padding: 0 6px; border-radius: 5px; background: rgba(15,23,42,.72); color: #fff; font-size: 11px; font-weight: 600; line-height: 17px; }
.tl-track > .tl-band { top: 3px; bottom: 3px; border-radius: 4px; }
.tl-band.review { background: var(--review); background-image: repeating-linear-gradient(135deg, rgba(255,255,255,.25) 0 6px, transparent 6px 12px); }
.tl-band.flagged { background: var(--flagged); }
.tl-track > .tl-turn { top: 5px; bottom: 5px; border-radius: 3px; background: var(--c); }
.tl-scene { background: #e0e7ff; border-left: 2px solid #6366f1; color: #3730a3; font-size: 11.5px; font-weight: 600; overflow: hidden; white-space: nowrap; padding-left: 7px; line-height: 26px; }
.tl-scene:nth-child(even) { background: #ede9fe; border-left-color: #8b5cf6; color: #5b21b6; }
.tl-track > a:hover, .tl-track > a:focus-visible { outline: 2px solid var(--ink); outline-offset: 1px; z-index: 2; }
.tl-empty { position: absolute; left: 10px; top: 50%; transform: translateY(-50%); color: var(--muted); font-size: 12.5px; font-style: italic; white-space: nowrap; }
.tl-axis { margin-top: 2px; }
.tl-axis .tl-track { height: 18px; background: none; border-top: 1px solid var(--line); border-radius: 0; }
.tick { position: absolute; top: 3px; transform: translateX(-50%); color: var(--muted); font-size: 11px; font-variant-numeric: tabular-nums; }
.tick:first-child { transform: none; }
.tick.end { transform: translateX(-100%); }
.tl-cursor { position: absolute; top: 0; bottom: 0; width: 1px; background: var(--ink); opacity: 0; pointer-events: none; z-index: 3; transition: opacity .1s; }
.tl-cursor.on { opacity: .55; }
.tl-cursor span { position: absolute; bottom: 0; left: 0; transform: translateX(-50%); background: var(--ink); color: #fff; font-size: 11px; padding: 0 5px; border-radius: 4px; line-height: 17px; font-variant-numeric: tabular-nums; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin-top: 14px; padding-top: 12px; border-top: 1px solid var(--soft); font-size: 13px; color: var(--ink-2); }
.legend span { display: inline-flex; align-items: center; gap: 7px; }
.sw { display: inline-block; flex: none; width: 11px; height: 11px; border-radius: 3px; }
.sw.review { background: var(--review); }
.sw.flagged { background: var(--flagged); }

/* Shots */
.shots { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 14px; }
.shot { margin: 0; border: 1px solid var(--line); border-radius: 10px; overflow: hidden; background: #fff; }
.thumb { aspect-ratio: 16 / 9; background: #e2e8f0; }
.thumb img { width: 100%; height: 100%; object-fit: cover; display: block; }
.noimg { height: 100%; display: grid; place-items: center; color: var(--muted); font-size: 12.5px; }
.shot figcaption { display: flex; flex-wrap: wrap; align-items: baseline; gap: 2px 10px; padding: 9px 12px; font-size: 13.5px; }
.shot figcaption .muted { margin-left: auto; font-size: 12.5px; }

/* Tables */
.table-wrap { overflow-x: auto; margin: 0 -4px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th { text-align: left; color: var(--muted); font-size: 11.5px; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; padding: 8px 12px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 10px 12px; border-bottom: 1px solid var(--soft); vertical-align: middle; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover td { background: #fafbff; }
th.num, td.num { text-align: right; }
.parents { margin-top: 3px; }
.conf-cell { display: flex; align-items: center; gap: 10px; }
.bar { flex: none; width: 110px; height: 7px; border-radius: 99px; background: #e9edf3; overflow: hidden; }
.bar i { display: block; height: 100%; border-radius: 99px; background: linear-gradient(90deg, #818cf8, var(--accent)); }
td.when { width: 32%; min-width: 150px; }
.strip { position: relative; height: 12px; border-radius: 3px; background: var(--soft); }
.strip i { position: absolute; top: 0; bottom: 0; border-radius: 2px; background: var(--accent); }

/* Moderation */
.mod-head { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 14px; margin-bottom: 14px; }
.mod-decision { display: flex; gap: 8px; flex-wrap: wrap; }
.thresholds { display: flex; flex-wrap: wrap; gap: 8px; margin: 0; }
.thresholds > div { padding: 5px 12px; border: 1px solid var(--line); border-radius: 8px; font-size: 13px; }
.thresholds dt { display: inline; color: var(--muted); margin-right: 6px; }
.thresholds dd { display: inline; margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.review-box { margin: 0 0 16px; padding: 12px 16px; border: 1px solid var(--line); border-left-width: 4px; border-radius: 10px; font-size: 14px; }
.review-box p { margin: 4px 0 0; color: var(--ink-2); }
.review-box time { color: var(--muted); margin-left: 6px; font-size: 13px; }
.review-box.approved { border-color: #bbf7d0; border-left-color: var(--good); background: #f0fdf4; }
.review-box.rejected, .review-box.failed { border-color: #fecaca; border-left-color: var(--bad); background: #fef2f2; }
.review-box.pending { border-color: #fde68a; border-left-color: var(--review); background: #fffbeb; }
.review-comment { margin: 8px 0 0; padding: 6px 12px; border-left: 3px solid rgba(15,23,42,.15); color: var(--ink-2); white-space: pre-wrap; overflow-wrap: anywhere; }
.tl-band.fp { opacity: .35; }
table.mod tr.review td:first-child { box-shadow: inset 3px 0 0 var(--review); }
table.mod tr.flagged td:first-child { box-shadow: inset 3px 0 0 var(--flagged); }

/* Transcript */
.tx-facts { display: flex; flex-wrap: wrap; gap: 6px 20px; color: var(--ink-2); font-size: 13.5px; margin-bottom: 12px; }
.notes { margin: 0 0 16px; padding: 12px 16px; border: 1px solid #bfdbfe; background: #eff6ff; color: #1e3a8a; border-radius: 10px; font-size: 14px; }
.notes ul { margin: 4px 0 0; padding-left: 20px; }
.speakers { list-style: none; margin: 0 0 18px; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 10px; }
.speaker { display: grid; grid-template-columns: auto 1fr; align-items: center; gap: 2px 9px; padding: 10px 14px; border: 1px solid var(--line); border-radius: 10px; }
.speaker .who { font-weight: 600; color: var(--c); }
.speaker .muted { grid-column: 2; font-size: 12.5px; }
.share { grid-column: 1 / -1; height: 5px; margin-top: 6px; border-radius: 99px; background: var(--soft); overflow: hidden; }
.share i { display: block; height: 100%; border-radius: 99px; }
.segments { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; }
.seg { display: grid; grid-template-columns: 128px 1fr; gap: 4px 16px; padding: 10px 14px; border-left: 3px solid var(--c); border-radius: 0 10px 10px 0; background: color-mix(in srgb, var(--c) 5%, #fff); }
.seg-meta { display: flex; flex-direction: column; font-size: 12.5px; }
.seg-meta .time { color: var(--muted); }
.seg-meta .who { color: var(--c); font-weight: 600; }
.seg-text { margin: 0; overflow-wrap: anywhere; white-space: pre-wrap; }

/* Scenes */
.scenes { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 14px; }
.scene { border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; }
.scene header { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; }
.scene h3 { margin: 0; font-size: 16px; }
.scene header .badge { margin-left: auto; }
.summary { margin: 10px 0 12px; color: var(--ink-2); overflow-wrap: anywhere; }
.scene-facts { margin: 0; display: grid; gap: 6px; }
.scene-facts > div { display: grid; grid-template-columns: 92px 1fr; align-items: baseline; }
.scene-facts dt { color: var(--muted); font-size: 11.5px; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; }
.scene-facts dd { margin: 0; }

/* Stages */
.engine { font-weight: 600; }
.ver { color: var(--muted); }
.engine-note { margin-top: 3px; max-width: 52ch; color: var(--warn); font-size: 12.5px; }
.engine-note::before { content: "i"; display: inline-grid; place-items: center; width: 14px; height: 14px; margin-right: 6px; border: 1.5px solid currentColor; border-radius: 50%; font: italic 700 9.5px/1 Georgia, serif; vertical-align: 1px; }
.settings { display: flex; flex-wrap: wrap; gap: 2px 12px; margin-top: 2px; color: var(--muted); font-size: 12px; }
.settings b { font-weight: 600; color: var(--ink-2); font-variant-numeric: tabular-nums; }
.error { margin-top: 3px; color: var(--bad); font-size: 12.5px; overflow-wrap: anywhere; }

/* Jump target */
@keyframes flash { 0%, 30% { box-shadow: 0 0 0 3px var(--accent); } 100% { box-shadow: 0 0 0 3px transparent; } }
@keyframes flash-row { 0%, 30% { background: var(--accent-soft); } 100% { background: transparent; } }
.flash { animation: flash 1.8s ease-out; }
tr.flash { animation: none; }
tr.flash td { animation: flash-row 1.8s ease-out; }
.seg.flash { animation: flash 1.8s ease-out; border-radius: 10px; }

.foot { color: var(--muted); font-size: 12.5px; padding-top: 4px; padding-bottom: 36px; text-align: center; }

@media (max-width: 640px) {
  body { font-size: 14.5px; }
  .wrap { padding: 0 14px; }
  .hero { padding: 22px 0 18px; }
  .hero h1 { font-size: 22px; }
  .facts { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .card { padding: 16px; margin: 14px 0; border-radius: 12px; }
  .tl-row { grid-template-columns: 1fr; gap: 3px; margin: 6px 0; }
  .tl-axis .tl-name { display: none; }
  .tl-shots .tl-track { height: 44px; }
  .tl-shot-n { display: none; }
  .shots { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
  .shot figcaption { font-size: 12.5px; padding: 7px 9px; }
  .shot figcaption .muted { display: none; }
  /* Tables become one stacked card per row, each cell labelled from data-th. */
  .table-wrap { margin: 0; overflow: visible; }
  table.stack thead { display: none; }
  table.stack, table.stack tbody, table.stack tr { display: block; }
  table.stack tr { padding: 10px 2px; border-bottom: 1px solid var(--line); }
  table.stack tbody tr:last-child { border-bottom: 0; }
  table.stack td { display: flex; align-items: center; justify-content: space-between; gap: 12px; padding: 3px 0; border: 0; text-align: right; }
  table.stack td:first-child { display: block; text-align: left; padding-bottom: 5px; }
  table.stack td[data-th]::before { content: attr(data-th); flex: none; color: var(--muted); font-size: 11px; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; text-align: left; }
  table.stack td.when { width: auto; min-width: 0; }
  table.stack td.when .strip { flex: 1; max-width: 62%; }
  table.stack td.engine-cell { display: block; text-align: left; }
  table.stack td.engine-cell::before { display: block; margin-bottom: 2px; }
  table.mod.stack tr.review, table.mod.stack tr.flagged { padding-left: 12px; }
  table.mod.stack tr.review { box-shadow: inset 3px 0 0 var(--review); }
  table.mod.stack tr.flagged { box-shadow: inset 3px 0 0 var(--flagged); }
  table.mod.stack tr td:first-child { box-shadow: none; }
  tbody tr:hover td { background: none; }
  table.stages.stack tr { display: grid; grid-template-columns: 1fr auto; column-gap: 12px; align-items: center; }
  table.stages.stack td[data-th="Status"] { grid-column: 2; grid-row: 1; padding: 0; }
  table.stages.stack td[data-th="Status"]::before, table.stages.stack td.engine-cell::before { display: none; }
  table.stages.stack td[data-th="Took"] { grid-column: 1 / -1; justify-content: flex-start; gap: 8px; font-size: 13px; color: var(--ink-2); }
  table.stages.stack td.engine-cell { grid-column: 1 / -1; }
  .seg { grid-template-columns: 1fr; }
  .seg-meta { flex-direction: row; gap: 10px; }
  .scenes { grid-template-columns: 1fr; }
  .scene-facts > div { grid-template-columns: 1fr; }
}
@media print {
  .toc, .tl-cursor { display: none; }
  body { background: #fff; }
  .card { box-shadow: none; break-inside: avoid; }
}
@media (prefers-reduced-motion: reduce) { * { animation: none !important; transition: none !important; } }
`;

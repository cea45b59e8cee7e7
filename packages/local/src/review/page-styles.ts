/** The review page's stylesheet, inline (the page's content security policy allows no other). Same palette as the report. */
export const REVIEW_STYLES = `
:root {
  --bg: #f4f5f8; --card: #fff; --ink: #0f172a; --ink-2: #334155; --muted: #64748b; --line: #e5e7eb;
  --soft: #f1f5f9; --accent: #4f46e5; --accent-2: #4338ca; --accent-soft: #eef2ff;
  --good: #166534; --good-bg: #dcfce7; --warn: #92400e; --warn-bg: #fef3c7; --bad: #991b1b; --bad-bg: #fee2e2;
  --review: #f59e0b; --flagged: #dc2626; --radius: 14px;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "DejaVu Sans", Arial, sans-serif; }
code, kbd { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .86em; }
kbd { display: inline-block; min-width: 1.7em; padding: 1px 6px; border: 1px solid #cbd5e1; border-bottom-width: 2px; border-radius: 5px; background: #fff; color: var(--ink-2); font-size: 11.5px; line-height: 1.5; text-align: center; }
[hidden] { display: none !important; }
a { color: var(--accent); }
.wrap { max-width: 1280px; margin: 0 auto; padding: 0 28px; }
.muted { color: var(--muted); }
.num, .time { font-variant-numeric: tabular-nums; }
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip { position: absolute; left: 12px; top: -60px; z-index: 50; padding: 8px 14px; border-radius: 8px; background: var(--ink); color: #fff; }
.skip:focus { top: 10px; }
:focus-visible { outline: 3px solid #818cf8; outline-offset: 2px; }

/* Top bar */
.bar { position: sticky; top: 0; z-index: 20; background: rgba(255,255,255,.92); backdrop-filter: saturate(1.4) blur(8px); border-bottom: 1px solid var(--line); }
.bar-in { display: flex; align-items: center; gap: 12px; min-height: 58px; flex-wrap: wrap; }
.brand { display: inline-flex; align-items: center; gap: 10px; color: var(--ink); font-weight: 700; font-size: 16px; text-decoration: none; }
.brand .logo { display: inline-grid; place-items: center; width: 30px; height: 30px; border-radius: 8px; background: var(--accent); color: #fff; font-size: 15px; }
.brand .muted { font-weight: 500; font-size: 13px; }
.who { margin-left: auto; display: flex; align-items: center; gap: 8px; flex-wrap: wrap; font-size: 14px; color: var(--ink-2); }
.avatar { display: inline-grid; place-items: center; width: 28px; height: 28px; border-radius: 50%; background: var(--accent-soft); color: var(--accent-2); font-weight: 700; font-size: 13px; text-transform: uppercase; }

/* Buttons */
.btn { display: inline-flex; align-items: center; justify-content: center; gap: 8px; min-height: 36px; padding: 6px 14px; border: 1px solid var(--line); border-radius: 9px; background: #fff; color: var(--ink); font: inherit; font-size: 14px; font-weight: 600; cursor: pointer; text-decoration: none; }
.btn:hover { border-color: #cbd5e1; background: #f8fafc; }
.btn.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.btn.primary:hover { background: var(--accent-2); }
.btn.ghost { border-color: transparent; background: transparent; color: var(--ink-2); }
.btn.ghost:hover { background: var(--soft); }
.btn.small { min-height: 30px; padding: 3px 10px; font-size: 13px; }
.btn.big { min-height: 46px; font-size: 15px; width: 100%; }
.btn[disabled] { opacity: .55; cursor: not-allowed; }
.btn kbd { background: transparent; border-color: currentColor; color: inherit; opacity: .8; }

/* Badges */
.badge { display: inline-flex; align-items: center; gap: 6px; padding: 2px 10px; border-radius: 999px; font-size: 12.5px; font-weight: 600; white-space: nowrap; }
.badge::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: currentColor; opacity: .85; }
.badge.good { color: var(--good); background: var(--good-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.neutral { color: #475569; background: var(--soft); }
.badge.info { color: #3730a3; background: #e0e7ff; }
.chip { display: inline-block; padding: 0 8px; border-radius: 999px; background: var(--soft); color: var(--ink-2); font-size: 12px; font-weight: 600; }

/* Cards and messages */
main.wrap { padding-top: 26px; padding-bottom: 56px; outline: none; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: 20px 22px; box-shadow: 0 1px 2px rgba(15,23,42,.04), 0 4px 16px -8px rgba(15,23,42,.08); }
.card + .card { margin-top: 16px; }
.card h2 { margin: 0 0 12px; font-size: 16px; letter-spacing: -.01em; }
h1 { margin: 0; font-size: 26px; line-height: 1.2; letter-spacing: -.015em; overflow-wrap: anywhere; }
h1:focus { outline: none; }
.lead { margin: 6px 0 0; color: var(--muted); }
.msg { margin: 0 0 14px; padding: 11px 14px; border-radius: 10px; border: 1px solid; font-size: 14px; overflow-wrap: anywhere; }
.msg.bad { border-color: #fecaca; background: #fef2f2; color: var(--bad); }
.msg.warn { border-color: #fde68a; background: #fffbeb; color: var(--warn); }
.msg.good { border-color: #bbf7d0; background: #f0fdf4; color: var(--good); }
.msg.info { border-color: #c7d2fe; background: var(--accent-soft); color: #3730a3; }
.msg strong { font-weight: 700; }
.empty { padding: 40px 20px; text-align: center; color: var(--muted); }
.empty strong { display: block; color: var(--ink-2); font-size: 16px; margin-bottom: 4px; }
.loading { padding: 40px; text-align: center; color: var(--muted); }

/* Login */
.login { max-width: 460px; margin: 48px auto 0; }
.login h1 { font-size: 24px; margin-bottom: 6px; }
.login form { margin-top: 18px; display: grid; gap: 10px; }
label.field { font-weight: 600; font-size: 14px; }
.input, select.input, textarea.input { width: 100%; min-height: 40px; padding: 8px 12px; border: 1px solid #cbd5e1; border-radius: 9px; background: #fff; color: var(--ink); font: inherit; font-size: 14.5px; }
.input:focus { outline: none; border-color: var(--accent); box-shadow: 0 0 0 3px rgba(99,102,241,.25); }
textarea.input { min-height: 84px; resize: vertical; }
.input[readonly], .input[disabled] { background: var(--soft); color: var(--ink-2); }
.hint { margin: 0; color: var(--muted); font-size: 13px; }

/* Queue */
.page-head { display: flex; flex-wrap: wrap; align-items: flex-end; justify-content: space-between; gap: 12px 20px; margin-bottom: 18px; }
.stats { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 12px; margin-bottom: 18px; }
.stat { padding: 14px 18px; border: 1px solid var(--line); border-radius: 12px; background: #fff; }
.stat dt { color: var(--muted); font-size: 11.5px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase; }
.stat dd { margin: 2px 0 0; font-size: 26px; font-weight: 700; font-variant-numeric: tabular-nums; }
.stat.open dd { color: var(--accent); }
.stat.claimed dd { color: var(--warn); }
.stat.decided dd { color: var(--good); }
.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); margin-bottom: 4px; }
.tab { padding: 10px 14px; border: 0; border-bottom: 2px solid transparent; background: none; color: var(--ink-2); font: inherit; font-weight: 600; font-size: 14px; text-decoration: none; cursor: pointer; }
.tab[aria-current="page"] { color: var(--accent); border-bottom-color: var(--accent); }
.tab .chip { margin-left: 6px; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th { text-align: left; color: var(--muted); font-size: 11.5px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase; padding: 10px 12px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 12px; border-bottom: 1px solid var(--soft); vertical-align: middle; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr.row { cursor: pointer; }
tbody tr.row:hover td { background: #fafbff; }
td.file a { font-weight: 700; color: var(--ink); text-decoration: none; overflow-wrap: anywhere; }
td.file a:hover { color: var(--accent); text-decoration: underline; }
td.mid code { color: var(--ink-2); overflow-wrap: anywhere; }
td.num, th.num { text-align: right; }
.top { display: flex; align-items: center; gap: 10px; }
.top .bar-s { width: 64px; }
.comment-cell { max-width: 28ch; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--ink-2); }
.bar-s { flex: none; height: 6px; border-radius: 99px; background: #e9edf3; overflow: hidden; }
.bar-s i { display: block; height: 100%; border-radius: 99px; background: linear-gradient(90deg, #fbbf24, var(--review)); }
.bar-s.flagged i { background: linear-gradient(90deg, #f87171, var(--flagged)); }
.bar-s.clean i { background: linear-gradient(90deg, #818cf8, var(--accent)); }

/* Task */
.crumbs { margin-bottom: 10px; font-size: 14px; }
.crumbs a { text-decoration: none; font-weight: 600; }
.task-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; }
.task-meta { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 8px 0 16px; color: var(--muted); font-size: 13.5px; }
.task-meta code { color: var(--ink-2); }
.claim { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; }
.claim .msg { margin: 0; flex: 1 1 320px; }
.layout { display: grid; grid-template-columns: minmax(0, 1fr) 360px; gap: 20px; align-items: start; margin-top: 16px; }
.player-card { padding: 0; overflow: hidden; }
video { display: block; width: 100%; max-height: 56vh; background: #0b1020; aspect-ratio: 16 / 9; }
.tl { padding: 12px 16px 14px; border-top: 1px solid var(--line); }
.tl-track { position: relative; height: 30px; border-radius: 7px; background: var(--soft); cursor: pointer; }
.tl-band { position: absolute; top: 4px; bottom: 4px; min-width: 6px; border: 0; border-radius: 5px; padding: 0; cursor: pointer; opacity: .85; }
.tl-band.review { background: var(--review); background-image: repeating-linear-gradient(135deg, rgba(255,255,255,.28) 0 6px, transparent 6px 12px); }
.tl-band.flagged { background: var(--flagged); }
.tl-band.clean { background: #a5b4fc; }
.tl-band.current { opacity: 1; box-shadow: 0 0 0 2px #fff, 0 0 0 4px var(--ink); }
.tl-head { position: absolute; top: -3px; bottom: -3px; width: 2px; margin-left: -1px; background: var(--ink); border-radius: 2px; pointer-events: none; }
.tl-axis { display: flex; justify-content: space-between; margin-top: 5px; color: var(--muted); font-size: 11.5px; font-variant-numeric: tabular-nums; }
.section-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 4px 14px; margin: 22px 0 12px; }
.section-head h2 { margin: 0; font-size: 17px; display: flex; align-items: center; gap: 8px; }
.segs { list-style: none; margin: 0; padding: 0; display: grid; gap: 12px; }
.seg { display: grid; grid-template-columns: 176px minmax(0, 1fr); grid-template-rows: auto 1fr; gap: 0 16px; padding: 14px; border: 1px solid var(--line); border-radius: 12px; background: #fff; scroll-margin-top: 80px; }
.seg.review { box-shadow: inset 4px 0 0 var(--review); }
.seg.flagged { box-shadow: inset 4px 0 0 var(--flagged); }
.seg.current { border-color: var(--accent); box-shadow: inset 4px 0 0 var(--accent), 0 0 0 3px rgba(99,102,241,.18); }
.seg > .thumb { grid-row: 1 / span 2; align-self: start; }
.seg > .answer { grid-column: 2; }
.thumb { position: relative; display: block; width: 100%; aspect-ratio: 16 / 9; padding: 0; border: 0; border-radius: 9px; overflow: hidden; background: #e2e8f0; cursor: pointer; }
.thumb img { display: block; width: 100%; height: 100%; object-fit: cover; }
.thumb .noimg { display: grid; place-items: center; height: 100%; color: var(--muted); font-size: 12.5px; }
.thumb .play { position: absolute; left: 8px; bottom: 8px; padding: 1px 8px; border-radius: 6px; background: rgba(15,23,42,.78); color: #fff; font-size: 12px; font-weight: 600; font-variant-numeric: tabular-nums; }
.thumb:hover img { filter: brightness(1.08); }
.seg-info { cursor: pointer; min-width: 0; }
.seg-top { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; }
.seg-n { color: var(--muted); font-size: 12px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase; }
.seg-name { margin: 2px 0 6px; font-size: 16.5px; font-weight: 700; overflow-wrap: anywhere; }
.seg-jump { white-space: nowrap; border: 0; background: none; padding: 0; color: var(--accent); font: inherit; font-size: 13.5px; font-weight: 600; cursor: pointer; font-variant-numeric: tabular-nums; }
.seg-jump:hover { text-decoration: underline; }
.conf { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 10px; font-size: 13.5px; color: var(--ink-2); }
.conf .bar-s { width: 140px; height: 8px; }
.conf strong { font-variant-numeric: tabular-nums; }
fieldset { margin: 0; padding: 0; border: 0; min-width: 0; }
legend { padding: 0; margin-bottom: 6px; color: var(--muted); font-size: 11.5px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase; }
.answer { margin-top: 12px; padding-top: 12px; border-top: 1px dashed var(--line); }
.opts { display: flex; flex-wrap: wrap; gap: 8px; }
.opt { position: relative; }
.opt input { position: absolute; opacity: 0; inset: 0; margin: 0; cursor: pointer; }
.opt span { display: inline-flex; align-items: center; gap: 8px; min-height: 34px; padding: 5px 12px; border: 1px solid #cbd5e1; border-radius: 999px; background: #fff; font-size: 13.5px; font-weight: 600; color: var(--ink-2); cursor: pointer; }
.opt span kbd { min-width: 1.5em; padding: 0 4px; font-size: 11px; }
.opt input:focus-visible + span { outline: 3px solid #818cf8; outline-offset: 2px; }
.opt input:hover:not(:disabled) + span { border-color: #94a3b8; }
.opt input:checked + span { color: #fff; }
.opt.confirmed input:checked + span { background: var(--bad); border-color: var(--bad); }
.opt.false-positive input:checked + span { background: var(--good); border-color: var(--good); }
.opt.wrong-category input:checked + span { background: var(--warn); border-color: var(--warn); }
.opt input:checked + span kbd { background: transparent; border-color: rgba(255,255,255,.75); color: #fff; }
.opt input:disabled + span { cursor: default; opacity: .6; }
.opt input:disabled:checked + span { opacity: .9; }
.cat-row { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 10px; }
.cat-row .input { flex: 1 1 180px; width: auto; min-height: 36px; padding: 6px 10px; font-size: 14px; }
.outcome-note { margin-top: 8px; font-size: 13px; color: var(--muted); }

/* Verdict panel */
.verdict-opts { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.vopt { position: relative; }
.vopt input { position: absolute; opacity: 0; inset: 0; margin: 0; cursor: pointer; }
.vopt span { display: flex; flex-direction: column; align-items: center; gap: 2px; padding: 12px 8px; border: 2px solid var(--line); border-radius: 12px; background: #fff; font-weight: 700; cursor: pointer; text-align: center; }
.vopt span small { color: var(--muted); font-weight: 500; font-size: 12px; }
.vopt input:focus-visible + span { outline: 3px solid #818cf8; outline-offset: 2px; }
.vopt.approved input:checked + span { border-color: var(--good); background: var(--good-bg); color: var(--good); }
.vopt.rejected input:checked + span { border-color: var(--bad); background: var(--bad-bg); color: var(--bad); }
.vopt input:disabled + span { cursor: default; opacity: .6; }
.vopt input:disabled:checked + span { opacity: 1; }
.stack { display: grid; gap: 14px; }
.progress { display: flex; justify-content: space-between; font-size: 13.5px; color: var(--ink-2); }
.progress-bar { height: 6px; border-radius: 99px; background: var(--soft); overflow: hidden; margin-top: 6px; }
.progress-bar i { display: block; height: 100%; background: var(--accent); border-radius: 99px; transition: width .2s; }
.facts { margin: 0; display: grid; gap: 6px; font-size: 13.5px; }
.facts > div { display: flex; justify-content: space-between; gap: 12px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-weight: 600; text-align: right; overflow-wrap: anywhere; }
.decision-big { display: flex; align-items: center; gap: 10px; font-size: 18px; font-weight: 700; }
.decision-big .badge { font-size: 14px; padding: 4px 12px; }
.quote { margin: 10px 0 0; padding: 8px 12px; border-left: 3px solid var(--line); color: var(--ink-2); white-space: pre-wrap; overflow-wrap: anywhere; }
.audit { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px; font-size: 13.5px; }
.audit li { display: grid; grid-template-columns: 12px 1fr; gap: 10px; }
.audit .dot { width: 10px; height: 10px; margin-top: 5px; border-radius: 50%; background: #cbd5e1; }
.audit .decide .dot { background: var(--good); }
.audit .claim .dot { background: var(--accent); }
.audit time { display: block; color: var(--muted); font-size: 12.5px; }
.audit .detail { color: var(--ink-2); overflow-wrap: anywhere; }
.keys { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 6px 12px; font-size: 13.5px; align-items: center; }
.keys dt { white-space: nowrap; }
.keys dd { margin: 0; color: var(--ink-2); }

/* Help dialog and toast */
dialog { width: min(520px, calc(100vw - 32px)); padding: 0; border: 0; border-radius: 16px; box-shadow: 0 24px 64px -12px rgba(15,23,42,.45); color: var(--ink); }
dialog::backdrop { background: rgba(15,23,42,.45); }
.dlg-head { display: flex; align-items: center; justify-content: space-between; padding: 16px 20px; border-bottom: 1px solid var(--line); }
.dlg-head h2 { margin: 0; font-size: 17px; }
.dlg-body { padding: 16px 20px 20px; }
.toast { position: fixed; left: 50%; bottom: 22px; z-index: 60; transform: translateX(-50%); max-width: calc(100vw - 32px); padding: 10px 18px; border-radius: 10px; background: var(--ink); color: #fff; font-size: 14px; box-shadow: 0 10px 30px -10px rgba(15,23,42,.6); }

@media (max-width: 980px) {
  .layout { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 640px) {
  body { font-size: 14.5px; }
  .wrap { padding: 0 14px; }
  main.wrap { padding-top: 16px; }
  h1 { font-size: 21px; }
  .brand .muted { display: none; }
  .who .prefix { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  .who { gap: 6px; }
  .stats { gap: 8px; }
  .stat { padding: 10px 12px; }
  .stat dd { font-size: 21px; }
  .card { padding: 16px; }
  .seg { grid-template-columns: 112px minmax(0, 1fr); grid-template-rows: auto; gap: 0 12px; padding: 12px; }
  .seg > .thumb { grid-row: 1; }
  .seg > .answer { grid-column: 1 / -1; }
  .seg-top .badge { font-size: 11.5px; padding: 1px 8px; }
  .seg-name { font-size: 15px; margin-bottom: 4px; }
  .conf { font-size: 12.5px; }
  .conf .bar-s { width: 64px; }
  .conf .conf-word, .conf .conf-dot { display: none; }
  .help-label { display: none; }
  .bar-in { flex-wrap: nowrap; }
  /* Queue rows become cards, each cell labelled from data-th. */
  table.cards thead { display: none; }
  table.cards, table.cards tbody, table.cards tr { display: block; }
  table.cards tr { padding: 12px 2px; border-bottom: 1px solid var(--line); }
  table.cards tbody tr:last-child { border-bottom: 0; }
  table.cards td { display: flex; align-items: center; justify-content: space-between; gap: 12px; padding: 3px 0; border: 0; text-align: right; }
  table.cards td.file { display: block; text-align: left; padding-bottom: 6px; }
  table.cards td[data-th]::before { content: attr(data-th); flex: none; color: var(--muted); font-size: 11px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase; text-align: left; }
  tbody tr.row:hover td { background: none; }
  .comment-cell { max-width: 60%; }
}
/* A phone has no keyboard to speak of: the shortcuts stay in the ? dialog. */
@media (max-width: 640px) and (pointer: coarse) { .keys-card { display: none; } }
@media (prefers-reduced-motion: reduce) { * { animation: none !important; transition: none !important; scroll-behavior: auto !important; } }
`;

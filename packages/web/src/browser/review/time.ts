/*
 * Times as a reviewer reads them: in the browser's own time zone and language (the report, a file to
 * archive, shows UTC instead). Media positions use `clock` from the shared display module.
 */

function valid(d: Date): boolean {
  return !Number.isNaN(d.getTime());
}

/** `2 Jan 2026, 11:05`, in the reader's locale; anything unparseable is shown as given. */
export function when(iso: string): string {
  const d = new Date(iso);
  return valid(d) ? d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }) : String(iso);
}

/** The clock time only, for claims that end today. */
export function hhmm(iso: string): string {
  const d = new Date(iso);
  return valid(d) ? d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) : String(iso);
}

/** `just now`, `12 min ago`, `3 h ago`, then the date. */
export function ago(iso: string): string {
  const s = (Date.now() - new Date(iso).getTime()) / 1000;
  if (!Number.isFinite(s)) return String(iso);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return when(iso);
}

/** Server messages carry ISO times; a reviewer reads local clock times. */
export function readable(message: string | null | undefined): string {
  return String(message || "").replace(/\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z/g, (iso) => when(iso));
}

// The report page's own logic: the default period, the chart's bars from a section's rows,
// the downloaded file's name.

import { addDays } from "../deadline";

export interface RowLike {
  keys: string[];
  count: number;
  rate?: number | null;
}

/** From the first of this month to today (Vietnam days); on the 1st, the whole last month. */
export function defaultPeriod(today: string): { start: string; end: string } {
  if (today.endsWith("-01")) {
    const end = addDays(today, -1);
    return { start: `${end.slice(0, 7)}-01`, end };
  }
  return { start: `${today.slice(0, 7)}-01`, end: today };
}

/** One bar per row: its keys joined (each through `label`), its count. */
export function chartRows(rows: RowLike[], label: (key: string, column: number) => string = (key) => key): { name: string; count: number }[] {
  return rows.map((row) => ({ name: row.keys.map((key, column) => label(key, column)).join(" · ") || "—", count: row.count }));
}

/** `bao-cao-<unit>-<start>-<end>.<format>`, safe as a file name. */
export function reportFileName(unit: string, start: string, end: string, format: string): string {
  const safe = (unit || "don-vi").replace(/[^\w.-]+/g, "-");
  return `bao-cao-${safe}-${start}-${end}.${format}`;
}

/** A rate (0..1) as a percentage in the locale, or "—". */
export function formatRate(rate: number | null | undefined, locale: string): string {
  if (rate === null || rate === undefined) return "—";
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(rate);
}

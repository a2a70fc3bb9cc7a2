// Dates and numbers as Vietnamese officers read them: always in Vietnam's time zone
// (Asia/Ho_Chi_Minh), whatever the browser's zone, in the locale of the chosen language.

export const TIME_ZONE = "Asia/Ho_Chi_Minh";

type When = string | number | Date | null | undefined;

function asDate(value: When): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date =
    value instanceof Date ? value : typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * A date and time (ISO string, Date or epoch seconds) in Vietnam time, 24-hour clock, day
 * first with a four-digit year ("03:30 01/02/2026" in Vietnamese), or "" if absent.
 */
export function formatDateTime(value: When, locale: string): string {
  const date = asDate(value);
  if (!date) return "";
  return new Intl.DateTimeFormat(locale, {
    timeZone: TIME_ZONE,
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(date);
}

/** A calendar date in Vietnam time, day first (dd/mm/yyyy), or "" if absent. */
export function formatDate(value: When, locale: string): string {
  const date = asDate(value);
  if (!date) return "";
  return new Intl.DateTimeFormat(locale, {
    timeZone: TIME_ZONE,
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
  }).format(date);
}

/** A calendar day as the API sends it (`YYYY-MM-DD`, no zone) in the locale, day first. */
export function formatDay(day: string | null | undefined, locale: string): string {
  if (!day) return "";
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return day;
  return new Intl.DateTimeFormat(locale, {
    timeZone: "UTC",
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
  }).format(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))));
}

/** The value of a `<time datetime>` attribute. */
export function isoDateTime(value: When): string {
  const date = asDate(value);
  return date ? date.toISOString() : "";
}

/** Today's calendar day in Vietnam (`YYYY-MM-DD`). */
export function vietnamToday(now: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: TIME_ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
}

/** An integer or decimal with the locale's separators (Vietnamese: 1.234,5). */
export function formatNumber(value: number, locale: string, digits = 0): string {
  return new Intl.NumberFormat(locale, {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(value);
}

/**
 * The instant of a `datetime-local` value read as Vietnam time (`2026-02-01T03:30` ->
 * `2026-02-01T03:30:00+07:00`), whatever the browser's zone; "" stays "". Vietnam has kept
 * UTC+7 without daylight saving since 1975.
 */
export function vietnamInstant(local: string): string {
  if (!local) return "";
  const withSeconds = /T\d{2}:\d{2}$/.test(local) ? `${local}:00` : local;
  return `${withSeconds}+07:00`;
}

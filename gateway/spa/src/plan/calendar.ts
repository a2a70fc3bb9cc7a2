// The monthly plan as a calendar: the month's weeks (Monday first, as Vietnamese calendars
// are printed), each slot on its Vietnam day, working days from the plan's basis.

import { addDays } from "../deadline";
import { TIME_ZONE } from "../format";

export interface SlotLike {
  id: string;
  starts_at: string;
  ends_at: string;
  state: string;
  overdue: boolean;
  officer_id?: string | null;
}

/** `YYYY-MM` of an instant in Vietnam. */
export function vietnamMonth(now: Date = new Date()): string {
  return vietnamDayOf(now).slice(0, 7);
}

/** The Vietnam calendar day (`YYYY-MM-DD`) of an instant. */
export function vietnamDayOf(value: string | Date): string {
  const date = value instanceof Date ? value : new Date(value);
  return new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
}

/** `HH:MM` in Vietnam of an instant. */
export function vietnamTime(value: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(value));
}

/** `YYYY-MM` moved by n months. */
export function shiftMonth(month: string, n: number): string {
  const [year, mon] = month.split("-").map(Number);
  const index = year * 12 + (mon - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/** Every day of a month, in order. */
export function monthDays(month: string): string[] {
  const days: string[] = [];
  for (let day = `${month}-01`; day.startsWith(month); day = addDays(day, 1)) days.push(day);
  return days;
}

/** Monday = 0 ... Sunday = 6. */
export function weekdayIndex(day: string): number {
  return (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
}

/** The month's weeks, Monday to Sunday; cells outside the month are null. */
export function calendarWeeks(month: string): (string | null)[][] {
  const days = monthDays(month);
  const cells: (string | null)[] = Array(weekdayIndex(days[0])).fill(null);
  cells.push(...days);
  while (cells.length % 7) cells.push(null);
  const weeks: (string | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

/** Slots by their Vietnam start day, each day's in start order. */
export function slotsByDay<T extends SlotLike>(slots: T[]): Map<string, T[]> {
  const byDay = new Map<string, T[]>();
  for (const slot of [...slots].sort((a, b) => a.starts_at.localeCompare(b.starts_at) || a.id.localeCompare(b.id))) {
    const day = vietnamDayOf(slot.starts_at);
    const list = byDay.get(day);
    if (list) list.push(slot);
    else byDay.set(day, [slot]);
  }
  return byDay;
}

/** The overdue slots, oldest first (what the officer must catch up on). */
export function overdueSlots<T extends SlotLike>(slots: T[]): T[] {
  return slots.filter((slot) => slot.overdue).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
}

/** Whether a result can be recorded now: a planned slot that has started. */
export function canRecordResult(slot: SlotLike, now: Date = new Date()): boolean {
  return slot.state === "planned" && new Date(slot.starts_at).getTime() <= now.getTime();
}

/** The plan the month shows: its draft or approved one, else the latest returned. */
export function currentPlan<T extends { state: string; drafted_at: string }>(plans: T[]): T | null {
  const sorted = [...plans].sort((a, b) => b.drafted_at.localeCompare(a.drafted_at));
  return sorted.find((plan) => plan.state !== "returned") ?? sorted[0] ?? null;
}

/** A working-day predicate from the plan's basis, falling back to Monday-Friday. */
export function workingDayFromBasis(basis: Record<string, unknown> | null | undefined): (day: string) => boolean {
  const listed = Array.isArray(basis?.working_days) ? new Set(basis.working_days as string[]) : null;
  return (day) => (listed ? listed.has(day) : weekdayIndex(day) < 5);
}

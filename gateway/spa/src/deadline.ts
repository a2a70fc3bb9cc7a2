// How many working days an incident has left before its legal deadline (Decision I.2.3:
// 10 working days for equipment, 3 for the channel). The incidents service computes the
// deadline day; the SPA counts the working days from today (Vietnam time) to it, with the
// calendar the incidents service publishes (weekends, holidays, announced swaps).

/** `YYYY-MM-DD` + n days. */
export function addDays(day: string, n: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
}

/** The days after `from` up to and including `to` (empty when `to` is not after `from`). */
export function daysBetween(from: string, to: string, limit = 400): string[] {
  const days: string[] = [];
  for (let day = addDays(from, 1); day <= to && days.length < limit; day = addDays(day, 1)) days.push(day);
  return days;
}

/** Saturday and Sunday: what the SPA assumes until the calendar answers. */
export function isWeekday(day: string): boolean {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/**
 * Working days left: the working days after `today` up to the deadline day (today itself is
 * under way and not counted). 0 means the deadline is today; a deadline already past gives
 * a negative count of the working days since.
 */
export function workingDaysLeft(
  today: string,
  deadline: string,
  isWorking: (day: string) => boolean = isWeekday,
): number {
  if (deadline >= today) return daysBetween(today, deadline).filter(isWorking).length;
  return -daysBetween(deadline, today).filter(isWorking).length;
}

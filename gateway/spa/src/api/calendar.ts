// Vietnam's working-day calendar from the incidents service, one cached query per day.

import { useQueries } from "@tanstack/react-query";
import { getDay } from "../client/incidents/sdk.gen";
import { daysBetween, isWeekday } from "../deadline";

/** A predicate "is this a working day" for the days between `from` and `to`. */
export function useWorkingDayCalendar(from: string, to: string): (day: string) => boolean {
  const [start, end] = from <= to ? [from, to] : [to, from];
  const days = daysBetween(start, end, 60);
  const answers = useQueries({
    queries: days.map((day) => ({
      queryKey: ["calendar-day", day],
      queryFn: () => getDay({ path: { day } }).then((r) => r.data),
      staleTime: Infinity,
      retry: false,
    })),
  });
  const known = new Map<string, boolean>();
  answers.forEach((answer, index) => {
    if (answer.data) known.set(days[index], answer.data.working_day);
  });
  return (day) => known.get(day) ?? isWeekday(day);
}

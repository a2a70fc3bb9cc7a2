// An incident's legal deadline with the working days left (or "overdue").

import { useWorkingDayCalendar } from "../api/calendar";
import type { IncidentPublic } from "../client/incidents/types.gen";
import { formatDay, vietnamToday } from "../format";
import { workingDaysLeft } from "../deadline";
import { useI18n } from "../i18n/context";

export function Countdown({ incident }: { incident: IncidentPublic }) {
  const { t, tn, locale } = useI18n();
  const today = vietnamToday();
  const isWorking = useWorkingDayCalendar(today, incident.deadline_date);
  const deadline = formatDay(incident.deadline_date, locale);
  if (incident.restored_at || incident.state === "closed") {
    return <span className="countdown">{t("incident.deadlineMet", { date: deadline })}</span>;
  }
  const left = workingDaysLeft(today, incident.deadline_date, isWorking);
  if (incident.overdue || left < 0) {
    return (
      <span className="countdown countdown-overdue" data-overdue="true">
        {t("incident.overdue", { date: deadline })}
      </span>
    );
  }
  return (
    <span className={left <= 1 ? "countdown countdown-soon" : "countdown"} data-working-days-left={left}>
      {left === 0 ? t("incident.dueToday", { date: deadline }) : tn("incident.daysLeft", left, { date: deadline })}
    </span>
  );
}

/** Overdue first, then the nearest deadline. */
export function byUrgency(a: IncidentPublic, b: IncidentPublic): number {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  return a.deadline_at.localeCompare(b.deadline_at);
}

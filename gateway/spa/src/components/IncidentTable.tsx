// Incidents as a table: EPE, kind, state, opened, the deadline countdown; overdue first.

import type { IncidentPublic } from "../client/incidents/types.gen";
import { useI18n } from "../i18n/context";
import { Link } from "../router";
import { Countdown, byUrgency } from "./Countdown";
import { Badge, When } from "./Status";

export function IncidentTable({ incidents, caption }: { incidents: IncidentPublic[]; caption: string }) {
  const { t } = useI18n();
  if (!incidents.length) return <p className="empty">{t("incidents.empty")}</p>;
  return (
    <div className="table-wrap">
      <table className="data-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("incidents.col.incident")}</th>
            <th scope="col">{t("incidents.col.epe")}</th>
            <th scope="col">{t("incidents.col.kind")}</th>
            <th scope="col">{t("incidents.col.state")}</th>
            <th scope="col">{t("incidents.col.opened")}</th>
            <th scope="col">{t("incidents.col.deadline")}</th>
          </tr>
        </thead>
        <tbody>
          {[...incidents].sort(byUrgency).map((incident) => (
            <tr key={incident.id} data-incident-id={incident.id} className={incident.overdue ? "row-overdue" : undefined}>
              <th scope="row">
                <Link href={`/incidents/${encodeURIComponent(incident.id)}`}>{incident.id.slice(-8)}</Link>
              </th>
              <td>{incident.enterprise_name || incident.epe_id}</td>
              <td>
                <Badge prefix="incident.kind" value={incident.kind} tone="kind" />
              </td>
              <td>
                <Badge prefix="incident.state" value={incident.state} />
              </td>
              <td>
                <When value={incident.opened_at} />
              </td>
              <td>
                <Countdown incident={incident} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

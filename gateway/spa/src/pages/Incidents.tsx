// Incidents of the EPEs the user may see: open ones by default, every state on request.

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { listAll } from "../api/paging";
import { listIncidents } from "../client/incidents/sdk.gen";
import type { IncidentState } from "../client/incidents/types.gen";
import { IncidentTable } from "../components/IncidentTable";
import { Problem } from "../components/Problem";
import { Loading } from "../components/Status";
import { useI18n } from "../i18n/context";

const STATES: IncidentState[] = ["detected", "notified", "plan_agreed", "restored", "closed"];

export default function Incidents() {
  const { t } = useI18n();
  const [state, setState] = useState<IncidentState | "open">("open");
  const incidents = useQuery({
    queryKey: ["incidents", "list", state],
    queryFn: async () => {
      const all = await listAll((cursor) =>
        listIncidents({ query: { cursor, limit: 200, state: state === "open" ? undefined : state } }).then((r) => r.data),
      );
      return state === "open" ? all.filter((incident) => incident.state !== "closed") : all;
    },
  });
  return (
    <section className="page" aria-labelledby="incidents-heading">
      <div className="page-head">
        <div>
          <h1 id="incidents-heading">{t("incidents.title")}</h1>
          <p className="lead">{t("incidents.lead")}</p>
        </div>
      </div>
      <div className="filters">
        <label htmlFor="incident-state">{t("incidents.filter.state")}</label>
        <select id="incident-state" value={state} onChange={(event) => setState(event.target.value as IncidentState | "open")}>
          <option value="open">{t("incidents.filter.open")}</option>
          {STATES.map((code) => (
            <option key={code} value={code}>
              {t(`incident.state.${code}`)}
            </option>
          ))}
        </select>
      </div>
      {incidents.isPending ? <Loading /> : incidents.isError ? <Problem error={incidents.error} /> : <IncidentTable incidents={incidents.data} caption={t("incidents.title")} />}
    </section>
  );
}

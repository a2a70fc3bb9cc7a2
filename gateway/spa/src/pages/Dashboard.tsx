// The officer's and head's first screen: their EPEs with the required cameras online and
// offline and their risk level, today's monitoring-plan slots (overdue first), open incidents
// with the working days left (overdue first), and new warnings.

import { useQueries } from "@tanstack/react-query";
import { useEffect } from "react";
import { useUser } from "../auth/useUser";
import { useLiveStatus } from "../api/live";
import { listAll } from "../api/paging";
import { useMyEpes, useOpenIncidents, useRiskLevels, useTodaysSlots, useWarnings } from "../api/queries";
import { listCameras } from "../client/registry/sdk.gen";
import { IncidentTable } from "../components/IncidentTable";
import { RiskBadge } from "../components/RiskBadge";
import { Problem } from "../components/Problem";
import { Badge, Loading } from "../components/Status";
import { WarningTable } from "../components/WarningTable";
import { formatNumber } from "../format";
import { useI18n } from "../i18n/context";
import { navFor } from "../components/Layout";
import { Link, navigate } from "../router";
import { vietnamTime } from "../plan/calendar";
import { orderTodaysSlots } from "../risk/score";
import type { SlotPublic } from "../client/risk/types.gen";

/** How often the dashboard reads camera states, incidents and warnings again while the live
 * channel is down; while it is open, its events say when to read again (no polling). */
const FALLBACK_REFRESH_MS = 10_000;

export default function Home() {
  const user = useUser();
  const officer = !!user && ["supervisory_officer", "head_of_subdepartment"].some((role) => user.roles.includes(role));
  const first = user && !officer ? navFor(user)[0] : undefined;
  useEffect(() => {
    if (first) navigate(first.href, { replace: true });
  }, [first]);
  if (officer) return <Dashboard />;
  return first ? null : <NoRole />;
}

/** Signed in, but no role of the SPA (an IT operator, an administrator for now). */
function NoRole() {
  const { t } = useI18n();
  return (
    <section className="page">
      <h1>{t("dashboard.title")}</h1>
      <p className="empty">{t("dashboard.noPages")}</p>
    </section>
  );
}

function Dashboard() {
  const { t, locale } = useI18n();
  const user = useUser();
  const pollEvery = useLiveStatus() === "open" ? undefined : FALLBACK_REFRESH_MS;
  const epes = useMyEpes(user);
  const mine = new Set((epes.data || []).map((row) => row.epeId));
  const cameras = useQueries({
    queries: (epes.data || []).map((row) => ({
      queryKey: ["cameras", row.epeId],
      queryFn: () =>
        listAll((cursor) => listCameras({ path: { epe_id: row.epeId }, query: { cursor, limit: 200 } }).then((r) => r.data)),
      refetchInterval: pollEvery,
    })),
  });
  const incidents = useOpenIncidents(undefined, pollEvery);
  const warnings = useWarnings({ state: "new", refetchInterval: pollEvery });
  const myIncidents = (incidents.data || []).filter((incident) => mine.has(incident.epe_id));
  const overdue = myIncidents.filter((incident) => incident.overdue).length;
  const levels = useRiskLevels(pollEvery);
  const levelOf = new Map((levels.data || []).map((level) => [level.epe_id, level]));
  const slots = useTodaysSlots({ mine: true, refetchInterval: pollEvery });
  const names = new Map((epes.data || []).map((row) => [row.epeId, row.epe?.name || row.epeId]));

  return (
    <section className="page" aria-labelledby="dashboard-heading">
      <div className="page-head">
        <div>
          <h1 id="dashboard-heading">{t("dashboard.title")}</h1>
          <p className="lead">{t("dashboard.lead")}</p>
        </div>
      </div>

      <ul className="stat-cards" aria-label={t("dashboard.summary")}>
        <li className="stat-card">
          <span className="stat-value">{formatNumber(mine.size, locale)}</span>
          <span className="stat-label">{t("dashboard.stat.epes")}</span>
        </li>
        <li className={overdue ? "stat-card stat-alert" : "stat-card"}>
          <span className="stat-value" data-testid="overdue-count">
            {formatNumber(overdue, locale)}
          </span>
          <span className="stat-label">{t("dashboard.stat.overdue")}</span>
        </li>
        <li className="stat-card">
          <span className="stat-value">{formatNumber(myIncidents.length, locale)}</span>
          <span className="stat-label">{t("dashboard.stat.openIncidents")}</span>
        </li>
        <li className="stat-card">
          <span className="stat-value">{formatNumber((warnings.data || []).length, locale)}</span>
          <span className="stat-label">{t("dashboard.stat.newWarnings")}</span>
        </li>
      </ul>

      <section aria-labelledby="dash-slots">
        <h2 id="dash-slots">{t("dashboard.slots")}</h2>
        {slots.isPending ? <Loading /> : <TodaysSlots slots={slots.data || []} names={names} />}
      </section>

      <section aria-labelledby="dash-incidents">
        <h2 id="dash-incidents">{t("dashboard.incidents")}</h2>
        {incidents.isPending ? <Loading /> : incidents.isError ? <Problem error={incidents.error} /> : <IncidentTable incidents={myIncidents} caption={t("dashboard.incidents")} />}
      </section>

      <section aria-labelledby="dash-epes">
        <h2 id="dash-epes">{t("dashboard.epes")}</h2>
        {epes.isPending ? (
          <Loading label={t("epes.loading")} />
        ) : epes.isError ? (
          <Problem error={epes.error} />
        ) : !epes.data.length ? (
          <p className="empty">{t("epes.empty")}</p>
        ) : (
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">{t("dashboard.epes")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("epes.col.name")}</th>
                  <th scope="col">{t("epes.col.taxCode")}</th>
                  <th scope="col">{t("dashboard.col.risk")}</th>
                  <th scope="col">{t("dashboard.col.online")}</th>
                  <th scope="col">{t("dashboard.col.offline")}</th>
                </tr>
              </thead>
              <tbody>
                {epes.data.map((row, index) => {
                  const required = (cameras[index]?.data || []).filter((camera) => camera.must_be_online);
                  const online = required.filter((camera) => camera.state === "online").length;
                  const offline = required.filter((camera) => camera.state === "offline").length;
                  return (
                    <tr key={row.epeId} data-epe-id={row.epeId}>
                      <th scope="row">
                        <Link href={`/epes/${encodeURIComponent(row.epeId)}`}>{row.epe ? row.epe.name : row.epeId}</Link>
                      </th>
                      <td>{row.epe ? <code>{row.epe.tax_code}</code> : "—"}</td>
                      <td data-testid="risk-cell">{levels.isPending ? "…" : <RiskBadge level={levelOf.get(row.epeId)} />}</td>
                      <td data-testid="cameras-online">{cameras[index]?.data ? formatNumber(online, locale) : "…"}</td>
                      <td data-testid="cameras-offline" className={offline ? "cell-alert" : undefined}>
                        {cameras[index]?.data ? formatNumber(offline, locale) : "…"}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="dash-warnings">
        <h2 id="dash-warnings">{t("dashboard.warnings")}</h2>
        {warnings.isPending ? <Loading /> : warnings.isError ? <Problem error={warnings.error} /> : <WarningTable warnings={warnings.data} caption={t("dashboard.warnings")} />}
      </section>
    </section>
  );
}

/** The caller's slots today, overdue first, then those still planned, then the recorded ones. */
function TodaysSlots({ slots, names }: { slots: SlotPublic[]; names: Map<string, string> }) {
  const { t } = useI18n();
  if (!slots.length) return <p className="empty">{t("dashboard.noSlots")}</p>;
  return (
    <div className="table-wrap">
      <table className="data-table" data-testid="todays-slots">
        <caption className="visually-hidden">{t("dashboard.slots")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("plan.col.when")}</th>
            <th scope="col">{t("plan.col.epe")}</th>
            <th scope="col">{t("plan.col.state")}</th>
          </tr>
        </thead>
        <tbody>
          {orderTodaysSlots(slots).map((slot) => (
            <tr key={slot.id} className={slot.overdue ? "row-overdue" : undefined} data-slot-id={slot.id}>
              <th scope="row">
                {vietnamTime(slot.starts_at)}–{vietnamTime(slot.ends_at)}
              </th>
              <td>
                <Link href={`/epes/${encodeURIComponent(slot.epe_id)}`}>{names.get(slot.epe_id) || slot.epe_id}</Link>
              </td>
              <td>
                <Badge prefix="plan.slot.state" value={slot.state} /> {slot.overdue ? <strong className="cell-alert">{t("plan.overdue")}</strong> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <Link href="/plan">{t("dashboard.openPlan")}</Link>
      </p>
    </div>
  );
}

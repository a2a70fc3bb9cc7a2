// One EPE: profile and contacts, areas and cameras with their live health, diagram versions,
// Appendix I conformity, the logbook, open incidents and warnings, the risk score with its
// explanation and history, and the evidence requests.

import { useQuery } from "@tanstack/react-query";
import { listAll } from "../api/paging";
import { useOpenIncidents, useRiskHistory, useRiskLevel, useWarnings } from "../api/queries";
import { ApiError } from "../api/problem";
import { listRequests } from "../client/evidence/sdk.gen";
import { requestsOfEpe } from "../evidence/request";
import { RequestTable } from "./EvidenceRequests";
import { RiskBadge } from "../components/RiskBadge";
import { RiskHistoryChart } from "../components/RiskHistoryChart";
import { explanationTotal, formatPoints, historyPoints } from "../risk/score";
import { cameraStates, getEpe, listAreas, listDiagrams, listEntries } from "../client/registry/sdk.gen";
import { ConformitySection } from "../components/ConformitySection";
import { HealthChart } from "../components/HealthChart";
import { IncidentTable } from "../components/IncidentTable";
import { Problem } from "../components/Problem";
import { Badge, Loading, When } from "../components/Status";
import { WarningTable } from "../components/WarningTable";
import { formatDay, formatNumber } from "../format";
import { useI18n } from "../i18n/context";
import { hasMessage } from "../i18n/messages";

/** How often the cameras' health is read again (until the live feed pushes it). */
const HEALTH_REFRESH_MS = 15_000;

function Section({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <section aria-labelledby={id} className="epe-section">
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export default function EpePage({ params }: { params: Record<string, string> }) {
  const { t, locale } = useI18n();
  const epeId = params.epeId;
  const path = { epe_id: epeId };
  const epe = useQuery({ queryKey: ["epe", epeId], queryFn: () => getEpe({ path }).then((r) => r.data) });
  const areas = useQuery({
    queryKey: ["areas", epeId],
    queryFn: () => listAll((cursor) => listAreas({ path, query: { cursor, limit: 200 } }).then((r) => r.data)),
  });
  const health = useQuery({
    queryKey: ["health", epeId],
    queryFn: () => listAll((cursor) => cameraStates({ path, query: { cursor, limit: 200 } }).then((r) => r.data)),
    refetchInterval: HEALTH_REFRESH_MS,
  });
  const diagrams = useQuery({ queryKey: ["diagrams", epeId], queryFn: () => listDiagrams({ path, query: { limit: 50 } }).then((r) => r.data.data) });
  const logbook = useQuery({ queryKey: ["logbook", epeId], queryFn: () => listEntries({ path, query: { limit: 20 } }).then((r) => r.data.data) });
  const incidents = useOpenIncidents(epeId);
  const warnings = useWarnings({ epeId, state: null });
  const evidence = useQuery({
    queryKey: ["evidence-requests", "epe", epeId],
    queryFn: () => listAll((cursor) => listRequests({ query: { cursor, limit: 100 } }).then((r) => r.data)).then((all) => requestsOfEpe(all, epeId)),
  });

  if (epe.isPending) return <Loading />;
  if (epe.isError)
    return (
      <section className="page">
        <h1>{t("epe.title")}</h1>
        <Problem error={epe.error} />
      </section>
    );
  const profile = epe.data;
  const counts: Record<string, number> = { online: 0, offline: 0, unknown: 0, probe_refused: 0 };
  for (const camera of health.data || []) counts[camera.state] = (counts[camera.state] || 0) + 1;

  return (
    <section className="page" aria-labelledby="epe-heading">
      <div className="page-head">
        <div>
          <h1 id="epe-heading">{profile.name}</h1>
          <p className="lead">
            <code>{profile.tax_code}</code> · {profile.address}
          </p>
        </div>
        <Badge prefix="epes.status" value={profile.status} />
      </div>

      <Section id="epe-profile" title={t("epe.profile")}>
        <dl className="facts">
          <dt>{t("epe.unit")}</dt>
          <dd>{profile.unit}</dd>
          <dt>{t("epe.investmentDate")}</dt>
          <dd>{formatDay(profile.investment_certificate_date, locale)}</dd>
          <dt>{t("epe.coverageGaps")}</dt>
          <dd>{formatNumber(profile.open_coverage_gaps ?? 0, locale)}</dd>
        </dl>
        <h3>{t("epe.contacts")}</h3>
        {profile.contacts.length ? (
          <ul className="contacts">
            {profile.contacts.map((contact, index) => (
              <li key={index}>
                {contact.name}
                {contact.role ? ` (${contact.role})` : ""} · <a href={`tel:${contact.phone}`}>{contact.phone}</a>
                {contact.email ? (
                  <>
                    {" · "}
                    <a href={`mailto:${contact.email}`}>{contact.email}</a>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="empty">—</p>
        )}
      </Section>

      <Section id="epe-risk" title={t("risk.title")}>
        <RiskScore epeId={epeId} />
      </Section>

      <Section id="epe-cameras" title={t("epe.cameras")}>
        {health.isPending ? (
          <Loading />
        ) : health.isError ? (
          <Problem error={health.error} />
        ) : (
          <>
            <HealthChart counts={counts} />
            <div className="table-wrap">
              <table className="data-table">
                <caption className="visually-hidden">{t("epe.cameras")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("camera.number")}</th>
                    <th scope="col">{t("camera.state")}</th>
                    <th scope="col">{t("camera.since")}</th>
                    <th scope="col">{t("camera.lastHeartbeat")}</th>
                    <th scope="col">{t("camera.cause")}</th>
                  </tr>
                </thead>
                <tbody>
                  {health.data.map((camera) => (
                    <tr key={camera.camera_id} data-camera-id={camera.camera_id} data-state={camera.state}>
                      <th scope="row">{camera.camera_number}</th>
                      <td>
                        <Badge prefix="camera.state" value={camera.state} />
                      </td>
                      <td>
                        <When value={camera.state_since} />
                      </td>
                      <td>
                        <When value={camera.last_heartbeat_at} />
                      </td>
                      <td>{camera.offline_cause || "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Section>

      <Section id="epe-areas" title={t("epe.areas")}>
        {areas.isPending ? (
          <Loading />
        ) : areas.isError ? (
          <Problem error={areas.error} />
        ) : !areas.data.length ? (
          <p className="empty">{t("epe.noAreas")}</p>
        ) : (
          <ul className="areas">
            {areas.data.map((area) => (
              <li key={area.id}>
                <code>{area.code}</code> {area.name} · {area.kind}
              </li>
            ))}
          </ul>
        )}
      </Section>

      <Section id="epe-diagrams" title={t("epe.diagrams")}>
        {diagrams.isPending ? (
          <Loading />
        ) : diagrams.isError ? (
          <Problem error={diagrams.error} />
        ) : !diagrams.data.length ? (
          <p className="empty">{t("epe.noDiagrams")}</p>
        ) : (
          <ul>
            {diagrams.data.map((diagram) => (
              <li key={diagram.id}>
                {t("epe.diagramVersion", { version: diagram.version })} · {diagram.filename || diagram.content_type} · <When value={diagram.uploaded_at} />
              </li>
            ))}
          </ul>
        )}
      </Section>

      <Section id="epe-conformity" title={t("epe.conformity")}>
        <ConformitySection epeId={epeId} />
      </Section>

      <Section id="epe-logbook" title={t("epe.logbook")}>
        {logbook.isPending ? (
          <Loading />
        ) : logbook.isError ? (
          <Problem error={logbook.error} />
        ) : !logbook.data.length ? (
          <p className="empty">{t("epe.noLogbook")}</p>
        ) : (
          <ul className="logbook">
            {logbook.data.map((entry) => (
              <li key={entry.id}>
                <When value={entry.started_at} /> · {entry.kind} · {entry.description}
              </li>
            ))}
          </ul>
        )}
      </Section>

      <Section id="epe-incidents" title={t("epe.incidents")}>
        {incidents.isPending ? <Loading /> : incidents.isError ? <Problem error={incidents.error} /> : <IncidentTable incidents={incidents.data} caption={t("epe.incidents")} />}
      </Section>

      <Section id="epe-warnings" title={t("epe.warnings")}>
        {warnings.isPending ? <Loading /> : warnings.isError ? <Problem error={warnings.error} /> : <WarningTable warnings={warnings.data} caption={t("epe.warnings")} />}
      </Section>

      <Section id="epe-evidence" title={t("epe.evidence")}>
        {evidence.isPending ? (
          <Loading />
        ) : evidence.isError ? (
          <Problem error={evidence.error} />
        ) : (
          <RequestTable requests={evidence.data} names={new Map([[epeId, profile.name]])} />
        )}
      </Section>
    </section>
  );
}

/**
 * The current level, why (each indicator's value, weight, counted value and points, and
 * their sum, which is the score) and the score's history as a step chart.
 */
function RiskScore({ epeId }: { epeId: string }) {
  const { t, locale } = useI18n();
  const level = useRiskLevel(epeId);
  const history = useRiskHistory(epeId);
  if (level.isPending) return <Loading />;
  if (level.isError)
    return level.error instanceof ApiError && level.error.status === 404 ? <p className="empty">{t("risk.none")}</p> : <Problem error={level.error} />;
  const score = level.data.explanation;
  const points = historyPoints(history.data || []);
  return (
    <>
      <dl className="facts">
        <dt>{t("risk.level")}</dt>
        <dd>
          <RiskBadge level={level.data} />
        </dd>
        <dt>{t("risk.bandSince")}</dt>
        <dd>
          <When value={level.data.band_since} />
        </dd>
        <dt>{t("risk.computedAt")}</dt>
        <dd>
          <When value={level.data.computed_at} />
        </dd>
        <dt>{t("risk.window")}</dt>
        <dd>{t("risk.windowDays", { days: formatNumber(score.window_days, locale) })}</dd>
      </dl>
      <h3 id="risk-explanation">{t("risk.explanation")}</h3>
      <div className="table-wrap">
        <table className="data-table" aria-labelledby="risk-explanation" data-testid="risk-explanation">
          <thead>
            <tr>
              <th scope="col">{t("risk.col.indicator")}</th>
              <th scope="col">{t("risk.col.value")}</th>
              <th scope="col">{t("risk.col.cap")}</th>
              <th scope="col">{t("risk.col.weight")}</th>
              <th scope="col">{t("risk.col.points")}</th>
            </tr>
          </thead>
          <tbody>
            {score.items.map((item) => (
              <tr key={item.indicator}>
                <th scope="row">
                  {hasMessage(`risk.indicator.${item.indicator}`) ? t(`risk.indicator.${item.indicator}`) : item.description || item.indicator}
                </th>
                <td>
                  {formatPoints(item.value, locale)}
                  {item.counted !== item.value ? ` (${t("risk.counted", { counted: formatPoints(item.counted, locale) })})` : ""}
                </td>
                <td>{item.cap === null ? "—" : formatPoints(item.cap, locale)}</td>
                <td>{formatPoints(item.weight, locale)}</td>
                <td>{formatPoints(item.points, locale)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={4}>
                {t("risk.total")}
              </th>
              <td data-testid="risk-total">{formatPoints(explanationTotal(score.items), locale)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
      <h3 id="risk-history">{t("risk.history")}</h3>
      {history.isPending ? (
        <Loading />
      ) : history.isError ? (
        <Problem error={history.error} />
      ) : points.length ? (
        <RiskHistoryChart points={points} />
      ) : (
        <p className="empty">{t("risk.noHistory")}</p>
      )}
    </>
  );
}

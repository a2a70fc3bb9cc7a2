// The daily log digest (seed 2 §3) for IT operators and auditors: each day's counts from the
// audit log, the event bus's dead letters, the gateway's server errors by route, the audit
// and custody chains' checks, and the anomalies to look at. A digest can be made on demand.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { listDigests, runNow } from "../client/access/sdk.gen";
import type { LogDigestPublic } from "../client/access/types.gen";
import { TextField } from "../components/Field";
import { Problem } from "../components/Problem";
import { Loading, When } from "../components/Status";
import { formatDay, formatNumber } from "../format";
import { useI18n } from "../i18n/context";

/** The digest's counts in the order the page shows them (null: not read that day). */
export function countRows(digest: Pick<LogDigestPublic, "counts">): [string, number | null][] {
  const c = digest.counts;
  return [
    ["signins", c.signins],
    ["signinFailures", c.signin_failures],
    ["lockouts", c.lockouts],
    ["reveals", c.reveals],
    ["revealRefusals", c.reveal_refusals],
    ["authorityChanges", c.authority_changes],
    ["deadLetters", c.dead_letters],
    ["serverErrors", c.server_errors ?? 0],
  ];
}

export default function LogDigests() {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [day, setDay] = useState("");
  const digests = useQuery({ queryKey: ["log-digests"], queryFn: () => listDigests({ query: { limit: 14 } }).then((r) => r.data) });
  const run = useMutation({
    mutationFn: () => runNow({ body: { day: day || null } }).then((r) => r.data),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ["log-digests"] }),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    run.mutate();
  }
  return (
    <section className="page" aria-labelledby="digests-heading">
      <div className="page-head">
        <div>
          <h1 id="digests-heading">{t("digests.title")}</h1>
          <p className="lead">{t("digests.lead")}</p>
        </div>
      </div>
      <form className="card authority-form" onSubmit={submit} aria-label={t("digests.run.title")}>
        <TextField label={t("digests.run.day")} hint={t("digests.run.dayHint")} name="day" type="date" value={day} onChange={(event) => setDay(event.target.value)} error={run.error} />
        {run.isError ? <Problem error={run.error} /> : null}
        {run.isSuccess ? (
          <p className="notice" role="status" data-testid="digest-run-done">
            {t(run.data.ok ? "digests.run.doneOk" : "digests.run.doneAnomalies", { count: run.data.anomalies.length })}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={run.isPending}>
            {t("digests.run.submit")}
          </button>
        </div>
      </form>
      {digests.isPending ? (
        <Loading />
      ) : digests.isError ? (
        <Problem error={digests.error} />
      ) : !digests.data.data.length ? (
        <p className="empty">{t("digests.empty")}</p>
      ) : (
        digests.data.data.map((digest) => <Digest key={digest.id} digest={digest} />)
      )}
    </section>
  );
}

function Digest({ digest }: { digest: LogDigestPublic }) {
  const { t, locale } = useI18n();
  const heading = `digest-${digest.id}`;
  const custody = digest.custody_chain;
  return (
    <section className="card" aria-labelledby={heading} data-digest-id={digest.id}>
      <h2 id={heading}>
        {t("digests.day", { day: formatDay(digest.day, locale) })} <span className={`badge badge-${digest.ok ? "active" : "suspended"}`}>{t(digest.ok ? "digests.ok" : "digests.anomalies")}</span>
      </h2>
      <p className="muted">
        {t(`digests.trigger.${digest.trigger}`)} · <When value={digest.created_at} />
      </p>
      {digest.anomalies.length ? (
        <ul data-testid="digest-anomalies">
          {digest.anomalies.map((text) => (
            <li key={text} className="cell-alert">
              {text}
            </li>
          ))}
        </ul>
      ) : null}
      <dl className="facts">
        {countRows(digest).map(([key, value]) => (
          <div className="fact" key={key}>
            <dt>{t(`digests.count.${key}`)}</dt>
            <dd>{value === null ? t("digests.notRead") : formatNumber(value, locale)}</dd>
          </div>
        ))}
        <div className="fact">
          <dt>{t("digests.auditChain")}</dt>
          <dd>{digest.audit_chain.ok ? t("digests.chainOk", { records: formatNumber(digest.audit_chain.records_checked, locale) }) : digest.audit_chain.problem || t("digests.chainBroken")}</dd>
        </div>
        <div className="fact">
          <dt>{t("digests.custodyChain")}</dt>
          <dd>{custody === null ? t("digests.custodyMissing") : custody.verified ? t("digests.chainOk", { records: formatNumber(custody.records_checked, locale) }) : custody.problem || t("digests.chainBroken")}</dd>
        </div>
      </dl>
      {digest.counts.server_errors_by_route?.length ? (
        <div className="table-wrap">
          <table className="data-table">
            <caption>{t("digests.serverErrors")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("digests.col.route")}</th>
                <th scope="col">{t("digests.col.count")}</th>
                <th scope="col">{t("digests.col.statuses")}</th>
              </tr>
            </thead>
            <tbody>
              {digest.counts.server_errors_by_route.map((route) => (
                <tr key={`${route.service} ${route.method} ${route.route}`}>
                  <th scope="row">
                    <code>
                      {route.service} {route.method} {route.route}
                    </code>
                  </th>
                  <td>{formatNumber(route.count, locale)}</td>
                  <td>
                    {Object.entries(route.by_status)
                      .map(([status, n]) => `${n} × ${status}`)
                      .join(", ")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

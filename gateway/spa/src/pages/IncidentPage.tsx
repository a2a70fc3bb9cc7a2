// One incident: its facts and deadline, the Appendix II notice (PDF), the surveillance plan
// agreement, the daily follow-up form, extension notices, the manual gate log the EPE keeps
// meanwhile and the timeline.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { listAll } from "../api/paging";
import { addFollowUp, getFollowUps, getGateLog, getIncident, getNoticePdf, getTimeline } from "../client/incidents/sdk.gen";
import { Countdown } from "../components/Countdown";
import { TextArea } from "../components/Field";
import { PlanSection } from "../components/PlanForm";
import { Problem } from "../components/Problem";
import { Badge, Loading, When } from "../components/Status";
import { formatDay } from "../format";
import { useI18n } from "../i18n/context";
import { Link } from "../router";

async function downloadNotice(noticeId: string): Promise<void> {
  const answer = await getNoticePdf({ path: { notice_id: noticeId }, parseAs: "blob" });
  const url = URL.createObjectURL(answer.data as Blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `appendix-ii-${noticeId}.pdf`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function FollowUpForm({ incidentId }: { incidentId: string }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [note, setNote] = useState("");
  const save = useMutation({
    mutationFn: () => addFollowUp({ path: { incident_id: incidentId }, body: { note } }),
    onSuccess: () => {
      setNote("");
      void queries.invalidateQueries({ queryKey: ["follow-ups", incidentId] });
      void queries.invalidateQueries({ queryKey: ["timeline", incidentId] });
      void queries.invalidateQueries({ queryKey: ["incident", incidentId] });
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  return (
    <form className="card" onSubmit={submit} aria-labelledby="follow-up-heading">
      <h3 id="follow-up-heading">{t("incident.followUp.title")}</h3>
      {save.isError ? <Problem error={save.error} /> : null}
      {save.isSuccess ? (
        <p className="notice" role="status">
          {t("incident.followUp.saved")}
        </p>
      ) : null}
      <TextArea label={t("incident.followUp.note")} name="note" hint={t("incident.followUp.hint")} required maxLength={4000} rows={4} value={note} onChange={(e) => setNote(e.target.value)} error={save.error} />
      <button type="submit" className="button-primary" disabled={save.isPending}>
        {save.isPending ? t("form.saving") : t("incident.followUp.save")}
      </button>
    </form>
  );
}

export default function IncidentPage({ params }: { params: Record<string, string> }) {
  const { t, locale } = useI18n();
  const incidentId = params.incidentId;
  const path = { incident_id: incidentId };
  const incident = useQuery({ queryKey: ["incident", incidentId], queryFn: () => getIncident({ path }).then((r) => r.data) });
  const timeline = useQuery({
    queryKey: ["timeline", incidentId],
    queryFn: () => listAll((cursor) => getTimeline({ path, query: { cursor, limit: 200 } }).then((r) => r.data)),
  });
  const followUps = useQuery({
    queryKey: ["follow-ups", incidentId],
    queryFn: () => listAll((cursor) => getFollowUps({ path, query: { cursor, limit: 100 } }).then((r) => r.data)),
  });
  const gateLog = useQuery({
    queryKey: ["gate-log", incidentId],
    queryFn: () => listAll((cursor) => getGateLog({ path, query: { cursor, limit: 100 } }).then((r) => r.data)),
  });
  const pdf = useMutation({ mutationFn: downloadNotice });

  if (incident.isPending) return <Loading />;
  if (incident.isError)
    return (
      <section className="page">
        <h1>{t("incident.title")}</h1>
        <Problem error={incident.error} />
      </section>
    );
  const item = incident.data;
  return (
    <section className="page" aria-labelledby="incident-heading">
      <div className="page-head">
        <div>
          <h1 id="incident-heading">{t("incident.heading", { id: item.id.slice(-8) })}</h1>
          <p className="lead">
            <Link href={`/epes/${encodeURIComponent(item.epe_id)}`}>{item.enterprise_name || item.epe_id}</Link>
          </p>
        </div>
        <Badge prefix="incident.state" value={item.state} />
      </div>

      <dl className="facts">
        <dt>{t("incidents.col.kind")}</dt>
        <dd>
          <Badge prefix="incident.kind" value={item.kind} tone="kind" />
        </dd>
        <dt>{t("incidents.col.opened")}</dt>
        <dd>
          <When value={item.opened_at} />
        </dd>
        <dt>{t("incident.notifiedAt")}</dt>
        <dd>
          <When value={item.notified_at} />
        </dd>
        <dt>{t("incidents.col.deadline")}</dt>
        <dd>
          <Countdown incident={item} />
        </dd>
        <dt>{t("incident.cameras")}</dt>
        <dd>{item.camera_ids.length ? item.camera_ids.join(", ") : "—"}</dd>
        <dt>{t("incident.missedFollowUps")}</dt>
        <dd data-testid="missed-follow-ups">{item.missed_follow_up_days.length ? item.missed_follow_up_days.map((day) => formatDay(day, locale)).join(", ") : "—"}</dd>
      </dl>

      {item.notice_id ? (
        <p>
          <button type="button" className="button-secondary" onClick={() => pdf.mutate(item.notice_id!)} disabled={pdf.isPending}>
            {t("incident.noticePdf")}
          </button>
        </p>
      ) : null}
      {pdf.isError ? <Problem error={pdf.error} /> : null}

      <PlanSection incident={item} />

      <section aria-labelledby="incident-follow-ups">
        <h2 id="incident-follow-ups">{t("incident.followUps")}</h2>
        {item.state !== "closed" && !item.restored_at ? <FollowUpForm incidentId={incidentId} /> : null}
        {followUps.isError ? (
          <Problem error={followUps.error} />
        ) : !followUps.data?.length ? (
          <p className="empty">{t("incident.noFollowUps")}</p>
        ) : (
          <ul className="follow-ups">
            {followUps.data.map((entry) => (
              <li key={entry.id}>
                {formatDay(entry.day, locale)} · {entry.note}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="incident-extensions">
        <h2 id="incident-extensions">{t("incident.extensions")}</h2>
        {!item.extensions.length ? (
          <p className="empty">{item.extension_required ? t("incident.extensionMissing") : t("incident.noExtensions")}</p>
        ) : (
          <ul>
            {item.extensions.map((extension) => (
              <li key={extension.id}>
                <When value={extension.filed_at} /> · {extension.reasons} · {t("incident.expectedBy")} <When value={extension.expected_completion_at} />
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="incident-gate-log">
        <h2 id="incident-gate-log">{t("incident.gateLog")}</h2>
        {gateLog.isError ? (
          <Problem error={gateLog.error} />
        ) : !gateLog.data?.length ? (
          <p className="empty">{t("incident.noGateLog")}</p>
        ) : (
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">{t("incident.gateLog")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("gateLog.at")}</th>
                  <th scope="col">{t("gateLog.direction")}</th>
                  <th scope="col">{t("gateLog.plate")}</th>
                  <th scope="col">{t("gateLog.containers")}</th>
                </tr>
              </thead>
              <tbody>
                {gateLog.data.map((entry) => (
                  <tr key={entry.id}>
                    <td>
                      <When value={entry.occurred_at} />
                    </td>
                    <td>{t(`gateLog.${entry.direction}`)}</td>
                    <th scope="row">{entry.plate}</th>
                    <td>{entry.container_numbers.join(", ") || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="incident-timeline">
        <h2 id="incident-timeline">{t("incident.timeline")}</h2>
        {timeline.isError ? (
          <Problem error={timeline.error} />
        ) : (
          <ol className="timeline">
            {(timeline.data || []).map((entry) => (
              <li key={entry.id}>
                <When value={entry.at} /> · <strong>{entry.action}</strong> · {entry.actor}
              </li>
            ))}
          </ol>
        )}
      </section>
    </section>
  );
}

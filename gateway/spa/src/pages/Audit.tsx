// The auditor's page: search the access service's audit log and verify its keyed hash chain
// (every link's MAC and the anchors in object-locked storage).

import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { listRecords, verify } from "../client/access/sdk.gen";
import { TextField } from "../components/Field";
import { Problem } from "../components/Problem";
import { Loading, When } from "../components/Status";
import { formatNumber, vietnamInstant } from "../format";
import { useI18n } from "../i18n/context";

interface Search {
  action: string;
  target: string;
  since: string;
  until: string;
}

const EMPTY: Search = { action: "", target: "", since: "", until: "" };

export default function Audit() {
  const { t, locale } = useI18n();
  const [form, setForm] = useState<Search>(EMPTY);
  const [search, setSearch] = useState<Search>(EMPTY);
  const records = useQuery({
    queryKey: ["audit", search],
    queryFn: () =>
      listRecords({
        query: {
          limit: 100,
          action: search.action || undefined,
          target: search.target || undefined,
          since: vietnamInstant(search.since) || undefined,
          until: vietnamInstant(search.until) || undefined,
        },
      }).then((r) => r.data),
  });
  const check = useMutation({ mutationFn: () => verify().then((r) => r.data) });
  const set = (name: keyof Search) => (event: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [name]: event.target.value });

  function submit(event: FormEvent) {
    event.preventDefault();
    setSearch(form);
  }

  return (
    <section className="page" aria-labelledby="audit-heading">
      <div className="page-head">
        <div>
          <h1 id="audit-heading">{t("audit.title")}</h1>
          <p className="lead">{t("audit.lead")}</p>
        </div>
      </div>

      <section aria-labelledby="audit-verify">
        <h2 id="audit-verify">{t("audit.verify.title")}</h2>
        <button type="button" className="button-primary" onClick={() => check.mutate()} disabled={check.isPending}>
          {check.isPending ? t("audit.verify.running") : t("audit.verify.run")}
        </button>
        {check.isError ? <Problem error={check.error} /> : null}
        {check.data ? (
          <div className={check.data.ok ? "notice" : "problem"} role={check.data.ok ? "status" : "alert"} data-testid="chain-result">
            <p>
              <strong>{check.data.ok ? t("audit.verify.ok") : t("audit.verify.broken", { seq: String(check.data.first_broken?.seq ?? "?") })}</strong>
            </p>
            <p>{t("audit.verify.counts", { records: formatNumber(check.data.records_checked, locale), anchors: formatNumber(check.data.anchors_checked ?? 0, locale) })}</p>
          </div>
        ) : null}
      </section>

      <section aria-labelledby="audit-search">
        <h2 id="audit-search">{t("audit.search.title")}</h2>
        <form className="card audit-form" onSubmit={submit}>
          <TextField label={t("audit.search.action")} name="action" value={form.action} onChange={set("action")} maxLength={200} error={records.error} />
          <TextField label={t("audit.search.target")} name="target" value={form.target} onChange={set("target")} maxLength={200} error={records.error} />
          <TextField label={t("audit.search.since")} name="since" type="datetime-local" value={form.since} onChange={set("since")} error={records.error} />
          <TextField label={t("audit.search.until")} name="until" type="datetime-local" value={form.until} onChange={set("until")} error={records.error} />
          <button type="submit" className="button-secondary">
            {t("audit.search.run")}
          </button>
        </form>
        {records.isPending ? (
          <Loading />
        ) : records.isError ? (
          <Problem error={records.error} />
        ) : !records.data.data.length ? (
          <p className="empty">{t("audit.search.empty")}</p>
        ) : (
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">{t("audit.search.title")}</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">{t("audit.col.at")}</th>
                  <th scope="col">{t("audit.col.actor")}</th>
                  <th scope="col">{t("audit.col.action")}</th>
                  <th scope="col">{t("audit.col.target")}</th>
                  <th scope="col">{t("audit.col.outcome")}</th>
                </tr>
              </thead>
              <tbody>
                {records.data.data.map((record) => (
                  <tr key={record.seq} data-seq={record.seq}>
                    <th scope="row">{record.seq}</th>
                    <td>
                      <When value={record.occurred_at} />
                    </td>
                    <td>{record.actor}</td>
                    <td>
                      <code>{record.action}</code>
                    </td>
                    <td>{record.target || "—"}</td>
                    <td>{record.outcome}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </section>
  );
}

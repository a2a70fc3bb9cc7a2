// The unit's report for a period: each section's figures as a chart and a table, and the same
// report as CSV, XLSX or PDF, fetched with the bearer token and saved from a Blob (the token
// stays in memory, never in a URL).

import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useUser } from "../auth/useUser";
import { getReport } from "../client/risk/sdk.gen";
import type { Section } from "../client/risk/types.gen";
import { TextField } from "../components/Field";
import { Problem } from "../components/Problem";
import { Loading, When } from "../components/Status";
import { formatDay, formatNumber, vietnamToday } from "../format";
import { useI18n } from "../i18n/context";
import { hasMessage } from "../i18n/messages";
import { chartRows, defaultPeriod, formatRate, reportFileName } from "../reports/report";

type FileFormat = "csv" | "xlsx" | "pdf";
const FORMATS: FileFormat[] = ["csv", "xlsx", "pdf"];

async function download(start: string, end: string, format: FileFormat, unit: string): Promise<void> {
  const answer = await getReport({ query: { start, end, format }, parseAs: "blob" });
  const url = URL.createObjectURL(answer.data as unknown as Blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = reportFileName(unit, start, end, format);
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function useLabels() {
  const { t } = useI18n();
  const known = (key: string, fallback: string) => (hasMessage(key) ? t(key) : fallback);
  return {
    section: (section: Section) => known(`report.section.${section.name}`, section.title),
    column: (name: string) => known(`report.column.${name}`, name),
    value: (column: string, value: string) => known(`report.value.${column}.${value}`, value),
  };
}

function SectionView({ section }: { section: Section }) {
  const { t, locale } = useI18n();
  const labels = useLabels();
  const title = labels.section(section);
  const rated = section.rows.some((row) => row.rate !== null && row.rate !== undefined);
  const bars = chartRows(section.rows, (key, column) => labels.value(section.columns[column] || "", key));
  const summary = bars.map((bar) => `${bar.name}: ${formatNumber(bar.count, locale)}`).join(", ");
  const id = `report-${section.name}`;
  return (
    <section className="card report-section" aria-labelledby={id} data-section={section.name}>
      <h2 id={id}>{title}</h2>
      <p className="summary">{t("report.total", { total: formatNumber(section.total, locale) })}</p>
      {section.rows.length && section.name !== "enterprises" ? (
        <div className="chart" role="img" aria-label={`${title}: ${summary}`}>
          <ResponsiveContainer width="100%" height={Math.max(160, 32 * bars.length + 40)}>
            <BarChart data={bars} layout="vertical" margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" horizontal={false} />
              <XAxis type="number" allowDecimals={false} />
              <YAxis type="category" dataKey="name" width={200} tick={{ fontSize: 12 }} />
              <Tooltip />
              <Bar dataKey="count" fill="#0b5cab" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      ) : null}
      {!section.rows.length ? (
        <p className="empty">{t("report.noRows")}</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                {section.columns.map((column) => (
                  <th key={column} scope="col">
                    {labels.column(column)}
                  </th>
                ))}
                <th scope="col">{t("report.count")}</th>
                {rated ? <th scope="col">{t("report.rate")}</th> : null}
              </tr>
            </thead>
            <tbody>
              {section.rows.map((row) => (
                <tr key={row.keys.join("|")}>
                  {row.keys.map((key, column) => (
                    <td key={column}>{labels.value(section.columns[column] || "", key)}</td>
                  ))}
                  <td>{formatNumber(row.count, locale)}</td>
                  {rated ? <td>{formatRate(row.rate, locale)}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export default function Reports() {
  const { t, locale } = useI18n();
  const user = useUser();
  const unit = user?.unit || "";
  const [form, setForm] = useState(() => defaultPeriod(vietnamToday()));
  const [period, setPeriod] = useState(form);
  const report = useQuery({
    queryKey: ["report", period.start, period.end],
    queryFn: () => getReport({ query: { start: period.start, end: period.end } }).then((r) => r.data),
  });
  const file = useMutation({ mutationFn: (format: FileFormat) => download(period.start, period.end, format, unit) });
  const set = (name: "start" | "end") => (event: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [name]: event.target.value });
  function submit(event: FormEvent) {
    event.preventDefault();
    setPeriod(form);
  }
  return (
    <section className="page" aria-labelledby="reports-heading">
      <div className="page-head">
        <div>
          <h1 id="reports-heading">{t("reports.title")}</h1>
          <p className="lead">{t("reports.lead")}</p>
        </div>
      </div>
      <form className="card audit-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="report-unit">{t("report.unit")}</label>
          <input id="report-unit" readOnly value={user?.unitName ? `${user.unitName} (${unit})` : unit} />
        </div>
        <TextField label={t("report.start")} name="start" type="date" required value={form.start} onChange={set("start")} error={report.error} />
        <TextField label={t("report.end")} name="end" type="date" required value={form.end} onChange={set("end")} error={report.error} />
        <button type="submit" className="button-primary">
          {t("report.show")}
        </button>
      </form>

      <div className="filters" role="group" aria-label={t("report.download")}>
        {FORMATS.map((format) => (
          <button key={format} type="button" className="button-secondary" data-format={format} onClick={() => file.mutate(format)} disabled={file.isPending}>
            {t(`report.download.${format}`)}
          </button>
        ))}
      </div>
      {file.isError ? <Problem error={file.error} /> : null}

      {report.isPending ? (
        <Loading />
      ) : report.isError ? (
        <Problem error={report.error} />
      ) : (
        <>
          <p className="summary" data-testid="report-period">
            {t("report.period", { start: formatDay(report.data.start, locale), end: formatDay(report.data.end, locale) })} · {t("report.generated")} <When value={report.data.generated_at} />
          </p>
          {report.data.sections.map((section) => (
            <SectionView key={section.name} section={section} />
          ))}
        </>
      )}
    </section>
  );
}

// The EPEs the user supervises: an officer's assignments (name, tax code and address from the
// registry), a head's whole unit. An EPE the registry cannot show still appears, by its id.

import { useUser } from "../auth/useUser";
import { useMyEpes } from "../api/queries";
import { Problem, errorTitle } from "../components/Problem";
import { Badge, Loading } from "../components/Status";
import { formatDate, formatDateTime, isoDateTime } from "../format";
import { useI18n } from "../i18n/context";
import { Link } from "../router";

export default function AssignedEpes() {
  const { t, tn, locale } = useI18n();
  const user = useUser();
  const epes = useMyEpes(user);
  const rows = epes.data || [];
  return (
    <section className="page" aria-labelledby="epes-heading">
      <div className="page-head">
        <div>
          <h1 id="epes-heading">{t("epes.title")}</h1>
          <p className="lead">{t("epes.lead")}</p>
        </div>
        <button type="button" className="button-secondary" disabled={epes.isFetching} onClick={() => epes.refetch()}>
          {t("epes.reload")}
        </button>
      </div>
      <p id="epes-summary" className="summary" role="status">
        {epes.isPending || epes.isError ? "" : tn("epes.count", rows.length)}
        {epes.dataUpdatedAt ? ` · ${t("epes.loadedAt", { time: formatDateTime(epes.dataUpdatedAt / 1000, locale) })}` : ""}
      </p>
      {epes.isPending ? (
        <Loading label={t("epes.loading")} />
      ) : epes.isError ? (
        <Problem error={epes.error} />
      ) : !rows.length ? (
        <p className="empty">{t("epes.empty")}</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" aria-describedby="epes-summary">
            <thead>
              <tr>
                <th scope="col">{t("epes.col.name")}</th>
                <th scope="col">{t("epes.col.taxCode")}</th>
                <th scope="col">{t("epes.col.address")}</th>
                <th scope="col">{t("epes.col.status")}</th>
                <th scope="col">{t("epes.col.assignedAt")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ epeId, epe, assignment, error }) => (
                <tr key={epeId} data-epe-id={epeId}>
                  <th scope="row">
                    <Link href={`/epes/${encodeURIComponent(epeId)}`} className="epe-name">
                      {epe ? epe.name : epeId}
                    </Link>
                    <span className="epe-id">{epeId}</span>
                  </th>
                  <td className="tax-code">{epe ? <code>{epe.tax_code}</code> : "—"}</td>
                  <td>{epe ? epe.address : <span className="muted">{`${t("epes.registryUnavailable")}: ${errorTitle(error, t)}`}</span>}</td>
                  <td>{epe ? <Badge prefix="epes.status" value={epe.status} /> : "—"}</td>
                  <td>
                    {assignment ? (
                      <time dateTime={isoDateTime(assignment.assigned_at)} title={formatDateTime(assignment.assigned_at, locale)}>
                        {formatDate(assignment.assigned_at, locale)}
                      </time>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

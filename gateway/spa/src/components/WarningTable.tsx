// Warnings as a table: rule, subject, severity, state, when.

import type { WarningPublic } from "../client/risk/types.gen";
import { useI18n } from "../i18n/context";
import { Link } from "../router";
import { Badge, When } from "./Status";

export function WarningTable({ warnings, caption }: { warnings: WarningPublic[]; caption: string }) {
  const { t } = useI18n();
  if (!warnings.length) return <p className="empty">{t("warnings.empty")}</p>;
  return (
    <div className="table-wrap">
      <table className="data-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("warnings.col.rule")}</th>
            <th scope="col">{t("warnings.col.subject")}</th>
            <th scope="col">{t("warnings.col.epe")}</th>
            <th scope="col">{t("warnings.col.severity")}</th>
            <th scope="col">{t("warnings.col.state")}</th>
            <th scope="col">{t("warnings.col.raised")}</th>
          </tr>
        </thead>
        <tbody>
          {warnings.map((warning) => (
            <tr key={warning.id} data-warning-id={warning.id}>
              <th scope="row">
                <Link href={`/warnings/${encodeURIComponent(warning.id)}`}>
                  <Badge prefix="warning.rule" value={warning.rule} tone="rule" />
                </Link>
              </th>
              <td>
                <code>{warning.subject}</code>
              </td>
              <td>{warning.epe_id}</td>
              <td>
                <Badge prefix="warning.severity" value={warning.severity} tone={`severity-${warning.severity}`} />
              </td>
              <td>
                <Badge prefix="warning.state" value={warning.state} />
              </td>
              <td>
                <When value={warning.raised_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

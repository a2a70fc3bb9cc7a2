// Small shared pieces: loading line, a translated badge for a server code, a <time>.

import { formatDateTime, isoDateTime } from "../format";
import { useI18n } from "../i18n/context";
import { hasMessage } from "../i18n/messages";

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p className="loading" role="status">
      {label || t("app.loading")}
    </p>
  );
}

/** A server code (state, kind...) shown as its translation under `prefix`, else as itself. */
export function Badge({ prefix, value, tone }: { prefix: string; value: string | null | undefined; tone?: string }) {
  const { t } = useI18n();
  if (!value) return <>—</>;
  const key = `${prefix}.${value}`;
  return <span className={`badge badge-${tone || value}`}>{hasMessage(key) ? t(key) : value}</span>;
}

export function When({ value }: { value: string | number | null | undefined }) {
  const { locale } = useI18n();
  if (value === null || value === undefined || value === "") return <>—</>;
  return <time dateTime={isoDateTime(value)}>{formatDateTime(value, locale)}</time>;
}

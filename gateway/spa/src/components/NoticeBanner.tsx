// Maintenance and breakdown notices above every page: the current ones read once from the
// access service, then kept current by the live channel (its access.maintenance.* events
// invalidate the query), so an announcement shows without a reload.

import { useQuery } from "@tanstack/react-query";
import { listNotices } from "../client/access/sdk.gen";
import type { NoticePublic } from "../client/access/types.gen";
import { formatDateTime, isoDateTime } from "../format";
import { useI18n } from "../i18n/context";

export function useCurrentNotices(enabled: boolean) {
  return useQuery({
    queryKey: ["maintenance", "current"],
    enabled,
    queryFn: (): Promise<NoticePublic[]> =>
      listNotices({ query: { current: true, limit: 20 } }).then((r) => r.data.data),
  });
}

function label(t: (key: string) => string, key: string, code: string): string {
  const text = t(`${key}.${code}`);
  return text === `${key}.${code}` ? code : text;
}

export function NoticeBanner({ enabled }: { enabled: boolean }) {
  const { t, locale } = useI18n();
  const notices = useCurrentNotices(enabled);
  const current = notices.data || [];
  if (!current.length) return null;
  return (
    <section className="notice-banner" aria-label={t("notice.label")} data-testid="notice-banner">
      <ul>
        {current.map((notice) => (
          <li key={notice.id} className={notice.kind === "breakdown" ? "notice-item notice-breakdown" : "notice-item"} data-notice={notice.id}>
            <strong>{label(t, "notice.kind", notice.kind)}</strong>{" "}
            <span className="notice-title">{notice.title}</span>{" "}
            <span className="notice-window">
              {t("notice.from")} <time dateTime={isoDateTime(notice.starts_at)}>{formatDateTime(notice.starts_at, locale)}</time>
              {notice.ends_at ? (
                <>
                  {" "}
                  {t("notice.until")} <time dateTime={isoDateTime(notice.ends_at)}>{formatDateTime(notice.ends_at, locale)}</time>
                </>
              ) : null}
            </span>{" "}
            <span className="notice-state">({label(t, "notice.state", notice.state)})</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

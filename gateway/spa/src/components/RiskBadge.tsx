// An EPE's risk level: the band's colour with its name in words (never colour alone), and
// the score when known.

import type { LevelPublic } from "../client/risk/types.gen";
import { formatPoints } from "../risk/score";
import { useI18n } from "../i18n/context";

export function RiskBadge({ level }: { level: Pick<LevelPublic, "band" | "score"> | null | undefined }) {
  const { t, locale } = useI18n();
  if (!level)
    return (
      <span className="badge" data-testid="risk-level" data-band="none">
        {t("cameras.band.none")}
      </span>
    );
  return (
    <span className={`badge badge-band-${level.band}`} data-testid="risk-level" data-band={level.band}>
      {t(`cameras.band.${level.band}`)} · {t("risk.points", { score: formatPoints(level.score, locale) })}
    </span>
  );
}

// An EPE's score over time as a step chart (recharts): the score holds until the next
// computation. Points are epoch milliseconds (format.ts reads numbers as seconds, hence
// the Dates). An image for screen readers, labelled with the latest points in words; the
// band thresholds are not drawn (they are the unit's configuration, not in the history).

import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatDate, formatDateTime } from "../format";
import { useI18n } from "../i18n/context";
import { formatPoints, type HistoryPoint } from "../risk/score";

export function RiskHistoryChart({ points }: { points: HistoryPoint[] }) {
  const { t, locale } = useI18n();
  const latest = points
    .slice(-5)
    .map((point) => `${formatDateTime(new Date(point.at), locale)}: ${formatPoints(point.score, locale)} (${t(`cameras.band.${point.band}`)})`)
    .join("; ");
  return (
    <div className="chart" role="img" aria-label={`${t("risk.historyChart", { count: String(points.length) })}. ${latest}`} data-testid="risk-history-chart">
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="at" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={(value: number) => formatDate(new Date(value), locale)} tick={{ fontSize: 12 }} />
          <YAxis width={40} tickFormatter={(value: number) => formatPoints(value, locale)} />
          <Tooltip labelFormatter={(value) => formatDateTime(new Date(Number(value)), locale)} formatter={(value) => [formatPoints(Number(value), locale), t("risk.score")]} />
          <Line type="stepAfter" dataKey="score" stroke="#0b4f8a" strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

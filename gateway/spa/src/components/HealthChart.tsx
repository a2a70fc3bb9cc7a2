// The cameras of an EPE by state, as a bar chart (recharts). The chart is an image for
// screen readers, labelled with the same counts the table beside it lists.

import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useI18n } from "../i18n/context";

const COLOURS: Record<string, string> = {
  online: "#1b7a3a",
  offline: "#b3261e",
  unknown: "#6b6b6b",
  probe_refused: "#8a5a00",
};

export function HealthChart({ counts }: { counts: Record<string, number> }) {
  const { t } = useI18n();
  const data = Object.entries(counts).map(([state, count]) => ({ state, label: t(`camera.state.${state}`), count }));
  const summary = data.map((item) => `${item.label}: ${item.count}`).join(", ");
  return (
    <div className="chart" role="img" aria-label={`${t("epe.healthChart")}: ${summary}`}>
      <ResponsiveContainer width="100%" height={180}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" interval={0} tick={{ fontSize: 12 }} />
          <YAxis allowDecimals={false} width={32} />
          <Tooltip />
          <Bar dataKey="count" isAnimationActive={false}>
            {data.map((item) => (
              <Cell key={item.state} fill={COLOURS[item.state] || "#555"} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

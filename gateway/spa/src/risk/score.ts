// An EPE's risk score as the pages show it: the explanation's total, the history as chart
// points, and today's monitoring-plan slots in the order an officer works them.

import type { ExplanationItem, ScorePublic, SlotPublic } from "../client/risk/types.gen";

/** The sum of the items' points (the score the risk service stored), to 2 decimals. */
export function explanationTotal(items: Pick<ExplanationItem, "points">[]): number {
  return Math.round(items.reduce((sum, item) => sum + item.points, 0) * 100) / 100;
}

export interface HistoryPoint {
  /** Milliseconds since the epoch: recharts' numeric time axis. */
  at: number;
  score: number;
  band: ScorePublic["band"];
}

/** The scores oldest first (the API pages newest first), one point each, for a step chart. */
export function historyPoints(scores: Pick<ScorePublic, "computed_at" | "score" | "band">[]): HistoryPoint[] {
  return scores
    .map((score) => ({ at: Date.parse(score.computed_at), score: score.score, band: score.band }))
    .filter((point) => !Number.isNaN(point.at))
    .sort((a, b) => a.at - b.at);
}

/** Slots still to be worked first (overdue, then planned), each group by start; results last. */
export function orderTodaysSlots<T extends Pick<SlotPublic, "id" | "starts_at" | "state" | "overdue">>(slots: T[]): T[] {
  const rank = (slot: T) => (slot.overdue ? 0 : slot.state === "planned" ? 1 : 2);
  return [...slots].sort((a, b) => rank(a) - rank(b) || a.starts_at.localeCompare(b.starts_at) || a.id.localeCompare(b.id));
}

/** A score or its points in the locale's convention, up to 2 decimals (`12,5` in Vietnamese). */
export function formatPoints(value: number, locale: string): string {
  // `|| 0`: a negative weight times 0 is -0, shown as "-0" otherwise.
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value || 0);
}

import { describe, expect, it } from "vitest";
import { explanationTotal, formatPoints, historyPoints, orderTodaysSlots } from "./score";

describe("explanationTotal", () => {
  it("sums the points to 2 decimals", () => {
    expect(explanationTotal([{ points: 10.1 }, { points: 0.2 }, { points: 5 }])).toBe(15.3);
    expect(explanationTotal([])).toBe(0);
  });
});

describe("historyPoints", () => {
  it("orders the scores oldest first as epoch points", () => {
    const points = historyPoints([
      { computed_at: "2026-11-30T03:00:00Z", score: 42, band: "yellow" },
      { computed_at: "2026-11-28T03:00:00Z", score: 10, band: "green" },
      { computed_at: "not a date", score: 99, band: "red" },
    ]);
    expect(points).toEqual([
      { at: Date.parse("2026-11-28T03:00:00Z"), score: 10, band: "green" },
      { at: Date.parse("2026-11-30T03:00:00Z"), score: 42, band: "yellow" },
    ]);
  });
});

describe("orderTodaysSlots", () => {
  it("puts overdue first, then planned, then recorded, each by start", () => {
    const slot = (id: string, starts_at: string, state: string, overdue = false) => ({ id, starts_at, state: state as never, overdue });
    const ordered = orderTodaysSlots([
      slot("done", "2026-11-30T01:00:00Z", "done"),
      slot("late", "2026-11-30T04:00:00Z", "planned"),
      slot("early", "2026-11-30T02:00:00Z", "planned"),
      slot("overdue", "2026-11-30T05:00:00Z", "planned", true),
    ]);
    expect(ordered.map((s) => s.id)).toEqual(["overdue", "early", "late", "done"]);
  });
});

describe("formatPoints", () => {
  it("keeps up to 2 decimals in the locale's convention", () => {
    expect(formatPoints(12.5, "vi")).toBe("12,5");
    expect(formatPoints(1234.567, "en")).toBe("1,234.57");
    expect(formatPoints(3, "vi")).toBe("3");
    expect(formatPoints(-3 * 0, "vi")).toBe("0");
  });
});

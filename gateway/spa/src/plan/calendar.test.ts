import { describe, expect, it } from "vitest";
import {
  calendarWeeks,
  canRecordResult,
  currentPlan,
  monthDays,
  overdueSlots,
  shiftMonth,
  slotsByDay,
  vietnamDayOf,
  vietnamMonth,
  vietnamTime,
  workingDayFromBasis,
} from "./calendar";

const slot = (id: string, starts_at: string, extra: Partial<{ state: string; overdue: boolean }> = {}) => ({
  id,
  starts_at,
  ends_at: starts_at,
  state: "planned",
  overdue: false,
  ...extra,
});

describe("the plan calendar", () => {
  it("lays a month out in Monday-first weeks", () => {
    // February 2026 starts on a Sunday: six leading blanks, then 28 days and one trailing blank.
    const weeks = calendarWeeks("2026-02");
    expect(weeks[0]).toEqual([null, null, null, null, null, null, "2026-02-01"]);
    expect(weeks[1][0]).toBe("2026-02-02");
    expect(weeks.at(-1)).toEqual(["2026-02-23", "2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27", "2026-02-28", null]);
    expect(weeks.flat().filter(Boolean)).toEqual(monthDays("2026-02"));
    expect(weeks.every((week) => week.length === 7)).toBe(true);
  });

  it("counts the days of months, leap years included", () => {
    expect(monthDays("2028-02")).toHaveLength(29);
    expect(monthDays("2026-12").at(-1)).toBe("2026-12-31");
  });

  it("moves across years", () => {
    expect(shiftMonth("2026-12", 1)).toBe("2027-01");
    expect(shiftMonth("2026-01", -1)).toBe("2025-12");
    expect(shiftMonth("2026-05", 0)).toBe("2026-05");
  });

  it("places slots on their Vietnam day, whatever the UTC date", () => {
    // 23:30 UTC on the 1st is 06:30 on the 2nd in Vietnam.
    const byDay = slotsByDay([slot("b", "2026-02-02T02:30:00Z"), slot("a", "2026-02-01T23:30:00Z"), slot("c", "2026-02-03T00:30:00Z")]);
    expect([...byDay.keys()]).toEqual(["2026-02-02", "2026-02-03"]);
    expect(byDay.get("2026-02-02")!.map((s) => s.id)).toEqual(["a", "b"]);
    expect(vietnamTime("2026-02-02T00:30:00Z")).toBe("07:30");
    expect(vietnamDayOf("2026-01-31T17:00:00Z")).toBe("2026-02-01");
    expect(vietnamMonth(new Date("2026-11-30T18:00:00Z"))).toBe("2026-12");
  });

  it("lists overdue slots oldest first and allows a result once a planned slot started", () => {
    const slots = [slot("late2", "2026-02-05T00:30:00Z", { overdue: true }), slot("ok", "2026-02-04T00:30:00Z"), slot("late1", "2026-02-03T00:30:00Z", { overdue: true })];
    expect(overdueSlots(slots).map((s) => s.id)).toEqual(["late1", "late2"]);
    const now = new Date("2026-02-04T01:00:00Z");
    expect(canRecordResult(slots[1], now)).toBe(true);
    expect(canRecordResult(slots[0], now)).toBe(false);
    expect(canRecordResult({ ...slots[1], state: "done" }, now)).toBe(false);
  });

  it("shows the draft or approved plan before a returned one", () => {
    const plans = [
      { id: "r", state: "returned", drafted_at: "2026-01-20T00:00:00Z" },
      { id: "d", state: "draft", drafted_at: "2026-01-10T00:00:00Z" },
    ];
    expect(currentPlan(plans)?.id).toBe("d");
    expect(currentPlan([plans[0]])?.id).toBe("r");
    expect(currentPlan([])).toBeNull();
  });

  it("takes working days from the plan's basis (holidays), else Monday to Friday", () => {
    const basis = workingDayFromBasis({ working_days: ["2026-02-02"] });
    expect(basis("2026-02-02")).toBe(true);
    expect(basis("2026-02-16")).toBe(false); // Tet, a Monday
    const fallback = workingDayFromBasis(null);
    expect(fallback("2026-02-16")).toBe(true);
    expect(fallback("2026-02-21")).toBe(false);
  });
});

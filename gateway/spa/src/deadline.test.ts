import { describe, expect, it } from "vitest";
import { addDays, daysBetween, isWeekday, workingDaysLeft } from "./deadline";

describe("working days left", () => {
  it("counts the working days after today up to the deadline day", () => {
    // Monday 2 March 2026 to Friday 6 March: Tue..Fri.
    expect(workingDaysLeft("2026-03-02", "2026-03-06")).toBe(4);
    // Friday to the next Tuesday: Monday and Tuesday (the weekend is skipped).
    expect(workingDaysLeft("2026-03-06", "2026-03-10")).toBe(2);
  });

  it("is 0 on the deadline day and negative once it has passed", () => {
    expect(workingDaysLeft("2026-03-06", "2026-03-06")).toBe(0);
    expect(workingDaysLeft("2026-03-10", "2026-03-06")).toBe(-2);
  });

  it("follows the calendar it is given (holidays, swaps)", () => {
    // Hung Kings day 2026 (a Sunday 26 April, observed Monday 27) then 30 April and 1 May.
    const holidays = new Set(["2026-04-27", "2026-04-30", "2026-05-01"]);
    const isWorking = (day: string) => isWeekday(day) && !holidays.has(day);
    expect(workingDaysLeft("2026-04-24", "2026-05-05", isWorking)).toBe(4);
  });

  it("walks calendar days across months and years", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(daysBetween("2026-02-27", "2026-03-02")).toEqual(["2026-02-28", "2026-03-01", "2026-03-02"]);
    expect(daysBetween("2026-03-02", "2026-03-01")).toEqual([]);
  });
});

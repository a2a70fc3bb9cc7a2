import { describe, expect, it } from "vitest";
import { chartRows, defaultPeriod, formatRate, reportFileName } from "./report";

describe("the report page's logic", () => {
  it("defaults to this month so far, or last month on the 1st", () => {
    expect(defaultPeriod("2026-02-17")).toEqual({ start: "2026-02-01", end: "2026-02-17" });
    expect(defaultPeriod("2026-03-01")).toEqual({ start: "2026-02-01", end: "2026-02-28" });
    expect(defaultPeriod("2027-01-01")).toEqual({ start: "2026-12-01", end: "2026-12-31" });
  });

  it("makes one bar per row with translated keys", () => {
    const rows = [{ keys: ["plate_not_declared", "new"], count: 3, rate: 0.75 }, { keys: [], count: 1 }];
    expect(chartRows(rows, (key, column) => (column === 1 ? key.toUpperCase() : key))).toEqual([
      { name: "plate_not_declared · NEW", count: 3 },
      { name: "—", count: 1 },
    ]);
  });

  it("names the file and formats rates in the locale", () => {
    expect(reportFileName("CC HQ/KCX", "2026-02-01", "2026-02-28", "xlsx")).toBe("bao-cao-CC-HQ-KCX-2026-02-01-2026-02-28.xlsx");
    expect(formatRate(0.125, "vi")).toBe("12,5%");
    expect(formatRate(null, "en")).toBe("—");
  });
});

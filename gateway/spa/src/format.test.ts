// Times shown in Vietnam time (UTC+7) whatever the machine's zone, day first.

import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatDay, formatNumber, vietnamToday } from "./format";

// 20:30 UTC on 31 January is 03:30 on 1 February in Vietnam.
const LATE_EVENING_UTC = "2026-01-31T20:30:00Z";

describe("dates in Asia/Ho_Chi_Minh", () => {
  it("moves an instant to Vietnam's day and time, in Vietnamese format", () => {
    expect(formatDateTime(LATE_EVENING_UTC, "vi-VN")).toBe("03:30 01/02/2026");
  });

  it("uses the English locale's day-first form too", () => {
    expect(formatDateTime(LATE_EVENING_UTC, "en-GB")).toBe("01/02/2026, 03:30");
    expect(formatDate(LATE_EVENING_UTC, "en-GB")).toBe("01/02/2026");
  });

  it("reads epoch seconds (token claims) and ignores absent values", () => {
    expect(formatDate(Date.parse(LATE_EVENING_UTC) / 1000, "vi-VN")).toBe("01/02/2026");
    expect(formatDateTime(null, "vi-VN")).toBe("");
    expect(formatDateTime("not a date", "vi-VN")).toBe("");
  });

  it("shows a calendar day as sent, not shifted by any zone", () => {
    expect(formatDay("2026-04-30", "vi-VN")).toBe("30/04/2026");
  });

  it("knows Vietnam's today when UTC is still on yesterday", () => {
    expect(vietnamToday(new Date(LATE_EVENING_UTC))).toBe("2026-02-01");
    expect(vietnamToday(new Date("2026-01-31T16:59:00Z"))).toBe("2026-01-31");
  });
});

describe("numbers", () => {
  it("groups with dots and decimals with a comma in Vietnamese", () => {
    expect(formatNumber(1234.5, "vi-VN", 1)).toBe("1.234,5");
    expect(formatNumber(1234.5, "en-GB", 1)).toBe("1,234.5");
  });
});

describe("instants typed in Vietnam time", () => {
  it("adds Vietnam's offset to a datetime-local value", async () => {
    const { vietnamInstant } = await import("./format");
    expect(vietnamInstant("2026-02-01T03:30")).toBe("2026-02-01T03:30:00+07:00");
    expect(Date.parse(vietnamInstant("2026-02-01T03:30"))).toBe(Date.parse("2026-01-31T20:30:00Z"));
    expect(vietnamInstant("")).toBe("");
  });
});

import { describe, expect, it } from "vitest";
import { EMPTY_REQUEST, formatBytes, isOpen, requestBody, requestsOfEpe, uploadProgress } from "./request";

describe("the evidence pages' logic", () => {
  it("sends Vietnam times as instants and the due days as a number or the default", () => {
    const body = requestBody({
      ...EMPTY_REQUEST,
      epeId: "epe-1",
      cameras: ["cam-1"],
      ranges: [{ start: "2026-02-01T08:00", end: "2026-02-01T10:30" }],
      reason: "Đối chiếu",
      dueWorkingDays: " 3 ",
    });
    expect(body).toEqual({
      epe_id: "epe-1",
      cameras: ["cam-1"],
      time_ranges: [{ start: "2026-02-01T08:00:00+07:00", end: "2026-02-01T10:30:00+07:00" }],
      reason: "Đối chiếu",
      due_working_days: 3,
    });
    expect(requestBody(EMPTY_REQUEST).due_working_days).toBeNull();
  });

  it("sums upload progress over the files", () => {
    expect(uploadProgress([])).toEqual({ received: 0, size: 0, ratio: 0, complete: 0 });
    const progress = uploadProgress([
      { size: 100, received: 100, state: "uploaded" },
      { size: 300, received: 100, state: "uploading" },
    ]);
    expect(progress).toEqual({ received: 200, size: 400, ratio: 0.5, complete: 1 });
  });

  it("knows the open states and formats sizes", () => {
    expect(["requested", "uploading", "overdue"].every(isOpen)).toBe(true);
    expect(["submitted", "sealed", "cancelled"].some(isOpen)).toBe(false);
    expect(formatBytes(512, "vi")).toBe("512 B");
    expect(formatBytes(1536, "vi")).toBe("1,5 KB");
    expect(formatBytes(5 * 1024 ** 3, "en")).toBe("5 GB");
  });
});

describe("a field error on a list item", () => {
  it("finds the server's message whether the path uses brackets or dots", async () => {
    const { ApiError } = await import("../api/problem");
    const error = new ApiError({ status: 422, errors: [{ field: "body.time_ranges[1].start", message: "in the future" }] });
    expect(error.fieldMessage("time_ranges.1.start")).toBe("in the future");
    expect(error.fieldMessage("time_ranges.0.start")).toBeNull();
    const dotted = new ApiError({ status: 422, errors: [{ field: "body.time_ranges.0.end", message: "missing" }] });
    expect(dotted.fieldMessage("time_ranges.0.end")).toBe("missing");
  });
});

describe("requestsOfEpe", () => {
  it("keeps the EPE's requests, overdue first, then open, then closed, newest first", () => {
    const request = (id: string, epe_id: string, state: string, requested_at: string) => ({ id, epe_id, state, requested_at });
    const rows = requestsOfEpe(
      [
        request("sealed", "E1", "sealed", "2026-11-29T00:00:00Z"),
        request("other", "E2", "overdue", "2026-11-29T00:00:00Z"),
        request("old-open", "E1", "requested", "2026-11-01T00:00:00Z"),
        request("new-open", "E1", "uploading", "2026-11-20T00:00:00Z"),
        request("late", "E1", "overdue", "2026-10-01T00:00:00Z"),
      ],
      "E1",
    );
    expect(rows.map((row) => row.id)).toEqual(["late", "new-open", "old-open", "sealed"]);
  });
});

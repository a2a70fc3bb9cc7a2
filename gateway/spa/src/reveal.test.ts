import { describe, expect, it, vi } from "vitest";
import type { RevealedSecret } from "./client/access/types.gen";
import { revealOnce, secondsLeft, stepUpFresh, type RevealSteps } from "./reveal";

const SECRET: RevealedSecret = {
  entry_id: "e1",
  epe_id: "EPE-1",
  version: 1,
  access_method: "internet",
  access_url: "https://nvr.example/",
  account: "viewer",
  password: "s3cret",
  notes: null,
};

function steps(calls: string[]): RevealSteps {
  return {
    stepUp: vi.fn(async (code: string) => {
      calls.push(`step-up ${code}`);
      return { valid_until: "2026-01-01T00:05:00Z" };
    }),
    request: vi.fn(async (entryId: string, reason: string) => {
      calls.push(`request ${entryId} ${reason}`);
      return { handle: "handle-1" };
    }),
    open: vi.fn(async (handle: string) => {
      calls.push(`open ${handle}`);
      return SECRET;
    }),
  };
}

const NOW = Date.parse("2026-01-01T00:00:00Z");

describe("the reveal-once flow", () => {
  it("steps up with the code typed, then asks for a handle and opens it at once", async () => {
    const calls: string[] = [];
    const result = await revealOnce(steps(calls), { entryId: "e1", reason: "kiểm tra cổng", code: " 123456 ", stepUpValidUntil: null }, NOW);
    expect(calls).toEqual(["step-up 123456", "request e1 kiểm tra cổng", "open handle-1"]);
    expect(result).toEqual({ secret: SECRET, stepUpValidUntil: "2026-01-01T00:05:00Z" });
    expect(JSON.stringify(result)).not.toContain("handle-1");
  });

  it("skips the step-up while the last one is fresh, not when it is about to lapse", async () => {
    const calls: string[] = [];
    await revealOnce(steps(calls), { entryId: "e1", reason: "reason long", code: "", stepUpValidUntil: "2026-01-01T00:04:00Z" }, NOW);
    expect(calls[0]).toBe("request e1 reason long");
    calls.length = 0;
    await revealOnce(steps(calls), { entryId: "e1", reason: "reason long", code: "", stepUpValidUntil: "2026-01-01T00:00:10Z" }, NOW);
    expect(calls[0]).toBe("step-up ");
  });

  it("stops at the first refused step", async () => {
    const failing = steps([]);
    failing.stepUp = async () => {
      throw new Error("401");
    };
    await expect(revealOnce(failing, { entryId: "e1", reason: "reason long", code: "000000", stepUpValidUntil: null }, NOW)).rejects.toThrow("401");
    expect(failing.request).not.toHaveBeenCalled();
  });

  it("counts whole seconds down to zero", () => {
    expect(secondsLeft(NOW + 60_000, NOW)).toBe(60);
    expect(secondsLeft(NOW + 59_001, NOW)).toBe(60);
    expect(secondsLeft(NOW + 1, NOW)).toBe(1);
    expect(secondsLeft(NOW - 5_000, NOW)).toBe(0);
    expect(stepUpFresh(null, NOW)).toBe(false);
    expect(stepUpFresh("not a date", NOW)).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import type { WallTile } from "../client/access/types.gen";
import type { LevelPublic, SlotPublic } from "../client/risk/types.gen";
import { orderWall, slotsOn, warningWindow } from "./wall";

const tile = (epe: string, number: string): WallTile => ({
  camera_id: `${epe}-${number}`,
  epe_id: epe,
  epe_name: epe,
  camera_number: number,
  position_kind: "epe_gate",
  viewable: true,
  snapshot_url: "/s",
  live_url: "/l",
});
const level = (epe: string, band: "green" | "yellow" | "red", score: number) =>
  ({ epe_id: epe, band, score, score_id: "s", config_version: 1, band_since: "", computed_at: "" }) as LevelPublic;
const slot = (epe: string, starts: string, ends: string) =>
  ({ id: epe, epe_id: epe, officer_id: null, starts_at: starts, ends_at: ends, state: "planned", overdue: false }) as unknown as SlotPublic;

describe("orderWall", () => {
  it("puts red before yellow before green before unknown, higher scores first, keeping camera order", () => {
    const tiles = [tile("A", "C01"), tile("A", "C02"), tile("B", "C01"), tile("C", "C01"), tile("D", "C01"), tile("E", "C01")];
    const levels = [level("A", "green", 10), level("B", "red", 70), level("C", "yellow", 40), level("E", "red", 90)];
    const ordered = orderWall(tiles, levels, []);
    expect(ordered.map((t) => t.camera_id)).toEqual(["E-C01", "B-C01", "C-C01", "A-C01", "A-C02", "D-C01"]);
    expect(ordered[0].band).toBe("red");
    expect(ordered[5].band).toBeNull();
  });

  it("within a band, an EPE with a plan slot today comes first", () => {
    const tiles = [tile("A", "C01"), tile("B", "C01")];
    const ordered = orderWall(tiles, [], [slot("B", "2026-03-02T01:00:00Z", "2026-03-02T03:00:00Z")]);
    expect(ordered.map((t) => t.epe_id)).toEqual(["B", "A"]);
    expect(ordered[0].slots).toHaveLength(1);
  });
});

describe("slotsOn", () => {
  it("keeps the slots overlapping the Vietnam day", () => {
    const slots = [
      slot("A", "2026-03-01T17:30:00Z", "2026-03-01T18:30:00Z"), // 00:30-01:30 on 2 March in Vietnam
      slot("B", "2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z"), // 1 March
      slot("C", "2026-03-02T16:00:00Z", "2026-03-02T18:00:00Z"), // 23:00 2 March - 01:00 3 March
    ];
    expect(slotsOn(slots, "2026-03-02").map((s) => s.epe_id)).toEqual(["A", "C"]);
  });
});

describe("warningWindow", () => {
  it("covers five minutes on each side and is live only while now is inside", () => {
    const at = "2026-03-02T03:00:00Z";
    const window = warningWindow(at, new Date("2026-03-02T03:02:00Z"));
    expect(window).toEqual({ start: "2026-03-02T02:55:00.000Z", end: "2026-03-02T03:05:00.000Z", live: true });
    expect(warningWindow(at, new Date("2026-03-02T03:06:00Z")).live).toBe(false);
    expect(warningWindow(at, new Date("2026-03-02T02:50:00Z")).live).toBe(false);
  });
});

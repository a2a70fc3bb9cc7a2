// The watch wall's order and a warning's camera window: pure functions, tested on their own.

import type { WallTile } from "../client/access/types.gen";
import type { LevelPublic, SlotPublic } from "../client/risk/types.gen";

const BAND_RANK: Record<string, number> = { red: 0, yellow: 1, green: 2 };

export interface Tile extends WallTile {
  band: string | null;
  score: number | null;
  /** Today's monitoring-plan slots of the tile's EPE (Vietnam day). */
  slots: SlotPublic[];
}

/**
 * The wall's tiles by risk: red, yellow, green, then EPEs without a level; within a band the
 * higher score first, then EPEs with a plan slot today, then the wall's own order (assignment
 * order, cameras by number), which the sort keeps (Array.sort is stable).
 */
export function orderWall(tiles: WallTile[], levels: LevelPublic[], slots: SlotPublic[]): Tile[] {
  const level = new Map(levels.map((item) => [item.epe_id, item]));
  const slotsOf = new Map<string, SlotPublic[]>();
  for (const slot of slots) slotsOf.set(slot.epe_id, [...(slotsOf.get(slot.epe_id) || []), slot]);
  const rows: Tile[] = tiles.map((tile) => ({
    ...tile,
    band: level.get(tile.epe_id)?.band ?? null,
    score: level.get(tile.epe_id)?.score ?? null,
    slots: slotsOf.get(tile.epe_id) || [],
  }));
  const rank = (row: Tile) => (row.band !== null && row.band in BAND_RANK ? BAND_RANK[row.band] : 3);
  return rows.sort(
    (a, b) => rank(a) - rank(b) || (b.score ?? -1) - (a.score ?? -1) || Number(b.slots.length > 0) - Number(a.slots.length > 0),
  );
}

/** Slots of an approved plan that overlap the Vietnam calendar day `day` (YYYY-MM-DD). */
export function slotsOn(slots: SlotPublic[], day: string): SlotPublic[] {
  const start = Date.parse(`${day}T00:00:00+07:00`);
  const end = start + 24 * 3600 * 1000;
  return slots.filter((slot) => Date.parse(slot.starts_at) < end && Date.parse(slot.ends_at) > start);
}

/** Minutes on each side of a warning's instant that its camera window covers. */
export const WINDOW_MINUTES = 5;

export interface CameraWindow {
  start: string;
  end: string;
  /** The window reaches now: the camera is watched live, not requested as evidence. */
  live: boolean;
}

/** The warning's time window (occurred ± WINDOW_MINUTES), live when `now` is inside it. */
export function warningWindow(occurredAt: string, now: Date = new Date()): CameraWindow {
  const at = Date.parse(occurredAt);
  const span = WINDOW_MINUTES * 60 * 1000;
  const start = new Date(at - span);
  const end = new Date(at + span);
  return { start: start.toISOString(), end: end.toISOString(), live: now.getTime() >= start.getTime() && now.getTime() < end.getTime() };
}

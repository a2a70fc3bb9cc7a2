// How a camera is named on screen (its accessible name too).

type T = (key: string, params?: Record<string, string | number>) => string;

export function positionName(t: T, kind: string): string {
  const key = `cameras.position.${kind}`;
  return t(key) === key ? kind : t(key);
}

/** "EPE name · camera C01 · gate", the camera's accessible name. */
export function cameraLabel(t: T, tile: { epe_name: string; camera_number: string; position_kind: string }): string {
  return t("cameras.label", { epe: tile.epe_name, camera: tile.camera_number, position: positionName(t, tile.position_kind) });
}

// The watch wall (Decision II.2.1.a): snapshots of the required cameras of the EPEs on the
// officer's list, refreshed every few seconds, ordered by risk level (red first), EPEs with a
// monitoring-plan slot today marked; `?live=<camera id>` opens a camera's live view above.

import { useQuery } from "@tanstack/react-query";
import { orderWall, type Tile } from "../cameras/wall";
import { cameraLabel, positionName } from "../cameras/labels";
import { formatHourMinute } from "../cameras/time";
import { watchWall } from "../client/access/sdk.gen";
import { useRiskLevels, useTodaysSlots } from "../api/queries";
import { LiveView, SnapshotView, WALL_REFRESH_MS } from "../components/CameraView";
import { Problem } from "../components/Problem";
import { Badge, Loading } from "../components/Status";
import { useI18n } from "../i18n/context";
import { Link, useLocation } from "../router";

function WallTile({ tile }: { tile: Tile }) {
  const { t, locale } = useI18n();
  const label = cameraLabel(t, tile);
  const captionId = `tile-${tile.camera_id}`;
  return (
    <li className="wall-tile" data-camera={tile.camera_id} data-band={tile.band || "none"}>
      <figure aria-labelledby={captionId}>
        {tile.viewable ? <SnapshotView url={tile.snapshot_url} label={label} /> : <div className="camera-placeholder">{t("cameras.notViewable")}</div>}
        <figcaption id={captionId}>
          <span className="wall-epe">{tile.epe_name}</span>
          <span className="wall-camera">
            {tile.camera_number} · {positionName(t, tile.position_kind)}
          </span>
          <span className="wall-badges">
            {tile.band ? <Badge prefix="cameras.band" value={tile.band} tone={`band-${tile.band}`} /> : <span className="badge">{t("cameras.band.none")}</span>}
            {tile.slots.map((slot) => (
              <span key={slot.id} className="badge badge-slot">
                {t("cameras.slot", { from: formatHourMinute(slot.starts_at, locale), to: formatHourMinute(slot.ends_at, locale) })}
              </span>
            ))}
          </span>
        </figcaption>
      </figure>
      {tile.viewable ? (
        <Link href={`/wall?live=${encodeURIComponent(tile.camera_id)}`} className="button-secondary wall-live" aria-label={t("cameras.openLiveOf", { camera: label })}>
          {t("cameras.openLive")}
        </Link>
      ) : null}
    </li>
  );
}

export default function Wall() {
  const { t, tn } = useI18n();
  const live = new URLSearchParams(useLocation().split("?")[1] || "").get("live");
  const wall = useQuery({ queryKey: ["wall"], queryFn: () => watchWall().then((r) => r.data), refetchInterval: 60_000 });
  const levels = useRiskLevels(60_000);
  const slots = useTodaysSlots({ refetchInterval: 300_000 });
  if (wall.isPending) return <Loading />;
  if (wall.isError)
    return (
      <section className="page">
        <h1>{t("wall.title")}</h1>
        <Problem error={wall.error} />
      </section>
    );
  const tiles = orderWall(wall.data.tiles, levels.data || [], slots.data || []);
  const watched = live ? tiles.find((tile) => tile.camera_id === live) : undefined;
  return (
    <section className="page" aria-labelledby="wall-heading">
      <div className="page-head">
        <div>
          <h1 id="wall-heading">{t("wall.title")}</h1>
          <p className="lead">{t("wall.lead", { seconds: WALL_REFRESH_MS / 1000 })}</p>
        </div>
      </div>
      {watched ? (
        <section className="card live-panel" aria-labelledby="live-heading">
          <div className="page-head">
            <h2 id="live-heading">{t("cameras.liveOf", { camera: cameraLabel(t, watched) })}</h2>
            <Link href="/wall" className="button-secondary">
              {t("cameras.closeLive")}
            </Link>
          </div>
          <LiveView key={watched.camera_id} liveUrl={watched.live_url} snapshotUrl={watched.snapshot_url} label={cameraLabel(t, watched)} />
          <p className="muted">{t("cameras.audited")}</p>
        </section>
      ) : live ? (
        <p className="empty">{t("cameras.unknownCamera")}</p>
      ) : null}
      <p className="summary">{tn("wall.count", tiles.length)}</p>
      {tiles.length ? (
        <ul className="camera-wall" aria-label={t("wall.title")}>
          {tiles.map((tile) => (
            <WallTile key={tile.camera_id} tile={tile} />
          ))}
        </ul>
      ) : (
        <p className="empty">{t("wall.empty")}</p>
      )}
    </section>
  );
}

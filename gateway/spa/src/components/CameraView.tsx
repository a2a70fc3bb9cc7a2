// A camera's image on screen: the wall's refreshed snapshot, or a live view. The image's
// alternative text names the camera and the time of the frame; failures are said in words.

import { errorTitle } from "./Problem";
import { useLiveView, useSnapshot, type Frame } from "../cameras/frames";
import { formatClock } from "../cameras/time";
import { ApiError } from "../api/problem";
import { useI18n } from "../i18n/context";

/** How often a wall tile's snapshot is fetched again. */
export const WALL_REFRESH_MS = 3000;

function FrameImage({ frame, label, testId }: { frame: Frame; label: string; testId: string }) {
  const { t, locale } = useI18n();
  const at = frame.at ? formatClock(frame.at, locale) : null;
  return (
    <div className="camera-frame">
      {frame.src ? (
        <img src={frame.src} alt={at ? t("cameras.frameAt", { camera: label, time: at }) : label} data-testid={testId} />
      ) : (
        <div className="camera-placeholder" aria-hidden={frame.error ? "true" : undefined}>
          {frame.error ? null : t("cameras.waiting")}
        </div>
      )}
      <p className={frame.error ? "camera-status camera-status-error" : "camera-status"}>
        {frame.error ? (
          <>
            {t("cameras.failed")}: {errorTitle(frame.error, t)}
            {frame.error instanceof ApiError && frame.error.detail ? ` (${frame.error.detail})` : ""}
          </>
        ) : at ? (
          t("cameras.updatedAt", { time: at })
        ) : null}
      </p>
    </div>
  );
}

/** A snapshot fetched again every `intervalMs`. */
export function SnapshotView({ url, label, intervalMs = WALL_REFRESH_MS }: { url: string; label: string; intervalMs?: number }) {
  const frame = useSnapshot(url, intervalMs);
  return <FrameImage frame={frame} label={label} testId="camera-snapshot" />;
}

/** The live MJPEG view (snapshots every second when the stream cannot be read). */
export function LiveView({ liveUrl, snapshotUrl, label }: { liveUrl: string; snapshotUrl: string; label: string }) {
  const { t } = useI18n();
  const frame = useLiveView(liveUrl, snapshotUrl, 1000);
  return (
    <div className="live-view">
      <FrameImage frame={frame} label={label} testId="camera-live" />
      <p className="muted">{frame.mode === "stream" ? t("cameras.mode.stream") : t("cameras.mode.snapshots")}</p>
    </div>
  );
}

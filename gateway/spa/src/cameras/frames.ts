// Camera images through the gateway with the bearer token: a snapshot refreshed every few
// seconds, and the live MJPEG stream read through fetch. Each JPEG becomes an object URL (the
// token never goes in a URL); the previous one is revoked once the next is shown.

import { useEffect, useState } from "react";
import { authorizedFetch } from "../api/clients";
import { ApiError, problemFrom } from "../api/problem";
import { boundaryOf, MjpegParser } from "./mjpeg";

export interface Frame {
  /** An object URL of the latest JPEG, or null before the first. */
  src: string | null;
  /** The last failure (an ApiError for a problem answer), null once a frame arrives again. */
  error: unknown;
  /** When the latest frame arrived (ms since the epoch). */
  at: number | null;
}

async function failure(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return problemFrom(response, body);
}

/** Keep one object URL in state; revoke each one when it is replaced or the view closes. */
function useObjectUrl(): [Frame, (blob: Blob) => void, (error: unknown) => void] {
  const [frame, setFrame] = useState<Frame>({ src: null, error: null, at: null });
  useEffect(() => {
    const src = frame.src;
    return () => {
      if (src) URL.revokeObjectURL(src);
    };
  }, [frame.src]);
  const show = (blob: Blob) => setFrame({ src: URL.createObjectURL(blob), error: null, at: Date.now() });
  const fail = (error: unknown) => setFrame((previous) => ({ ...previous, error }));
  return [frame, show, fail];
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = window.setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      window.clearTimeout(timer);
      resolve();
    });
  });

/**
 * The camera's snapshot, fetched again `intervalMs` after the previous answer (so a slow camera
 * is never asked twice at once); paused while the tab is hidden.
 */
export function useSnapshot(url: string | null, intervalMs: number): Frame {
  const [frame, show, fail] = useObjectUrl();
  useEffect(() => {
    if (!url) return;
    const stop = new AbortController();
    (async () => {
      while (!stop.signal.aborted) {
        if (document.visibilityState !== "hidden") {
          try {
            const response = await authorizedFetch(url, { signal: stop.signal, cache: "no-store" });
            if (!response.ok) throw await failure(response);
            const blob = await response.blob();
            if (!stop.signal.aborted) show(blob);
          } catch (error) {
            if (!stop.signal.aborted) fail(error);
          }
        }
        await sleep(intervalMs, stop.signal);
      }
    })();
    return () => stop.abort();
  }, [url, intervalMs]);
  return frame;
}

/**
 * The live MJPEG view read through fetch streaming (the Authorization header goes with it, as
 * an <img src> could not send it). A stream that ends (the service's time limit) is opened
 * again; when it cannot be read at all (no ReadableStream, a broken stream) the view goes on
 * with snapshots every `fallbackMs`. A problem answer is shown and not retried.
 */
export function useLiveView(liveUrl: string | null, snapshotUrl: string | null, fallbackMs: number): Frame & { mode: "stream" | "snapshots" } {
  const [frame, show, fail] = useObjectUrl();
  const [mode, setMode] = useState<"stream" | "snapshots">("stream");
  const snapshot = useSnapshot(mode === "snapshots" ? snapshotUrl : null, fallbackMs);
  useEffect(() => {
    if (!liveUrl) return;
    const stop = new AbortController();
    setMode("stream");
    (async () => {
      // A live view ends after the service's time limit (30 min): it is opened again.
      while (!stop.signal.aborted) {
        try {
          const response = await authorizedFetch(liveUrl, { signal: stop.signal, cache: "no-store" });
          if (!response.ok) throw await failure(response);
          const boundary = boundaryOf(response.headers.get("content-type"));
          if (!boundary || !response.body) throw new Error("not an MJPEG stream");
          const parser = new MjpegParser(boundary);
          const reader = response.body.getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done || stop.signal.aborted) break;
            const frames = parser.push(value);
            if (frames.length) show(new Blob([frames[frames.length - 1] as BlobPart], { type: "image/jpeg" }));
          }
        } catch (error) {
          if (stop.signal.aborted) return;
          fail(error);
          // A problem answer (403, 409, 502, 504...) stands; anything else: go on with snapshots.
          if (!(error instanceof ApiError)) setMode("snapshots");
          return;
        }
        await sleep(1000, stop.signal);
      }
    })();
    return () => stop.abort();
  }, [liveUrl]);
  if (mode === "snapshots") return { ...snapshot, mode };
  return { ...frame, mode };
}

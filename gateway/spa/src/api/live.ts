// The gateway's live channel (GET /api/live, server-sent events fed by NATS): read with fetch
// so the access token travels in the Authorization header (never in a URL), resumed with
// Last-Event-ID, reconnected by itself with a growing delay. Each event invalidates the
// TanStack queries it concerns, so the pages read again what changed instead of polling.

import type { QueryClient, QueryKey } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";

export const LIVE_URL = "/api/live";

export interface SseFrame {
  id?: string;
  event: string;
  data: string;
}

/** Splits a growing text buffer into complete SSE frames; returns them and what is left. */
export function parseSse(buffer: string): { frames: SseFrame[]; rest: string } {
  const frames: SseFrame[] = [];
  const normalised = buffer.replace(/\r\n?/g, "\n");
  const blocks = normalised.split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let event = "message";
    let id: string | undefined;
    const data: string[] = [];
    let fields = 0;
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue; // comments: heartbeats
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      fields += 1;
      if (name === "event") event = value;
      else if (name === "id") id = value;
      else if (name === "data") data.push(value);
    }
    if (fields && (data.length || event !== "message")) frames.push({ id, event, data: data.join("\n") });
  }
  return { frames, rest };
}

/** The queries an event makes stale (prefixes: ["cameras", epe] covers every page of it). */
export function queriesFor(type: string, data: Record<string, unknown>): QueryKey[] {
  const epe = typeof data.epe_id === "string" ? data.epe_id : null;
  if (type.startsWith("registry.camera.") || type.startsWith("registry.coverage_gap.")) {
    return epe ? [["cameras", epe], ["health", epe], ["conformity", epe]] : [["cameras"], ["health"]];
  }
  if (type.startsWith("risk.warning.")) {
    const warning = typeof data.warning_id === "string" ? data.warning_id : null;
    return [["warnings"], ...(warning ? [["warning", warning]] : [])];
  }
  if (type.startsWith("risk.level.")) return [["risk"], ...(epe ? [["epe", epe]] : [])];
  if (type.startsWith("incidents.")) {
    const incident = typeof data.incident_id === "string" ? data.incident_id : null;
    return [
      ["incidents"],
      ...(incident ? [["incident", incident], ["timeline", incident], ["follow-ups", incident], ["gate-log", incident]] : []),
    ];
  }
  if (type.startsWith("access.maintenance.")) return [["maintenance"]];
  return [];
}

/** Milliseconds before reconnection attempt `n` (1, 2, ...): 1 s doubling up to 30 s, ±20%. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export type LiveStatus = "connecting" | "open" | "closed";

export interface LiveOptions {
  queries: QueryClient;
  token: () => Promise<string | null>;
  refresh: () => Promise<boolean>;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  onStatus?: (status: LiveStatus) => void;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Follow the live channel until `stop()`: on each event the queries it concerns are
 * invalidated; `reset` (the gateway no longer has what was missed) and every reconnection
 * without a resumable id invalidate everything; `expired`/`revoked` fetch a fresh token and
 * reconnect at once; a 401 refreshes once and gives up when that fails (signed out).
 */
export function startLive(options: LiveOptions): () => void {
  const { queries, token, refresh, onStatus } = options;
  const fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? defaultSleep;
  const stopped = new AbortController();
  let lastId: string | undefined;
  let connectedBefore = false;

  const handle = (frame: SseFrame): "reconnect" | null => {
    if (frame.id) lastId = frame.id;
    if (frame.event === "reset") {
      void queries.invalidateQueries();
      return null;
    }
    if (frame.event === "expired" || frame.event === "revoked" || frame.event === "overflow" || frame.event === "shutdown") {
      return "reconnect";
    }
    let body: { data?: Record<string, unknown> };
    try {
      body = JSON.parse(frame.data);
    } catch {
      return null;
    }
    for (const key of queriesFor(frame.event, body.data ?? {})) void queries.invalidateQueries({ queryKey: key });
    return null;
  };

  const connectOnce = async (): Promise<"retry" | "again" | "stop"> => {
    const bearer = await token();
    if (!bearer) return "stop";
    const headers: Record<string, string> = { Authorization: `Bearer ${bearer}`, Accept: "text/event-stream" };
    if (lastId) headers["Last-Event-ID"] = lastId;
    const response = await fetchImpl(LIVE_URL, { headers, signal: stopped.signal, cache: "no-store" });
    if (response.status === 401) return (await refresh()) ? "again" : "stop";
    if (!response.ok || !response.body) return "retry";
    onStatus?.("open");
    // whatever changed while we were away (a resumed stream replays it instead)
    if (connectedBefore && !lastId) void queries.invalidateQueries();
    connectedBefore = true;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return "again";
      const { frames, rest } = parseSse(buffer + value);
      buffer = rest;
      for (const frame of frames) {
        if (handle(frame) === "reconnect") {
          await reader.cancel().catch(() => undefined);
          return "again";
        }
      }
    }
  };

  void (async () => {
    let failures = 0;
    while (!stopped.signal.aborted) {
      onStatus?.("connecting");
      let outcome: "retry" | "again" | "stop";
      try {
        outcome = await connectOnce();
      } catch {
        outcome = "retry"; // the network, the gateway restarting
      }
      if (stopped.signal.aborted || outcome === "stop") break;
      onStatus?.("closed");
      failures = outcome === "retry" ? failures + 1 : 0;
      await sleep(outcome === "retry" ? backoff(failures) : 200, stopped.signal);
    }
    onStatus?.("closed");
  })();

  return () => stopped.abort();
}

// -- the status as React state -------------------------------------------------------------------

let status: LiveStatus = "closed";
const listeners = new Set<() => void>();

export function setLiveStatus(next: LiveStatus): void {
  if (next === status) return;
  status = next;
  for (const listener of listeners) listener();
}

/** Whether the live channel is open ("open"), being (re)opened, or closed. */
export function useLiveStatus(): LiveStatus {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => status,
  );
}

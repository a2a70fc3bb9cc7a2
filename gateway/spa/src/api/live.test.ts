import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it, vi } from "vitest";
import { backoff, parseSse, queriesFor, startLive, type LiveStatus } from "./live";

describe("server-sent events parsing", () => {
  it("returns complete frames, skips comments and keeps the incomplete rest", () => {
    const { frames, rest } = parseSse(
      'retry: 2000\n: live\n\nid: a.1\nevent: registry.camera.went_offline.v1\ndata: {"x":1}\n\n: ping\n\nid: a.2\nevent: risk',
    );
    expect(frames).toEqual([{ id: "a.1", event: "registry.camera.went_offline.v1", data: '{"x":1}' }]);
    expect(rest).toBe("id: a.2\nevent: risk");
  });

  it("joins multi-line data, handles CRLF and named events without data", () => {
    const { frames } = parseSse("data: one\r\ndata: two\r\n\r\nevent: reset\ndata: {}\n\nevent: expired\n\n");
    expect(frames).toEqual([
      { id: undefined, event: "message", data: "one\ntwo" },
      { id: undefined, event: "reset", data: "{}" },
      { id: undefined, event: "expired", data: "" },
    ]);
  });
});

describe("queries an event makes stale", () => {
  it("names the EPE's cameras, the warnings, the incident, the notices", () => {
    expect(queriesFor("registry.camera.went_offline.v1", { epe_id: "E1" })).toContainEqual(["cameras", "E1"]);
    expect(queriesFor("risk.warning.raised.v1", { warning_id: "W1" })).toEqual([["warnings"], ["warning", "W1"]]);
    expect(queriesFor("incidents.incident.went_overdue.v1", { incident_id: "I1" })).toContainEqual(["incident", "I1"]);
    expect(queriesFor("incidents.notice.filed.v1", {})).toEqual([["incidents"]]);
    expect(queriesFor("access.maintenance.announced.v1", {})).toEqual([["maintenance"]]);
    expect(queriesFor("something.else.v1", {})).toEqual([]);
  });
});

describe("reconnection delay", () => {
  it("doubles from 1 s up to 30 s, with jitter", () => {
    expect(backoff(1, () => 0.5)).toBe(1000);
    expect(backoff(2, () => 0.5)).toBe(2000);
    expect(backoff(10, () => 0.5)).toBe(30_000);
    expect(backoff(3, () => 0)).toBe(3200);
    expect(backoff(3, () => 1)).toBe(4800);
  });
});

function streamOf(chunks: string[], { hold = false } = {}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (!hold) controller.close();
    },
  });
}

describe("the live client", () => {
  it("sends the token in the header, invalidates per event, resumes with Last-Event-ID and backs off", async () => {
    const queries = new QueryClient();
    const invalidate = vi.spyOn(queries, "invalidateQueries");
    const calls: Record<string, string>[] = [];
    const sleeps: number[] = [];
    const answers: (() => Response)[] = [
      () =>
        new Response(
          streamOf([
            'retry: 2000\n: live\n\nid: e.1\nevent: registry.camera.went_offline.v1\ndata: {"data":{"epe_id":"E1"}}\n\n',
          ]),
          { status: 200 },
        ),
      () => {
        throw new TypeError("network down");
      },
      () => new Response(streamOf(["event: reset\ndata: {}\n\n"], { hold: true }), { status: 200 }),
    ];
    const statuses: LiveStatus[] = [];
    const stop = startLive({
      queries,
      token: async () => "tok",
      refresh: async () => true,
      fetchImpl: async (_url, init) => {
        calls.push({ ...(init?.headers as Record<string, string>) });
        const answer = answers.shift();
        return answer ? answer() : new Promise<Response>(() => undefined); // then it waits
      },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      onStatus: (status) => statuses.push(status),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    expect(calls[0]).toEqual({ Authorization: "Bearer tok", Accept: "text/event-stream" });
    expect(invalidate).toHaveBeenCalledWith({ queryKey: ["cameras", "E1"] });
    // the stream ended: reconnect soon, resuming after the last event seen
    expect(calls[1]["Last-Event-ID"]).toBe("e.1");
    // a network error: a growing delay before the next attempt
    expect(sleeps[0]).toBe(200);
    expect(sleeps[1]).toBeGreaterThanOrEqual(800);
    expect(calls[2]["Last-Event-ID"]).toBe("e.1");
    // reset: everything is read again
    expect(invalidate).toHaveBeenCalledWith();
    expect(statuses).toContain("open");
  });

  it("refreshes the token once on 401 and stops when that fails", async () => {
    const refresh = vi.fn(async () => false);
    const fetchImpl = vi.fn(async () => new Response(null, { status: 401 }));
    const statuses: LiveStatus[] = [];
    startLive({ queries: new QueryClient(), token: async () => "old", refresh, fetchImpl, onStatus: (s) => statuses.push(s) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    expect(statuses.at(-1)).toBe("closed");
  });
});

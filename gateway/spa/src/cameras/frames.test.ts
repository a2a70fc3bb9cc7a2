// Images fetched with the token: each snapshot becomes an object URL, the previous one is
// revoked when the next is shown and the last when the view closes; a problem answer is kept
// as the error; the live view reads MJPEG frames from the fetch body.

import { act, renderHook, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const fetched: string[] = [];
let answer: () => Response = () => new Response(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), { headers: { "Content-Type": "image/jpeg" } });
vi.mock("../api/clients", () => ({
  authorizedFetch: async (input: string) => {
    fetched.push(input);
    return answer();
  },
}));

import { useLiveView, useSnapshot } from "./frames";

let serial = 0;
const created: string[] = [];
const revoked: string[] = [];

beforeEach(() => {
  fetched.length = created.length = revoked.length = 0;
  URL.createObjectURL = () => {
    const url = `blob:test/${(serial += 1)}`;
    created.push(url);
    return url;
  };
  URL.revokeObjectURL = (url: string) => void revoked.push(url);
});

afterEach(() => {
  answer = () => new Response(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), { headers: { "Content-Type": "image/jpeg" } });
});

describe("useSnapshot", () => {
  it("shows each snapshot as an object URL and revokes the ones replaced, and the last on close", async () => {
    const view = renderHook(() => useSnapshot("/api/access/camera-views/cameras/c1/snapshot", 20));
    await waitFor(() => expect(created.length).toBeGreaterThanOrEqual(3));
    await waitFor(() => expect(revoked.length).toBeGreaterThanOrEqual(2));
    const shown = view.result.current.src;
    expect(shown).toMatch(/^blob:test\//);
    expect(revoked).not.toContain(shown);
    expect(fetched.every((url) => !url.includes("token") && url.endsWith("/snapshot"))).toBe(true);
    view.unmount();
    expect(revoked).toContain(shown);
  });

  it("keeps a problem answer as the error", async () => {
    answer = () => new Response(JSON.stringify({ title: "Gateway Timeout", status: 504, detail: "the camera did not answer" }), { status: 504, headers: { "Content-Type": "application/problem+json" } });
    const view = renderHook(() => useSnapshot("/snap", 1000));
    await waitFor(() => expect(view.result.current.error).toBeTruthy());
    expect((view.result.current.error as { status: number }).status).toBe(504);
    expect(view.result.current.src).toBeNull();
    view.unmount();
  });
});

describe("useLiveView", () => {
  it("shows the frames of the MJPEG stream", async () => {
    const part = (n: number) => {
      const frame = new Uint8Array([0xff, 0xd8, n, 0xff, 0xd9]);
      const head = new TextEncoder().encode(`--camwatchview\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.length}\r\n\r\n`);
      return new Uint8Array([...head, ...frame, 13, 10]);
    };
    answer = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(part(1));
            controller.enqueue(part(2));
          },
        }),
        { headers: { "Content-Type": "multipart/x-mixed-replace; boundary=camwatchview" } },
      );
    const view = renderHook(() => useLiveView("/live", "/snap", 1000));
    await waitFor(() => expect(view.result.current.src).toMatch(/^blob:test\//));
    expect(view.result.current.mode).toBe("stream");
    expect(fetched[0]).toBe("/live");
    await act(async () => view.unmount());
  });
});

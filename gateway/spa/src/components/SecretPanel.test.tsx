import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RevealedSecret } from "../client/access/types.gen";
import { I18nProvider } from "../i18n/context";
import { SecretPanel } from "./SecretPanel";

const SECRET: RevealedSecret = {
  entry_id: "e1",
  epe_id: "EPE-1",
  version: 2,
  access_method: "vpn",
  access_url: "https://nvr.example/",
  account: "viewer",
  password: "pw-only-once",
  notes: "cổng số 2",
};

function Holder({ onDone }: { onDone: () => void }) {
  return (
    <I18nProvider>
      <SecretPanel secret={SECRET} seconds={60} onDone={onDone} />
    </I18nProvider>
  );
}

describe("the revealed secret", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    window.localStorage.clear();
    window.sessionStorage.clear();
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it("shows a countdown, then asks to be cleared, and is never put in storage", () => {
    const onDone = vi.fn();
    render(<Holder onDone={onDone} />);
    expect(screen.getByTestId("secret-password").textContent).toBe("pw-only-once");
    expect(screen.getByRole("timer").textContent).toBe("Tự ẩn sau 60 giây");
    expect(document.activeElement).toBe(screen.getByRole("heading", { level: 2 }));
    act(() => vi.advanceTimersByTime(30_000));
    expect(screen.getByRole("timer").textContent).toBe("Tự ẩn sau 30 giây");
    expect(onDone).not.toHaveBeenCalled();
    act(() => vi.advanceTimersByTime(30_000));
    expect(onDone).toHaveBeenCalled();
    const stored = JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage });
    expect(stored).not.toContain("pw-only-once");
  });

  it("can be hidden at once", () => {
    const onDone = vi.fn();
    render(<Holder onDone={onDone} />);
    fireEvent.click(screen.getByRole("button"));
    expect(onDone).toHaveBeenCalledOnce();
  });
});

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { I18nProvider } from "../i18n/context";
import { Decided, DecidePanel, StatusFilter, useDecision } from "./MakerChecker";

interface Row {
  id: string;
  what: string;
  status: string;
}

const TEXTS = { note: "Note", approve: "Approve", refuse: "Refuse", cancel: "Close", approved: "Approved.", refused: "Refused." };

function Review({ send, onDecided }: { send: (id: string, yes: boolean, note: string | null) => Promise<Row>; onDecided: () => void }) {
  const decision = useDecision<Row, Row>(send, onDecided);
  const [status, setStatus] = useState<"pending" | "done" | "all">("pending");
  return (
    <>
      <StatusFilter id="status" label="Status" all="All" statuses={["pending", "done"] as const} statusLabel={(code) => `is ${code}`} value={status} onChange={setStatus} />
      <output data-testid="status">{status}</output>
      <DecidePanel decision={decision} headingId="decide" doneTestId="done" title={(row) => `Decide ${row.what}`} texts={TEXTS} noteMaxLength={100}>
        {(row) => <p>About {row.what}</p>}
      </DecidePanel>
      <button type="button" onClick={() => decision.setDeciding({ id: "r1", what: "plan 1", status: "pending" })}>
        Open
      </button>
    </>
  );
}

function renderReview(send: (id: string, yes: boolean, note: string | null) => Promise<Row>, onDecided = vi.fn()) {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <I18nProvider>
        <Review send={send} onDecided={onDecided} />
      </I18nProvider>
    </QueryClientProvider>,
  );
  return onDecided;
}

describe("the maker-checker review", () => {
  afterEach(cleanup);

  it("filters by status, all first", () => {
    renderReview(vi.fn());
    const select = screen.getByLabelText("Status") as HTMLSelectElement;
    expect([...select.options].map((option) => option.textContent)).toEqual(["All", "is pending", "is done"]);
    fireEvent.change(select, { target: { value: "all" } });
    expect(screen.getByTestId("status").textContent).toBe("all");
  });

  it("focuses the decision's heading, sends the trimmed note and announces the outcome", async () => {
    const send = vi.fn(async (id: string) => ({ id, what: "plan 1", status: "approved" }));
    const onDecided = renderReview(send);
    fireEvent.click(screen.getByRole("button", { name: "Open" }));
    expect(document.activeElement).toBe(screen.getByRole("heading", { level: 3, name: "Decide plan 1" }));
    expect(screen.getByText("About plan 1")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Note"), { target: { value: "  agreed  " } });
    fireEvent.click(screen.getByRole("button", { name: "Approve" }));
    await waitFor(() => expect(screen.getByTestId("done").textContent).toBe("Approved."));
    expect(send).toHaveBeenCalledWith("r1", true, "agreed");
    expect(onDecided).toHaveBeenCalled();
    expect(screen.queryByRole("heading", { level: 3 })).toBeNull();
  });

  it("refuses with no note, and closes without deciding", async () => {
    const send = vi.fn(async (id: string) => ({ id, what: "plan 1", status: "refused" }));
    renderReview(send);
    fireEvent.click(screen.getByRole("button", { name: "Open" }));
    fireEvent.click(screen.getByRole("button", { name: "Close" }));
    expect(screen.queryByRole("heading", { level: 3 })).toBeNull();
    expect(send).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "Open" }));
    fireEvent.click(screen.getByRole("button", { name: "Refuse" }));
    await waitFor(() => expect(screen.getByTestId("done").textContent).toBe("Refused."));
    expect(send).toHaveBeenCalledWith("r1", false, null);
  });

  it("shows who decided, and their note when there is one", () => {
    const { container, rerender } = render(
      <I18nProvider>
        <Decided by="Head (@head)" at="2026-03-02T03:00:00Z" note="ok" />
      </I18nProvider>,
    );
    expect(container.textContent).toMatch(/^Head \(@head\).+ — ok$/);
    rerender(
      <I18nProvider>
        <Decided by="Head (@head)" at="2026-03-02T03:00:00Z" note={null} />
      </I18nProvider>,
    );
    expect(container.textContent).not.toContain("—");
  });
});

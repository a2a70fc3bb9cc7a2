// The maker-checker review shared by the authority and data-correction pages: the status
// filter over the prepared requests, the head's decision (what is decided, an optional note,
// approve / refuse / close, its outcome announced) and the table cell of a decision taken (who,
// when, their note). The pages pass their own texts, so each keeps its wording and i18n keys.

import { useMutation } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { TextArea } from "./Field";
import { Problem } from "./Problem";
import { When } from "./Status";

/** A select of the statuses to list, "all" first. */
export function StatusFilter<S extends string>({ id, label, all, statuses, statusLabel, value, onChange }: { id: string; label: string; all: string; statuses: readonly S[]; statusLabel: (status: S) => string; value: S | "all"; onChange: (value: S | "all") => void }) {
  return (
    <div className="filters">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value as S | "all")}>
        <option value="all">{all}</option>
        {statuses.map((code) => (
          <option key={code} value={code}>
            {statusLabel(code)}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The request being decided, the note typed and the decision sent (`yes` approves). */
export function useDecision<R extends { id: string }, D extends { status: string }>(send: (id: string, yes: boolean, note: string | null) => Promise<D>, onDecided: () => void) {
  const [deciding, setDeciding] = useState<R | null>(null);
  const [note, setNote] = useState("");
  const mutation = useMutation({
    mutationFn: ({ id, yes }: { id: string; yes: boolean }) => send(id, yes, note.trim() || null),
    onSuccess: () => {
      setDeciding(null);
      setNote("");
      onDecided();
    },
  });
  return { deciding, setDeciding, note, setNote, mutation };
}

export type Decision<R extends { id: string }, D extends { status: string }> = ReturnType<typeof useDecision<R, D>>;

interface Texts {
  note: string;
  approve: string;
  refuse: string;
  cancel: string;
  approved: string;
  refused: string;
}

/** The outcome of the last decision, then the form of the one being decided (its heading
 * takes the focus when it opens); `children` shows what is decided. */
export function DecidePanel<R extends { id: string }, D extends { status: string }>({ decision, headingId, doneTestId, title, texts, noteMaxLength, children }: { decision: Decision<R, D>; headingId: string; doneTestId: string; title: (row: R) => string; texts: Texts; noteMaxLength: number; children: (row: R) => ReactNode }) {
  const { deciding, setDeciding, note, setNote, mutation } = decision;
  useEffect(() => {
    if (deciding) document.getElementById(headingId)?.focus();
  }, [deciding, headingId]);
  return (
    <>
      {mutation.isSuccess && !deciding ? (
        <p className="notice" role="status" data-testid={doneTestId}>
          {mutation.data.status === "approved" ? texts.approved : texts.refused}
        </p>
      ) : null}
      {deciding ? (
        <form className="card" aria-labelledby={headingId} onSubmit={(event) => event.preventDefault()}>
          <h3 id={headingId} tabIndex={-1}>
            {title(deciding)}
          </h3>
          {children(deciding)}
          <TextArea label={texts.note} name="note" maxLength={noteMaxLength} rows={2} value={note} onChange={(event) => setNote(event.target.value)} error={mutation.error} />
          {mutation.isError ? <Problem error={mutation.error} /> : null}
          <div className="form-actions">
            <button type="button" className="button-primary" disabled={mutation.isPending} onClick={() => mutation.mutate({ id: deciding.id, yes: true })}>
              {texts.approve}
            </button>
            <button type="button" className="button-secondary" disabled={mutation.isPending} onClick={() => mutation.mutate({ id: deciding.id, yes: false })}>
              {texts.refuse}
            </button>
            <button type="button" className="button-secondary" onClick={() => setDeciding(null)}>
              {texts.cancel}
            </button>
          </div>
        </form>
      ) : null}
    </>
  );
}

/** A decision taken, in its table cell: who, when, and their note if any. */
export function Decided({ by, at, note }: { by: string; at: string | null | undefined; note: string | null | undefined }) {
  return (
    <>
      {by}
      <br />
      <When value={at} />
      {note ? <span className="muted"> — {note}</span> : null}
    </>
  );
}

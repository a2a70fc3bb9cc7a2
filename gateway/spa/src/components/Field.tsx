// A labelled form field whose server-side error (problem+json `errors[].field`) is shown under
// it and announced (aria-invalid + aria-describedby). The value is the caller's state, so a
// failed save keeps what was typed.

import { useId, type InputHTMLAttributes, type TextareaHTMLAttributes } from "react";
import { ApiError } from "../api/problem";

interface Common {
  label: string;
  name: string;
  hint?: string;
  error?: unknown;
}

function describe(id: string, hint: string | undefined, message: string | null) {
  const ids = [hint ? `${id}-hint` : "", message !== null ? `${id}-error` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

function FieldFrame({ id, label, hint, message, children }: { id: string; label: string; hint?: string; message: string | null; children: React.ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? <p className="field-hint" id={`${id}-hint`}>{hint}</p> : null}
      {children}
      {message !== null ? (
        <p className="field-error" id={`${id}-error`}>
          {message}
        </p>
      ) : null}
    </div>
  );
}

export function TextField({ label, name, hint, error, id: given, ...input }: Common & InputHTMLAttributes<HTMLInputElement>) {
  const auto = useId();
  const id = given || `${name}-${auto.replace(/:/g, "")}`;
  const message = error instanceof ApiError ? error.fieldMessage(name) : null;
  return (
    <FieldFrame id={id} label={label} hint={hint} message={message}>
      <input id={id} name={name} aria-invalid={message !== null || undefined} aria-describedby={describe(id, hint, message)} {...input} />
    </FieldFrame>
  );
}

export function TextArea({ label, name, hint, error, ...input }: Common & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const auto = useId();
  const id = `${name}-${auto.replace(/:/g, "")}`;
  const message = error instanceof ApiError ? error.fieldMessage(name) : null;
  return (
    <FieldFrame id={id} label={label} hint={hint} message={message}>
      <textarea id={id} name={name} aria-invalid={message !== null || undefined} aria-describedby={describe(id, hint, message)} {...input} />
    </FieldFrame>
  );
}

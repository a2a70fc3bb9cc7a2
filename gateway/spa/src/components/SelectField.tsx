// A labelled <select> whose server-side error (problem+json `errors[].field`) is shown under
// it, like the text fields of Field.tsx.

import { useId, type SelectHTMLAttributes } from "react";
import { ApiError } from "../api/problem";

export function SelectField({
  label,
  name,
  error,
  options,
  ...select
}: { label: string; name: string; error?: unknown; options: { value: string; label: string }[] } & SelectHTMLAttributes<HTMLSelectElement>) {
  const auto = useId();
  const id = `${name}-${auto.replace(/:/g, "")}`;
  const message = error instanceof ApiError ? error.fieldMessage(name) : null;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} aria-invalid={message !== null || undefined} aria-describedby={message !== null ? `${id}-error` : undefined} {...select}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {message !== null ? (
        <p className="field-error" id={`${id}-error`}>
          {message}
        </p>
      ) : null}
    </div>
  );
}

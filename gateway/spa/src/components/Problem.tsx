// An error shown to the officer: translated headline, the server's detail, each field it names.

import { ApiError } from "../api/problem";
import { AuthError } from "../auth/session";
import { useI18n, type I18n } from "../i18n/context";
import { hasMessage } from "../i18n/messages";

const STATUS_KEYS: Record<number, string> = {
  0: "error.network",
  400: "error.400",
  401: "error.401",
  403: "error.403",
  404: "error.404",
  409: "error.409",
  422: "error.422",
  423: "error.423",
  429: "error.429",
  500: "error.500",
  502: "error.502",
  503: "error.503",
  504: "error.504",
};

/** The translated headline of an error. */
export function errorTitle(error: unknown, t: I18n["t"]): string {
  if (error instanceof AuthError) {
    const specific = error.status ? `${error.code}.${error.status}` : null;
    if (specific && hasMessage(specific)) return t(specific);
    if (error.status && error.status >= 500 && STATUS_KEYS[error.status]) return t(STATUS_KEYS[error.status]);
    return t(error.code);
  }
  if (error instanceof ApiError) {
    return t(STATUS_KEYS[error.status] || (error.status >= 500 ? "error.500" : "error.400"));
  }
  return t("error.unexpected");
}

export function Problem({ error }: { error: unknown }) {
  const { t } = useI18n();
  const detail = error instanceof ApiError || error instanceof AuthError ? error.detail : "";
  const fields =
    error instanceof ApiError ? error.errors : error instanceof AuthError ? error.problem?.errors || [] : [];
  const retryAfter = error instanceof ApiError || error instanceof AuthError ? error.retryAfter : null;
  return (
    <div className="problem" role="alert">
      <p className="problem-title">{errorTitle(error, t)}</p>
      {detail ? <p className="problem-detail">{detail}</p> : null}
      {fields.length ? (
        <ul className="problem-fields">
          {fields.map((item, index) => (
            <li key={index}>
              <code>{item.field || ""}</code> {item.message || ""}
            </li>
          ))}
        </ul>
      ) : null}
      {retryAfter ? <p className="problem-detail">{t("error.retryAfter", { seconds: retryAfter })}</p> : null}
    </div>
  );
}

/** Log the technical part for developers (errors carry no token). */
export function report(error: unknown): void {
  const e = error as { name?: string; status?: number; detail?: string; message?: string };
  console.warn("camwatch:", e?.name || "Error", e?.status ?? "", e?.detail || e?.message || error);
}

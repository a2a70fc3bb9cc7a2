// Showing errors to the officer: a problem+json answer becomes a readable, translated alert
// that still carries the server's own detail and the fields it names.

import { ApiError } from "./api.js";
import { AuthError } from "./auth.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

const STATUS_KEYS = {
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
export function errorTitle(error) {
  if (error instanceof AuthError) {
    const specific = error.status ? `${error.code}.${error.status}` : null;
    if (specific && t(specific) !== specific) return t(specific);
    if (error.status >= 500 && STATUS_KEYS[error.status]) return t(STATUS_KEYS[error.status]);
    return t(error.code);
  }
  if (error instanceof ApiError) {
    const key = STATUS_KEYS[error.status] || (error.status >= 500 ? "error.500" : "error.400");
    return t(key);
  }
  return t("error.unexpected");
}

/** An alert box for an error: headline, the server's detail, each failing field, Retry-After. */
export function problemView(error) {
  const detail = error instanceof ApiError || error instanceof AuthError ? error.detail : "";
  const fields = error instanceof ApiError ? error.errors : error?.problem?.errors || [];
  const retryAfter = error?.retryAfter;
  return h(
    "div",
    { class: "problem", role: "alert" },
    h("p", { class: "problem-title", text: errorTitle(error) }),
    detail ? h("p", { class: "problem-detail", text: detail }) : null,
    fields.length
      ? h(
          "ul",
          { class: "problem-fields" },
          fields.map((item) =>
            h("li", {}, h("code", { text: item.field || "" }), " ", item.message || ""),
          ),
        )
      : null,
    retryAfter
      ? h("p", { class: "problem-detail", text: t("error.retryAfter", { seconds: retryAfter }) })
      : null,
  );
}

/** Log the technical part for developers (never tokens: errors carry none). */
export function report(error) {
  console.warn(
    "camwatch:",
    error?.name || "Error",
    error?.status ?? "",
    error?.detail || error?.message || error,
  );
}
